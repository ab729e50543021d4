"""Every venue's ticker says when it is from, over REST and streamed, and so does a book read
over REST: the exchange's time where its reply carries one, else the time the reply was
received (Kraken's ticker carries none, on either path, nor its REST book). Never 0, which reads
as 1970."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tradeguard.market.keeper import MarketConfig
from tradeguard.market.values import Ticker
from tradeguard.session.guard import Session

from .conftest import SYMBOL, venue_session

A_MINUTE_MS = 60_000


@pytest.fixture(params=["binance", "bybit", "okx", "kraken"])
async def tg(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Session]:
    if request.param != "binance":
        pytest.importorskip("ccxt")
    async with venue_session(request.param, tmp_path, MarketConfig()) as session:
        yield session


def _dated_now(tg: Session, ticker: Ticker) -> bool:
    """The ticker's time is this minute's (not 1970's, nor anything far off)."""
    return abs(ticker.at_ms - tg.clock.wall_ms()) < A_MINUTE_MS


async def test_a_rest_ticker_says_when_it_is_from(tg: Session) -> None:
    assert tg.market_stats().requests == 0
    ticker = await tg.ticker("BTC/USDT")  # the first read: over REST
    assert tg.market_stats().requests == 1
    assert _dated_now(tg, ticker), ticker


async def test_a_streamed_ticker_says_when_it_is_from(tg: Session) -> None:
    await tg.book(SYMBOL, 5)  # Bybit's streamed ticker takes its bid and ask from the book
    streamed = await anext(tg.watch_ticker(SYMBOL))
    assert _dated_now(tg, streamed), streamed
    held = await tg.ticker("BTC/USDT")  # from the stream now
    assert tg.market_stats().from_stream >= 1
    assert _dated_now(tg, held), held


# deeper than each venue's streamed book holds: read over REST
REST_DEPTH = {"bybit": 100, "okx": 401, "kraken": 100}


async def test_a_book_read_over_rest_says_when_it_is_from(tg: Session) -> None:
    if tg.venue not in REST_DEPTH:
        pytest.skip("Binance's local book holds every level: it is never read over REST")
    book = await tg.book(SYMBOL, REST_DEPTH[tg.venue])
    assert tg.market_stats().requests == 1
    assert abs(book.at_ms - tg.clock.wall_ms()) < A_MINUTE_MS, book.at_ms
