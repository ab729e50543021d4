"""Market data on Bybit, OKX and Kraken from each venue's own public stream (its simulator
dialect): the book kept from the stream by the venue's rule equals the exchange's and its reads
cost no request; a lost message rebuilds it from a fresh snapshot; a dropped connection
reconnects and rebuilds it; the watch_* calls yield (OKX's candles from its /ws/v5/business)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from tests.market.conftest import engine_book_matches, soon, venue_session
from tradeguard.market.keeper import MarketConfig
from tradeguard.market.stream import MarketStreamConfig
from tradeguard.market.values import Candle
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote

from .conftest import VENUES, journal

SYMBOL = "BTCUSDT"
QUICK = MarketConfig(
    stream=MarketStreamConfig(backoff_base_s=0.05, backoff_cap_s=0.2), resync_backoff_s=0.05
)


@pytest.fixture(params=VENUES)
async def tg(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Session]:
    async with venue_session(request.param, tmp_path, QUICK) as session:
        yield session


@pytest.fixture
async def remote(tg: Session) -> AsyncIterator[SimRemote]:
    async with aiohttp.ClientSession() as http:
        yield SimRemote(tg.sim.control_url, http)


async def test_the_book_is_kept_from_the_stream_and_reads_cost_no_request(
    tg: Session, remote: SimRemote
) -> None:
    await engine_book_matches(tg)
    best = (await tg.book(SYMBOL, 1)).best_bid
    assert best is not None
    await remote.set_price(SYMBOL, best * Decimal("1.003"))  # the book moves
    await soon(lambda: tg.market_stats().book_resyncs == 1, "the first snapshot")
    await engine_book_matches(tg)
    deep = await tg.book(SYMBOL, 20)  # the default depth: every venue's stream carries it
    assert len(deep.bids) == len(deep.asks) == 20
    stats = tg.market_stats()
    assert stats.requests == 0 and stats.from_stream >= 1  # never a REST snapshot
    assert stats.connections == 1 and stats.gaps == 0
    # deeper than the stream's book (Bybit's 50, Kraken's 25 levels): read over REST
    deeper = await tg.book(SYMBOL, 60)
    _, bids, asks = tg.sim.engine.depth(SYMBOL, 60)
    assert list(deeper.bids) == list(bids) and list(deeper.asks) == list(asks)
    assert tg.market_stats().requests == (0 if tg.venue == "okx" else 1)


async def test_a_lost_message_rebuilds_the_book_from_a_fresh_snapshot(
    tg: Session, remote: SimRemote
) -> None:
    await engine_book_matches(tg)
    book = await tg.book(SYMBOL, 1)
    assert book.best_bid is not None
    await remote.add_fault({"kind": "stream_silence", "channel": "market"})
    await remote.set_price(SYMBOL, book.best_bid * Decimal("1.002"))
    await asyncio.sleep(0.3)  # the book's 100 ms period, and more: its message went nowhere
    await remote.clear_faults()
    await remote.set_price(SYMBOL, book.best_bid * Decimal("0.998"))
    await soon(lambda: tg.market_stats().gaps >= 1, "the gap noticed")
    await soon(lambda: tg.market_stats().book_resyncs >= 2, "the book rebuilt")
    await engine_book_matches(tg)
    assert tg.market_stats().connections == 1  # rebuilt without reconnecting
    assert tg.market_stats().requests == 0
    streams = [getattr(e, "stream", "") for e in journal(tg)]
    assert f"book:{SYMBOL}" in streams  # journaled: lost, then filled
    assert tg.ledger.streams[f"book:{SYMBOL}"].gap_since_ms is None


async def test_a_dropped_connection_reconnects_and_rebuilds_the_book(
    tg: Session, remote: SimRemote
) -> None:
    await engine_book_matches(tg)
    await remote.add_fault({"kind": "stream_drop", "channel": "market", "count": 1})
    await soon(lambda: tg.market_stats().connections >= 2, "the reconnection")
    await soon(lambda: tg.market_stats().book_resyncs >= 2, "the book rebuilt")
    best = (await tg.book(SYMBOL, 1)).best_bid
    assert best is not None
    await remote.set_price(SYMBOL, best * Decimal("1.002"))
    await engine_book_matches(tg)
    market = tg.ledger.streams["market"]  # journaled: dropped, connected, gap closed
    assert market.connected and market.gap_since_ms is None


async def test_watch_book_trades_ticker_and_candles_yield(tg: Session) -> None:
    book = await anext(tg.watch_book(SYMBOL, 3))
    assert len(book.bids) == len(book.asks) == 3
    trades, tickers = tg.watch_trades(SYMBOL), tg.watch_ticker(SYMBOL)
    first_trade = asyncio.ensure_future(anext(trades))
    first_ticker = asyncio.ensure_future(anext(tickers))
    watched = tg.watch_candles(SYMBOL, "1m")  # OKX's: on its /ws/v5/business
    forming: list[Candle] = []

    async def traded() -> Candle:  # the forming candle, until it holds the trade
        async for candle in watched:
            if not candle.closed:
                forming.append(candle)
            if candle.volume:
                return candle
        raise AssertionError("the candle stream ended")

    candles = asyncio.ensure_future(traded())
    await asyncio.sleep(0.2)  # the subscriptions answered
    ask = book.best_ask
    assert ask is not None
    await tg.limit_buy("BTC/USDT", qty="0.001", price=str((ask * Decimal("1.01")).quantize(Decimal("0.01"))),
                       time_in_force="IOC")  # fmt: skip
    trade = await asyncio.wait_for(first_trade, 10)
    assert trade.qty == Decimal("0.001") and not trade.buyer_is_maker
    ticker = await asyncio.wait_for(first_ticker, 10)
    assert ticker.symbol == SYMBOL and ticker.last > 0
    candle = await asyncio.wait_for(candles, 10)
    # the trade's own minute: forming, unless the trade came in its last seconds (the venue
    # sends the current candle every 2 s, so that minute's first candle with it is the closed one)
    assert candle.volume == Decimal("0.001") and candle.open_ms <= trade.at_ms <= candle.close_ms
    assert forming  # the subscription's first candle is the one forming
    # every read above came from the stream: the REST reads made are the candle and trade
    # history the session needs to start, none for the book or the ticker
    assert tg.market_stats().requests == 0


async def test_a_silent_stream_is_stale_journaled_and_replaced(
    tg: Session, remote: SimRemote
) -> None:
    keeper = tg._keeper()
    assert keeper.stream is not None
    keeper.stream.config = MarketStreamConfig(  # type: ignore[misc]
        stale_after_s=0.5, backoff_base_s=0.05, backoff_cap_s=0.2
    )
    await engine_book_matches(tg)
    await remote.add_fault({"kind": "stream_silence", "channel": "market"})
    await soon(lambda: tg.market_stats().stale >= 1, "the stale stream noticed")
    await remote.clear_faults()
    await soon(lambda: tg.market_stats().connections >= 2, "the new connection")
    await engine_book_matches(tg)
    reasons = [getattr(e, "reason", None) or "" for e in journal(tg)]
    assert any("stale: no market data" in r for r in reasons)


async def test_a_book_whose_snapshot_was_lost_is_asked_for_again(
    tg: Session, remote: SimRemote
) -> None:
    # the stream goes stale during a silence and reconnects while it lasts, so the new
    # connection's book snapshot is lost; once the silence ends the socket is alive again
    # (pongs, deltas), and the book must not wait for a snapshot that will never come
    keeper = tg._keeper()
    assert keeper.stream is not None
    keeper.stream.config = MarketStreamConfig(  # type: ignore[misc]
        stale_after_s=0.5, backoff_base_s=0.05, backoff_cap_s=0.2
    )
    await engine_book_matches(tg)
    await remote.add_fault({"kind": "stream_silence", "channel": "market"})
    await soon(lambda: tg.market_stats().connections >= 3, "a reconnection during the silence", 20)
    await remote.clear_faults()
    await asyncio.wait_for(engine_book_matches(tg), 10)


async def test_a_streamed_ticker_still_has_the_best_bid_and_ask(tg: Session) -> None:
    # Bybit's spot tickers topic carries no bid or ask: the session fills them in
    before = await tg.ticker(SYMBOL)
    assert before.bid is not None and before.ask is not None
    book = await tg.book(SYMBOL, 1)
    assert book.best_ask is not None
    price = (book.best_ask * Decimal("1.01")).quantize(Decimal("0.01"))
    await tg.limit_buy("BTC/USDT", qty="0.001", price=str(price), time_in_force="IOC")
    keeper = tg._keeper()
    await soon(lambda: SYMBOL in keeper._tickers, "the ticker stream")
    ticker = await tg.ticker(SYMBOL)
    assert ticker.bid is not None and ticker.ask is not None and ticker.bid < ticker.ask
    assert tg.market_stats().requests == 1  # the first read only
