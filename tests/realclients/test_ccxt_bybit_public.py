"""Unmodified ccxt.pro.bybit's public streams (watch_order_book, watch_trades, watch_ohlcv,
watch_ticker) against the Bybit dialect's /v5/public/spot, while the test moves the market."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from tradeguard.sim import server
from tradeguard.sim.config import SimConfig
from tradeguard.sim.server import RunningSim

from .test_ccxt_bybit import bybit_options

pytestmark = pytest.mark.realclient

TIMEOUT_S = 10
SYMBOL = "BTC/USDT"


@pytest.fixture
async def running() -> AsyncIterator[RunningSim]:
    config = SimConfig.default(seed=11, venue="bybit")
    config.market = dataclasses.replace(config.market, volatility_bps=Decimal(0))
    sim = await server.start(config)
    try:
        yield sim
    finally:
        assert sim.sim.unexpected_errors == []
        await sim.close()


@pytest.fixture
async def exchange(running: RunningSim) -> AsyncIterator[Any]:
    import ccxt.pro as ccxtpro

    key = next(k for k in running.key_listing if k["name"] == "trade-only")
    options = bybit_options(running.urls)
    options["urls"]["api"]["ws"]["public"] = {"spot": running.urls["public_ws_url"]}
    ex = ccxtpro.bybit(options | {"apiKey": key["api_key"], "secret": key["secret"]})
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


def _engine_book(running: RunningSim, depth: int) -> tuple[list[list[float]], list[list[float]]]:
    _, bids, asks = running.sim.engine.depth("BTCUSDT", depth)
    return [[float(p), float(q)] for p, q in bids], [[float(p), float(q)] for p, q in asks]


async def test_watch_order_book_follows_the_engines_book(
    exchange: Any, running: RunningSim
) -> None:
    first = await asyncio.wait_for(exchange.watch_order_book(SYMBOL, 50), TIMEOUT_S)
    assert (first["bids"][:10], first["asks"][:10]) == _engine_book(running, 10)
    last = running.sim.engine.last_price("BTCUSDT")
    below = float((last * Decimal("0.999")).quantize(Decimal("0.01")))
    await exchange.create_order(SYMBOL, "limit", "buy", 0.5, below)  # a level grows: a delta
    moved = await until(
        lambda: exchange.watch_order_book(SYMBOL, 50),
        lambda b: [b["bids"][:20], b["asks"][:20]] == list(_engine_book(running, 20)),
    )
    assert moved["bids"][0][0] < moved["asks"][0][0]


async def test_watch_trades_ohlcv_and_ticker_see_a_trade(
    exchange: Any, running: RunningSim
) -> None:
    trades = asyncio.ensure_future(exchange.watch_trades(SYMBOL))
    await asyncio.sleep(0.2)  # subscribed before the trade
    above = float(
        (running.sim.engine.last_price("BTCUSDT") * Decimal("1.01")).quantize(Decimal("0.01"))
    )
    await exchange.create_order(SYMBOL, "limit", "buy", 0.001, above)
    got = await asyncio.wait_for(trades, TIMEOUT_S)
    assert got and got[-1]["side"] == "buy" and got[-1]["amount"] > 0 and got[-1]["id"]
    candles = await until(
        lambda: exchange.watch_ohlcv(SYMBOL, "1m"), lambda c: sum(r[5] for r in c) > 0
    )
    assert candles[-1][2] >= candles[-1][3]
    ticker = await asyncio.wait_for(exchange.watch_ticker(SYMBOL), TIMEOUT_S)
    assert ticker["symbol"] == SYMBOL and ticker["last"] > 0
