"""A quiet book on Bybit, OKX and Kraken (nothing trades, the price stands still) is not a stale
stream, nor a quiet candle on OKX's /ws/v5/business connection: Kraken sends its `heartbeat`
channel on a quiet subscription, Bybit and OKX answer the client's pings (sent at least three
times in each stale window), and each counts as the stream being alive. A stream that truly goes silent (no data, no heartbeat, no pong) is still
reported stale and replaced."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

pytest.importorskip("ccxt")

from tradeguard.market.keeper import MarketConfig
from tradeguard.market.stream import MarketStreamConfig
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote

from .conftest import SYMBOL, soon, venue_session

STALE_S = 2.0  # above Kraken's heartbeat period (1 s), with room
QUICK_STALE = MarketConfig(
    stream=MarketStreamConfig(stale_after_s=STALE_S, backoff_base_s=0.05, backoff_cap_s=0.2),
    resync_backoff_s=0.05,
)


@pytest.fixture(params=["bybit", "okx", "kraken"])
async def tg(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Session]:
    async with venue_session(request.param, tmp_path, QUICK_STALE) as session:
        for state in session.sim.engine._core.books.values():  # the market stands still
            state.market._sigma = 0.0
        yield session


async def test_a_quiet_book_is_not_stale_and_a_silent_stream_is(
    tg: Session, remote: SimRemote
) -> None:
    book = await tg.book(SYMBOL, 5)
    assert book.best_bid is not None
    connections = 1
    if tg.venue == "okx":  # and its candles, on a connection of their own
        await tg.candles(SYMBOL, "1m", 5)
        connections = 2
    await asyncio.sleep(STALE_S * 3)  # three stale windows with nothing trading
    stats = tg.market_stats()
    assert stats.stale == 0 and stats.connections == connections, stats
    assert (await tg.book(SYMBOL, 5)).bids == book.bids  # quiet indeed: the book stood still
    await remote.add_fault({"kind": "stream_silence", "channel": "market"})
    await soon(lambda: tg.market_stats().stale >= connections, "the silent streams reported stale")
    await remote.clear_faults()
    await soon(lambda: tg.market_stats().connections >= 2 * connections, "the streams replaced")
