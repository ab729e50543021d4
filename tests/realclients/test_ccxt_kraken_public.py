"""Unmodified ccxt.pro.kraken's public streams (watch_order_book, watch_trades, watch_ticker,
watch_ohlcv) against the Kraken dialect's /v2/public. (ccxt's own checksum check is off by
default and fails on v2's numbers; tests/sim/kraken/test_public_ws.py checks the checksum.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.realclients.public_reads import (
    TIMEOUT_S,
    check_watched_book,
    check_watched_trade,
    until,
)
from tradeguard.sim.server import RunningSim

from .test_ccxt_kraken import client, kraken  # noqa: F401  (the simulator fixture)

pytestmark = pytest.mark.realclient

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


async def test_watch_order_book_follows_the_engines_book(
    exchange: Any,
    kraken: RunningSim,  # noqa: F811
) -> None:
    engine = kraken.sim.engine  # a buy above the best ask takes it
    await check_watched_book(exchange, engine, SYMBOL, limit=10, levels=(10, 10), order_at="1.0005")


async def test_watch_trades_ticker_and_ohlcv_see_a_trade(
    exchange: Any,
    kraken: RunningSim,  # noqa: F811
) -> None:
    await check_watched_trade(exchange, kraken.sim.engine, SYMBOL)
    ticker = await asyncio.wait_for(exchange.watch_ticker(SYMBOL), TIMEOUT_S)
    assert ticker["symbol"] == SYMBOL and ticker["last"] > 0 and ticker["bid"] < ticker["ask"]
    candles = await until(
        lambda: exchange.watch_ohlcv(SYMBOL, "1m"), lambda c: sum(r[5] for r in c) > 0
    )
    assert candles[-1][2] >= candles[-1][3]
