"""Unmodified ccxt.pro.bybit's public streams (watch_order_book, watch_trades, watch_ohlcv,
watch_ticker) against the Bybit dialect's /v5/public/spot, while the test moves the market."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from tests.realclients.public_reads import (
    TIMEOUT_S,
    check_watched_book,
    check_watched_trade,
    until,
)
from tradeguard.sim import server
from tradeguard.sim.config import SimConfig
from tradeguard.sim.server import RunningSim

from .test_ccxt_bybit import bybit_options

pytestmark = pytest.mark.realclient

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


async def test_watch_order_book_follows_the_engines_book(
    exchange: Any, running: RunningSim
) -> None:
    engine = running.sim.engine
    await check_watched_book(exchange, engine, SYMBOL, limit=50, levels=(10, 20), order_at="0.999")


async def test_watch_trades_ohlcv_and_ticker_see_a_trade(
    exchange: Any, running: RunningSim
) -> None:
    await check_watched_trade(exchange, running.sim.engine, SYMBOL)
    candles = await until(
        lambda: exchange.watch_ohlcv(SYMBOL, "1m"), lambda c: sum(r[5] for r in c) > 0
    )
    assert candles[-1][2] >= candles[-1][3]
    ticker = await asyncio.wait_for(exchange.watch_ticker(SYMBOL), TIMEOUT_S)
    assert ticker["symbol"] == SYMBOL and ticker["last"] > 0
