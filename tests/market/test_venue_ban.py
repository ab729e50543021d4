"""A ban (or a pause) on Bybit, OKX and Kraken while their market stream is up: the stream stays
up and the book kept from it is still served, with no request. On Bybit and OKX (limits per IP)
every REST read of market data waits on the same ban as orders (a read the ban outlasts is
refused `not sent`, nothing leaves), and goes through once it ends; Kraken's lockout is its
key's, and its public REST (limited per IP, apart from the key) goes on answering."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ccxt")

from tradeguard.errors import RateLimited
from tradeguard.market.keeper import MarketConfig
from tradeguard.market.stream import MarketStreamConfig
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote

from .conftest import SYMBOL, engine_book_matches, soon, venue_session

QUICK = MarketConfig(
    stream=MarketStreamConfig(backoff_base_s=0.05, backoff_cap_s=0.2), resync_backoff_s=0.05
)
# how each venue bans: Bybit a bare 403 (10 minutes at least), Kraken a key lockout
BANS: dict[str, dict[str, Any]] = {
    "bybit": {"http_status": 403, "path_prefix": "/v5/account/wallet-balance"},
    "kraken": {"http_status": 429, "code": -1003, "msg": "EGeneral:Temporary lockout",
               "path_prefix": "/0/private/Balance"},
}  # fmt: skip


@pytest.fixture(params=sorted(BANS))
async def tg(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Session]:
    async with venue_session(request.param, tmp_path, QUICK) as session:
        yield session


async def ban(tg: Session, remote: SimRemote) -> None:
    await remote.add_fault({"kind": "error", "count": 1} | BANS[tg.venue])
    with pytest.raises(RateLimited):
        await tg.transport.balances()
    assert tg.transport.ledger.banned_until_ms > tg.transport.server_now_ms()


@pytest.mark.parametrize("tg", ["bybit"], indirect=True)  # an IP ban holds every request
async def test_a_ban_leaves_the_stream_up_and_the_book_served(
    tg: Session, remote: SimRemote
) -> None:
    await engine_book_matches(tg)
    await ban(tg, remote)
    sent = tg.transport.requests_sent  # type: ignore[attr-defined]
    best = (await tg.book(SYMBOL, 1)).best_bid
    assert best is not None
    await remote.set_price(SYMBOL, best * Decimal("1.003"))
    await engine_book_matches(tg)  # still kept from the stream, during the ban
    assert tg.market_stats().connections == 1
    assert tg.transport.requests_sent == sent  # type: ignore[attr-defined]
    # a read the stream does not carry waits on the ban as orders do: refused, not sent
    with pytest.raises(RateLimited, match="not sent"):
        await tg.book(SYMBOL, 60)
    with pytest.raises(RateLimited, match="not sent"):
        await tg.candles(SYMBOL, "1m", 5)
    assert tg.transport.requests_sent == sent  # type: ignore[attr-defined]
    tg.transport.ledger.banned_until_ms = 0  # the ban ends (as its time passing would)
    deeper = await tg.book(SYMBOL, 60)
    _, bids, asks = tg.sim.engine.depth(SYMBOL, 60)
    assert list(deeper.bids) == list(bids) and list(deeper.asks) == list(asks)
    assert tg.market_stats().connections == 1


@pytest.mark.parametrize("tg", ["bybit"], indirect=True)  # an IP ban (Kraken's is the key's)
async def test_during_a_ban_nothing_is_sent_on_the_stream_and_the_book_waits_for_its_end(
    tg: Session, remote: SimRemote
) -> None:
    """As on Binance: a socket that is up stays up and delivers, but no frame asks anything
    of the venue (a resubscription for a fresh snapshot) and no new connection is opened
    until the ban ends."""
    await engine_book_matches(tg)
    await ban(tg, remote)
    sent = tg.transport.requests_sent  # type: ignore[attr-defined]
    best = (await tg.book(SYMBOL, 1)).best_bid
    assert best is not None
    await remote.add_fault({"kind": "stream_silence", "channel": "market"})
    await remote.set_price(SYMBOL, best * Decimal("1.002"))
    await asyncio.sleep(0.3)  # the book's message went nowhere
    await remote.clear_faults()
    await remote.set_price(SYMBOL, best * Decimal("0.998"))
    await soon(lambda: tg.market_stats().gaps >= 1, "the gap noticed")
    frames = tg.market_stats().frames
    await remote.set_price(SYMBOL, best * Decimal("1.001"))
    await soon(lambda: tg.market_stats().frames > frames, "frames flowing during the ban")
    assert tg.market_stats().book_resyncs == 1  # not rebuilt: its resubscription waits
    await remote.add_fault({"kind": "stream_drop", "channel": "market", "count": 1})
    await soon(lambda: not tg._keeper().stream.up.is_set(), "the drop")  # type: ignore[union-attr]
    await asyncio.sleep(0.5)  # more than the reconnection's backoff (0.2 s at most)
    assert tg.market_stats().connections == 1  # no handshake during the ban
    assert tg.transport.requests_sent == sent  # type: ignore[attr-defined]
    tg.transport.ledger.banned_until_ms = 0  # the ban ends (as its time passing would)
    await soon(lambda: tg.market_stats().connections == 2, "the reconnection after the ban")
    await soon(lambda: tg.market_stats().book_resyncs >= 2, "the book rebuilt after the ban")
    await engine_book_matches(tg)
    assert tg.transport.requests_sent == sent  # type: ignore[attr-defined]


@pytest.mark.parametrize("tg", ["okx"], indirect=True)
async def test_okx_business_connection_waits_out_a_pause_and_public_keeps_the_book(
    tg: Session, remote: SimRemote
) -> None:
    """OKX's candles have their own connection (/ws/v5/business). During OKX's rate-limit
    pause (its 50011; held longer here than OKX's 2 s, so the test can watch it) a drop of
    that connection is not reconnected and a new candle subscription is not sent; /public
    keeps the book. Once the pause ends both go through, and the candle history is read
    again."""
    await tg.candles(SYMBOL, "1m", 5)
    await engine_book_matches(tg)
    keeper = tg._keeper()
    business = keeper.kline_stream
    assert business is not None and business is not keeper.stream
    await business.confirmed(business.names[0])
    await soon(lambda: tg.market_stats().connections == 2, "/public and /business up")
    tg.transport.ledger.observe_pause(600.0, tg.transport.server_now_ms())
    sent = tg.transport.requests_sent  # type: ignore[attr-defined]
    await remote.add_fault({"kind": "stream_drop", "channel": "market",
                            "path_prefix": "/ws/v5/business", "count": 1})  # fmt: skip
    await soon(lambda: not business.up.is_set(), "the drop of /business")
    watched = tg.watch_candles(SYMBOL, "5m")
    waiting = asyncio.ensure_future(anext(watched))
    await asyncio.sleep(0.5)  # more than the reconnection's backoff (0.2 s at most)
    assert tg.market_stats().connections == 2  # no handshake during the pause
    assert not waiting.done()
    best = (await tg.book(SYMBOL, 1)).best_bid
    assert best is not None
    await remote.set_price(SYMBOL, best * Decimal("1.003"))
    await engine_book_matches(tg)  # /public still kept, during the pause
    with pytest.raises(RateLimited, match="not sent"):
        await tg.candles(SYMBOL, "1m", 5)  # the history read again waits on the pause
    assert tg.transport.requests_sent == sent  # type: ignore[attr-defined]
    tg.transport.ledger.paused_until_ms = 0  # the pause ends
    await soon(lambda: tg.market_stats().connections == 3, "/business reconnected")
    name = business.topic("kline", SYMBOL, "5m")
    assert name is not None
    await asyncio.wait_for(business.confirmed(name), 10)
    assert name not in business.refused
    rows = await tg.candles(SYMBOL, "1m", 5, closed_only=False)  # the history read again
    assert rows and tg.transport.requests_sent == sent + 1  # type: ignore[attr-defined]
    waiting.cancel()
    await watched.aclose()


@pytest.mark.parametrize("tg", ["kraken"], indirect=True)
async def test_kraken_key_lockout_does_not_hold_the_public_stream(
    tg: Session, remote: SimRemote
) -> None:
    """Kraken locks out a key, not an IP, and its public WebSocket needs no key: during the
    lockout a gap in the book is resubscribed and a dropped public connection reconnects,
    while every private call stays held."""
    await engine_book_matches(tg)
    await ban(tg, remote)
    best = (await tg.book(SYMBOL, 1)).best_bid
    assert best is not None
    await remote.add_fault({"kind": "stream_silence", "channel": "market"})
    await remote.set_price(SYMBOL, best * Decimal("1.002"))
    await asyncio.sleep(0.3)  # the book's message went nowhere
    await remote.clear_faults()
    await remote.set_price(SYMBOL, best * Decimal("0.998"))
    await soon(lambda: tg.market_stats().book_resyncs >= 2, "the book rebuilt during the lockout")
    await engine_book_matches(tg)
    await remote.add_fault({"kind": "stream_drop", "channel": "market", "count": 1})
    await soon(lambda: tg.market_stats().connections == 2, "the reconnection during the lockout")
    await soon(lambda: tg.market_stats().book_resyncs >= 3, "the book rebuilt after the drop")
    await engine_book_matches(tg)
    sent = tg.transport.requests_sent  # type: ignore[attr-defined]
    with pytest.raises(RateLimited, match="not sent"):
        await tg.transport.balances()  # the key is still locked out
    assert tg.transport.requests_sent == sent  # type: ignore[attr-defined]


@pytest.mark.parametrize("tg", ["kraken"], indirect=True)
async def test_kraken_key_lockout_leaves_the_public_rest_reads_going(
    tg: Session, remote: SimRemote
) -> None:
    """Kraken's public REST takes no key and is limited per IP: during the key's lockout a book
    deeper than the stream's 25 levels, candles, public trades and the ticker are read over
    REST and answered, while the private calls stay held (not sent)."""
    await engine_book_matches(tg)
    await ban(tg, remote)
    sent = tg.transport.requests_sent  # type: ignore[attr-defined]
    deeper = await tg.book(SYMBOL, 60)
    _, bids, asks = tg.sim.engine.depth(SYMBOL, 60)
    assert list(deeper.bids) == list(bids) and list(deeper.asks) == list(asks)
    assert await tg.candles(SYMBOL, "1m", 5, closed_only=False)
    await tg.trades(SYMBOL, 10)
    assert await tg.transport.last_price(SYMBOL) > 0
    assert tg.transport.requests_sent == sent + 4  # type: ignore[attr-defined]
    with pytest.raises(RateLimited, match="not sent"):
        await tg.transport.balances()  # the key is still locked out
    assert tg.transport.requests_sent == sent + 4  # type: ignore[attr-defined]


@pytest.mark.parametrize("tg", ["kraken"], indirect=True)
async def test_kraken_public_throttle_holds_public_reads_only(
    tg: Session, remote: SimRemote
) -> None:
    """A public endpoint's throttle (EGeneral:Too many requests, limited per IP) pauses the
    public reads only: the key's calls (balances, an order and its cancel) go at once, with no
    wait, and the key's call counter is not taken as full."""
    wire, waits = tg.transport._wire, recorded_waits(tg)  # type: ignore[attr-defined]
    wire.config.max_attempts = 1  # the read's own retry would wait the pause out
    await remote.add_fault({"kind": "error", "count": 1, "http_status": 429, "code": -1003,
                            "msg": "EGeneral:Too many requests",
                            "path_prefix": "/0/public/Depth"})  # fmt: skip
    with pytest.raises(RateLimited):
        await tg.book(SYMBOL, 60)  # deeper than the stream's book: REST
    now = tg.transport.server_now_ms()
    assert tg.transport.ledger.held(now).seconds == 0  # the key's calls do not wait
    assert wire.public_ledger.held(now).seconds > 0  # the public reads do
    assert wire.affordable(("/0/private/Balance",)) > 0  # the key's counter: not full
    sent = tg.transport.requests_sent  # type: ignore[attr-defined]
    await tg.transport.balances()
    assert waits == []  # the key's read went at once
    last = await tg.transport.last_price(SYMBOL)  # the ticker, public: waits the pause out
    assert waits
    waits.clear()
    price = (last * Decimal("0.985")).quantize(Decimal(1))
    resting = await tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    await tg.cancel(resting.client_order_id)
    assert waits == []  # neither the order nor its cancel waited
    assert tg.transport.requests_sent >= sent + 4  # type: ignore[attr-defined]


@pytest.mark.parametrize("tg", ["kraken"], indirect=True)
async def test_kraken_full_call_counter_holds_no_public_read(
    tg: Session, remote: SimRemote
) -> None:
    """Kraken's `EAPI:Rate limit exceeded` is the key's call counter: the private calls wait
    for it to fall, and a public read (a book deeper than the stream's) goes at once."""
    waits = recorded_waits(tg)
    tg.transport._wire.config.max_attempts = 1  # type: ignore[attr-defined]  # no retry
    await remote.add_fault({"kind": "error", "count": 1, "http_status": 429, "code": -1003,
                            "msg": "EAPI:Rate limit exceeded",
                            "path_prefix": "/0/private/Balance"})  # fmt: skip
    with pytest.raises(RateLimited):
        await tg.transport.balances()
    now = tg.transport.server_now_ms()
    assert tg.transport.ledger.held(now).seconds > 0  # the key's calls wait
    sent = tg.transport.requests_sent  # type: ignore[attr-defined]
    await tg.book(SYMBOL, 60)
    await tg.candles(SYMBOL, "1m", 5)
    assert waits == []  # neither read waited on the key's pause or counter
    assert tg.transport.requests_sent == sent + 2  # type: ignore[attr-defined]


def recorded_waits(tg: Session) -> list[float]:
    """Every wait the session's wire makes from now on (each still waited, for real)."""
    waits: list[float] = []
    wire = tg.transport._wire  # type: ignore[attr-defined]
    real_sleep = wire.sleep

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await real_sleep(seconds)

    wire.sleep = sleep
    return waits
