"""Unmodified ccxt.pro.kraken's public streams (watch_order_book, watch_trades, watch_ticker,
watch_ohlcv) against the Kraken dialect's /v2/public. (ccxt's own checksum check is off by
default and fails on v2's numbers; tests/sim/kraken/test_public_ws.py checks the checksum.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from tradeguard.sim.server import RunningSim

from .test_ccxt_kraken import client, kraken  # noqa: F401  (the simulator fixture)

pytestmark = pytest.mark.realclient

TIMEOUT_S = 10
SYMBOL = "BTC/USDT"


@pytest.fixture
async def exchange(kraken: RunningSim) -> AsyncIterator[Any]:  # noqa: F811
    ex = client(kraken)
    ex.urls["api"]["ws"]["publicV2"] = kraken.urls["public_ws_url"]
    await ex.load_markets()
    try:
        yield ex
    finally:
        await ex.close()


async def until(watch: Callable[[], Awaitable[Any]], done: Callable[[Any], bool]) -> Any:
    async def loop() -> Any:
        while True:
            got = await watch()
            if done(got):
                return got

    return await asyncio.wait_for(loop(), TIMEOUT_S)


def _engine_book(kraken: RunningSim, depth: int) -> list[list[list[float]]]:  # noqa: F811
    _, bids, asks = kraken.sim.engine.depth("BTCUSDT", depth)
    return [[[float(p), float(q)] for p, q in side] for side in (bids, asks)]


async def test_watch_order_book_follows_the_engines_book(
    exchange: Any,
    kraken: RunningSim,  # noqa: F811
) -> None:
    first = await asyncio.wait_for(exchange.watch_order_book(SYMBOL, 10), TIMEOUT_S)
    assert [first["bids"], first["asks"]] == _engine_book(kraken, 10)
    last = kraken.sim.engine.last_price("BTCUSDT")
    above = float((last * Decimal("1.0005")).quantize(Decimal("0.01")))
    await exchange.create_order(SYMBOL, "limit", "buy", 0.5, above)  # takes the best asks
    await until(
        lambda: exchange.watch_order_book(SYMBOL, 10),
        lambda b: [b["bids"], b["asks"]] == _engine_book(kraken, 10),
    )


async def test_watch_trades_ticker_and_ohlcv_see_a_trade(
    exchange: Any,
    kraken: RunningSim,  # noqa: F811
) -> None:
    trades = asyncio.ensure_future(exchange.watch_trades(SYMBOL))
    await asyncio.sleep(0.2)  # subscribed before the trade
    last = kraken.sim.engine.last_price("BTCUSDT")
    above = float((last * Decimal("1.01")).quantize(Decimal("0.01")))
    await exchange.create_order(SYMBOL, "limit", "buy", 0.001, above)
    got = await asyncio.wait_for(trades, TIMEOUT_S)
    assert got and got[-1]["side"] == "buy" and got[-1]["amount"] > 0 and got[-1]["id"]
    ticker = await asyncio.wait_for(exchange.watch_ticker(SYMBOL), TIMEOUT_S)
    assert ticker["symbol"] == SYMBOL and ticker["last"] > 0 and ticker["bid"] < ticker["ask"]
    candles = await until(
        lambda: exchange.watch_ohlcv(SYMBOL, "1m"), lambda c: sum(r[5] for r in c) > 0
    )
    assert candles[-1][2] >= candles[-1][3]
