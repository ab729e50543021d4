"""Unmodified ccxt.pro.okx's public streams (watch_order_book, watch_trades, watch_ticker) against
the OKX dialect's /ws/v5/public, while the test moves the market."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from tests.realclients.public_reads import TIMEOUT_S, check_watched_book, check_watched_trade
from tradeguard.sim import server
from tradeguard.sim.config import SimConfig

from .test_ccxt_okx import _client

pytestmark = pytest.mark.realclient

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


async def test_watch_order_book_follows_the_engines_book(okx: Any, running: Any) -> None:
    engine = running.sim.engine
    await check_watched_book(okx, engine, SYMBOL, limit=None, levels=(10, 20), order_at="0.999")


async def test_watch_trades_and_ticker_see_a_trade(okx: Any, running: Any) -> None:
    await check_watched_trade(okx, running.sim.engine, SYMBOL)
    ticker = await asyncio.wait_for(okx.watch_ticker(SYMBOL), TIMEOUT_S)
    assert ticker["symbol"] == SYMBOL and ticker["last"] > 0 and ticker["bid"] < ticker["ask"]
