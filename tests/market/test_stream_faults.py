"""The market stream under the simulator's faults: a gap in the depth diffs rebuilds the book
from a snapshot, a dropped connection reconnects, resubscribes and rebuilds it, a stale stream is
noticed, journaled and replaced, and during a ban the stream keeps delivering while the REST
snapshot waits for the ban to end."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import aiohttp
import pytest

from tradeguard.events import StreamGapLost
from tradeguard.market.keeper import MarketConfig
from tradeguard.market.stream import MarketStreamConfig
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote

from .conftest import SYMBOL, book_matches_exchange, diffs_lost, soon


async def test_a_gap_in_the_depth_diffs_rebuilds_the_book(
    tg: Session, remote: SimRemote, http: aiohttp.ClientSession
) -> None:
    await book_matches_exchange(tg, http)
    stats = tg.market_stats()
    assert stats.book_resyncs == 1 and stats.gaps == 0
    await diffs_lost(tg, remote)  # the socket stays up
    await soon(lambda: tg.market_stats().gaps >= 1, "the gap noticed")
    await soon(lambda: tg.market_stats().book_resyncs >= 2, "the book rebuilt")
    await book_matches_exchange(tg, http)
    assert tg.market_stats().connections == 1  # rebuilt without reconnecting
    held = tg.ledger.streams[f"book:{SYMBOL}"]  # journaled: lost, then filled
    assert held.gap_since_ms is None


async def test_a_dropped_connection_reconnects_resubscribes_and_rebuilds_the_book(
    tg: Session, remote: SimRemote, http: aiohttp.ClientSession
) -> None:
    await book_matches_exchange(tg, http)
    ticker = await tg.ticker(SYMBOL)
    await remote.add_fault({"kind": "stream_drop", "channel": "market", "count": 1})
    await soon(lambda: tg.market_stats().connections >= 2, "the reconnection")
    await soon(lambda: tg.market_stats().book_resyncs >= 2, "the book rebuilt")
    await book_matches_exchange(tg, http)
    market = tg.ledger.streams["market"]  # journaled: dropped, connected, gap closed
    assert market.connected and market.gap_since_ms is None
    assert (await tg.ticker(SYMBOL)).symbol == ticker.symbol  # resubscribed: still streaming
    frames = tg.market_stats().frames
    await soon(lambda: tg.market_stats().frames > frames, "frames on the new connection")


QUICK_STALE = MarketConfig(
    stream=MarketStreamConfig(stale_after_s=1.0, backoff_base_s=0.05, backoff_cap_s=0.2),
    resync_backoff_s=0.05,
)


@pytest.mark.parametrize("market_config", [QUICK_STALE])
async def test_a_stale_stream_is_noticed_journaled_and_replaced(
    tg: Session, remote: SimRemote, http: aiohttp.ClientSession
) -> None:
    await book_matches_exchange(tg, http)
    feed = tg.events()
    # nothing delivered for longer than stale_after_s, pings still answered
    await remote.add_fault({"kind": "stream_silence", "channel": "market"})
    await soon(lambda: tg.market_stats().stale >= 1, "the stale stream noticed", seconds=15)
    lost = await asyncio.wait_for(anext(e async for e in feed if isinstance(e, StreamGapLost)), 5)
    assert lost.stream == "market" and "stale" in lost.reason, lost  # journaled, with why
    await remote.clear_faults()
    await soon(lambda: tg.market_stats().connections >= 2, "a new connection", seconds=15)
    await book_matches_exchange(tg, http)


BAN_S = 6


async def test_during_a_ban_the_stream_flows_and_the_snapshot_waits_for_its_end(
    tg: Session, remote: SimRemote, http: aiohttp.ClientSession
) -> None:
    from tradeguard.errors import RateLimited

    await book_matches_exchange(tg, http)
    price = (await tg.ticker(SYMBOL)).last
    await remote.add_fault({
        "kind": "error", "path_prefix": "/api/v3/ticker/price", "count": 1, "http_status": 418,
        "code": -1003, "msg": "Way too many requests; IP banned.", "retry_after_s": BAN_S,
    })  # fmt: skip
    try:
        await tg.transport.last_price(SYMBOL)
    except RateLimited:
        pass
    else:
        raise AssertionError("the 418 was not met")
    await remote.reset_requests()
    resyncs = tg.market_stats().book_resyncs
    # a gap during the ban: the book wants a snapshot, which must wait
    await diffs_lost(tg, remote)
    await soon(lambda: tg.market_stats().gaps >= 1, "the gap noticed")
    frames = tg.market_stats().frames
    await remote.set_price(SYMBOL, price * Decimal("1.003"))
    await soon(lambda: tg.market_stats().frames > frames, "diffs flowing during the ban")
    during = await remote.requests()
    assert tg.transport.ledger.banned_until_ms > tg.transport.server_now_ms()  # still banned
    assert tg.market_stats().book_resyncs == resyncs  # not rebuilt: its snapshot waits
    assert not any("/api/v3/depth" in path for path in during["requests"]), during
    await soon(lambda: tg.market_stats().book_resyncs > resyncs, "the rebuild after the ban", 15)
    await book_matches_exchange(tg, http)


def test_a_stream_is_stale_after_30_s_of_silence_unless_told() -> None:
    assert MarketStreamConfig().stale_after_s == 30.0  # the README's default
