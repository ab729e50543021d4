"""Unmodified ccxt.pro.okx's public streams (watch_order_book, watch_trades, watch_ticker) against
the OKX dialect's /ws/v5/public, while the test moves the market."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from tradeguard.sim import server
from tradeguard.sim.config import SimConfig

from .test_ccxt_okx import _client

pytestmark = pytest.mark.realclient

TIMEOUT_S = 10
SYMBOL = "BTC/USDT"


@pytest.fixture
async def running() -> AsyncIterator[Any]:
    config = SimConfig(venue="okx", seed=11)
    config.market = dataclasses.replace(config.market, volatility_bps=Decimal(0))
    sim = await server.start(config)
    try:
        yield sim
    finally:
        assert sim.sim.unexpected_errors == []
        await sim.close()


@pytest.fixture
async def okx(running: Any) -> AsyncIterator[Any]:
    ex = _client(running)
    try:
        await ex.load_markets()
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


def _engine_book(running: Any, depth: int) -> list[list[list[float]]]:
    _, bids, asks = running.sim.engine.depth("BTCUSDT", depth)
    return [[[float(p), float(q)] for p, q in side] for side in (bids, asks)]


async def test_watch_order_book_follows_the_engines_book(okx: Any, running: Any) -> None:
    first = await asyncio.wait_for(okx.watch_order_book(SYMBOL), TIMEOUT_S)
    assert [first["bids"][:10], first["asks"][:10]] == _engine_book(running, 10)
    last = running.sim.engine.last_price("BTCUSDT")
    below = float((last * Decimal("0.999")).quantize(Decimal("0.1")))
    await okx.create_order(SYMBOL, "limit", "buy", 0.5, below)
    await until(
        lambda: okx.watch_order_book(SYMBOL),
        lambda b: [b["bids"][:20], b["asks"][:20]] == _engine_book(running, 20),
    )


async def test_watch_trades_and_ticker_see_a_trade(okx: Any, running: Any) -> None:
    trades = asyncio.ensure_future(okx.watch_trades(SYMBOL))
    await asyncio.sleep(0.2)  # subscribed before the trade
    above = float(
        (running.sim.engine.last_price("BTCUSDT") * Decimal("1.01")).quantize(Decimal("0.1"))
    )
    await okx.create_order(SYMBOL, "limit", "buy", 0.001, above)
    got = await asyncio.wait_for(trades, TIMEOUT_S)
    assert got and got[-1]["side"] == "buy" and got[-1]["amount"] > 0 and got[-1]["id"]
    ticker = await asyncio.wait_for(okx.watch_ticker(SYMBOL), TIMEOUT_S)
    assert ticker["symbol"] == SYMBOL and ticker["last"] > 0 and ticker["bid"] < ticker["ask"]
