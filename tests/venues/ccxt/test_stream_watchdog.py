"""CcxtUserStream's watchdog and balances, against each dialect, on a fake clock: a stream that
goes deaf (the socket answers pings, no message comes) is noticed after `quiet_after_s`,
reconnected and reconciled; fills around it are booked once; OKX's `account` messages arrive as
BalanceChanged at the exchange's update time; a refused key stops the stream with an AuthError.
The watchdog and the backoff wait on `FakeTimer`; only socket I/O on loopback waits for real,
and only on events."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.venues.ccxt.conftest import credentials
from tradeguard.errors import AuthError
from tradeguard.events import (
    BalanceChanged,
    EventBase,
    OrderFilled,
    StreamConnected,
    StreamGapFilled,
    StreamGapLost,
)
from tradeguard.keys.credentials import ApiCredentials, Secret
from tradeguard.model import OrderIntent, OrderType, Side, Symbol
from tradeguard.net.clock import FakeClock
from tradeguard.sim.remote import SimRemote
from tradeguard.venues.binance.stream import StreamConfig
from tradeguard.venues.ccxt.frames import bybit
from tradeguard.venues.ccxt.frames.account import Account

ASSETS = {"BTCUSDT": ("BTC", "USDT")}
WAIT_S = 10.0  # real seconds loopback I/O may take, at most


class FakeTimer:
    """The stream's `sleep`: sleepers wake when `advance` moves the fake clock past them."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(
            self._sleepers, (self.clock.monotonic() + max(seconds, 0.0), next(self._seq), future)
        )
        await future

    def asleep(self) -> int:
        """How many sleepers wait on this timer."""
        return sum(1 for s in self._sleepers if not s[2].done())

    async def advance(self, seconds: float) -> None:
        end = self.clock.monotonic() + seconds
        while True:
            self._sleepers = [s for s in self._sleepers if not s[2].done()]
            heapq.heapify(self._sleepers)
            target = min(self._sleepers[0][0] if self._sleepers else end, end)
            if target > self.clock.monotonic():
                self.clock.advance(target - self.clock.monotonic())
            while self._sleepers and self._sleepers[0][0] <= self.clock.monotonic():
                future = heapq.heappop(self._sleepers)[2]
                if not future.done():
                    future.set_result(None)
            for _ in range(5):
                await asyncio.sleep(0)
            if target >= end:
                return


async def until(check: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    """Poll `check` on real time (loopback I/O), bounded."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    for _ in itertools.count():
        if check():
            return
        if loop.time() > deadline:
            raise TimeoutError("the condition did not hold in time")
        await asyncio.sleep(0.01)


class Recording:
    def __init__(self) -> None:
        self.events: list[EventBase] = []
        self.gaps: list[int] = []

    def on_event(self, event: EventBase) -> None:
        self.events.append(event)

    async def on_gap(self, since_ms: int) -> list[EventBase]:
        self.gaps.append(since_ms)
        return []

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if type(e) is kind]


def _stream(venue: Any, seen: Recording, timer: FakeTimer, **config: Any) -> Any:
    config.setdefault("quiet_after_s", 30.0)
    config.setdefault("watch_every_s", 1.0)
    return venue.user_stream(
        ASSETS, profile="p", on_gap=seen.on_gap, on_event=seen.on_event,
        config=StreamConfig(**config), clock=timer.clock, sleep=timer.sleep,
    )  # fmt: skip


async def _buy(venue: Any, coid: str) -> Any:
    return await venue.submit(
        OrderIntent(
            client_order_id=coid, symbol=Symbol("BTC", "USDT"), side=Side.BUY,
            type=OrderType.MARKET, qty=Decimal("0.001"),
        )
    )  # fmt: skip


async def test_a_deaf_stream_is_noticed_reconnected_and_reconciled(
    venue: Any, running: Any
) -> None:
    """stream_silence: the socket stays up and answers pings, every event is discarded. After
    `quiet_after_s` of fake time the watchdog reconnects (at once: no backoff for its own
    restart) and `on_gap` runs again; the fill made while deaf comes from that."""
    await venue.symbol_rules(["BTCUSDT"], "p")
    timer, seen = FakeTimer(FakeClock()), Recording()
    stream = _stream(venue, seen, timer)
    stream.start()
    async with aiohttp.ClientSession() as http:
        remote = SimRemote(running.control_url, http)
        try:
            await asyncio.wait_for(stream.ready.wait(), WAIT_S)
            await remote.add_fault({"kind": "stream_silence", "channel": "user"})
            await _buy(venue, "tgDeaf1")
            await timer.advance(29.0)
            assert stream.connections == 1 and len(seen.gaps) == 1  # not yet
            await timer.advance(1.0)
            await remote.clear_faults()
            await until(lambda: len(seen.gaps) == 2 and stream.ready.is_set())
        finally:
            await stream.close()
    assert stream.connections == 2
    assert [r for r in stream.restarts if r.startswith("silent stream")]
    assert len(seen.of(StreamConnected)) == len(seen.of(StreamGapFilled)) == 2
    assert seen.of(OrderFilled) == []  # discarded on the wire: `on_gap` (reconcile) books it


async def test_a_talking_stream_is_left_alone(venue: Any) -> None:
    """Each message resets the watchdog: fills every 20 s of fake time, quiet_after_s 30."""
    await venue.symbol_rules(["BTCUSDT"], "p")
    timer, seen = FakeTimer(FakeClock()), Recording()
    stream = _stream(venue, seen, timer)
    stream.start()
    try:
        await asyncio.wait_for(stream.ready.wait(), WAIT_S)
        for n in range(3):
            await _buy(venue, f"tgTalk{n}")
            await until(lambda n=n: len({f.client_order_id for f in seen.of(OrderFilled)}) > n)
            for _ in range(20):  # a second at a time, the keepalive's pong let in between
                await timer.advance(1.0)
                await asyncio.sleep(0.02)
    finally:
        await stream.close()
    assert stream.connections == 1 and list(stream.restarts) == []


async def test_reconnects_through_drop_terminate_duplicate_and_reorder_book_each_fill_once(
    venue: Any, running: Any
) -> None:
    """Each stream fault in turn with a fill behind it: every fill's trade id reaches the
    session at most once from the stream, and every drop is followed by `on_gap`."""
    await venue.symbol_rules(["BTCUSDT"], "p")
    timer, seen = FakeTimer(FakeClock()), Recording()
    stream = _stream(venue, seen, timer, backoff_base_s=0.5, backoff_cap_s=1.0)
    stream.start()
    faults = ("stream_drop", "stream_terminate", "duplicate_next", "reorder_next")
    async with aiohttp.ClientSession() as http:
        remote = SimRemote(running.control_url, http)
        try:
            await asyncio.wait_for(stream.ready.wait(), WAIT_S)
            for n, kind in enumerate(faults):
                gaps = len(seen.gaps)
                # a drop or terminate counts connections: one each (a second would cut the
                # reconnected socket as soon as it opens, a race with the clearing below)
                count = 1 if kind in ("stream_drop", "stream_terminate") else 2
                await remote.add_fault({"kind": kind, "channel": "user", "count": count})
                await _buy(venue, f"tgFault{n}")
                if kind in ("stream_drop", "stream_terminate"):
                    while len(seen.gaps) == gaps or not stream.ready.is_set():
                        await timer.advance(1.0)  # past the backoff
                        await asyncio.sleep(0.02)
                await remote.clear_faults()
        finally:
            await stream.close()
    trade_ids = [f.trade_id for f in seen.of(OrderFilled)]
    assert (stream.connections, len(seen.gaps)) == (3, 3), list(stream.restarts)
    assert len(seen.of(StreamGapFilled)) == 3
    # a repeat is the duplicate_next fault's, passed on as sent: the session's ledger drops it
    # by trade id (tests/scenarios/test_stream.py)
    assert all(trade_ids.count(t) <= 2 for t in trade_ids)


@pytest.mark.parametrize("running", ["bybit", "okx"], indirect=True)
async def test_a_refused_key_stops_the_stream_with_an_auth_error(running: Any) -> None:
    from tradeguard.venues.ccxt import open_venue

    good = credentials(running)
    bad = ApiCredentials(good.api_key, Secret("not-the-secret"), passphrase=good.passphrase)
    opened = open_venue(running.venue, running.base_url, bad, urls=dict(running.urls))
    timer, seen = FakeTimer(FakeClock()), Recording()
    try:
        opened._symbols = await _public_symbols(running)
        stream = _stream(opened, seen, timer)
        stream.start()
        with pytest.raises(AuthError) as refused:
            await asyncio.wait_for(stream.wait_ready(), WAIT_S)
        await stream.close()
    finally:
        await opened.close()
    assert refused.value.hint and "key" in refused.value.hint
    assert "not-the-secret" not in str(refused.value)
    [lost] = seen.of(StreamGapLost)
    assert lost.reason.startswith("AuthError")


async def _public_symbols(running: Any) -> Any:
    """The symbol map from an unauthenticated load (the refused key is for the stream)."""
    from tradeguard.venues.ccxt import open_venue

    public = open_venue(running.venue, running.base_url, None, urls=dict(running.urls))
    try:
        return await public.symbols()
    finally:
        await public.close()


@pytest.mark.parametrize("running", ["bybit", "okx"], indirect=True)
async def test_wallet_and_account_messages_are_balances_at_the_exchange_time(
    venue: Any, running: Any
) -> None:
    await venue.symbol_rules(["BTCUSDT"], "p")
    timer, seen = FakeTimer(FakeClock()), Recording()
    stream = _stream(venue, seen, timer)
    stream.start()
    try:
        await asyncio.wait_for(stream.ready.wait(), WAIT_S)
        await _buy(venue, "tgBalance1")
        await until(lambda: bool(seen.of(OrderFilled)) and bool(seen.of(BalanceChanged)))
        await until(lambda: _last_total(seen, "BTC") == _held(running, "BTC"))
    finally:
        await stream.close()
    for report in seen.of(BalanceChanged):
        assert report.source == "stream" and report.exchange_ms is not None
    held = running.engine.balances("main")
    latest = {b.asset: b for r in seen.of(BalanceChanged) for b in r.balances}
    assert latest["USDT"].free == held["USDT"].free
    assert latest["USDT"].locked == held["USDT"].locked


def _last_total(seen: Recording, asset: str) -> Decimal | None:
    found = [b for r in seen.of(BalanceChanged) for b in r.balances if b.asset == asset]
    return found[-1].total if found else None


def _held(running: Any, asset: str) -> Decimal:
    b = running.engine.balances("main")[asset]
    return Decimal(b.free + b.locked)


def test_a_bybit_wallet_message_reads_free_locked_and_its_time() -> None:
    decoder = bybit.Decoder(Account("p", ASSETS, {"BTCUSDT": "BTCUSDT"}))
    frame = (
        b'{"id":"1","topic":"wallet","creationTime":1700000000123,"data":[{"accountType":'
        b'"UNIFIED","coin":[{"coin":"USDT","walletBalance":"1000.5","locked":"100.25",'
        b'"availableToWithdraw":""},{"coin":"BTC","walletBalance":"0.01","locked":"0",'
        b'"availableToWithdraw":"0.01"}]}]}'
    )
    [report] = decoder.frame(frame, 1).events
    assert isinstance(report, BalanceChanged) and report.exchange_ms == 1700000000123
    assert [(b.asset, b.free, b.locked) for b in report.balances] == [
        ("USDT", Decimal("900.25"), Decimal("100.25")),
        ("BTC", Decimal("0.01"), Decimal("0")),
    ]


class _SilentSocket:
    """A socket that takes pings and answers nothing (what the watchdog sees of a dead one)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.last_frame = clock.monotonic()
        self.ping_sent: float | None = None
        self.pings: list[str] = []

    async def ping(self, text: str) -> None:
        self.ping_sent = self.clock.monotonic()
        self.pings.append(text)


KEEPALIVE_S = {"bybit": 20.0, "okx": 25.0, "kraken": 30.0}  # Bybit 20 s, OKX closes at 30 s
PINGS = {"bybit": '{"op":"ping"}', "okx": "ping", "kraken": '{"method":"ping"}'}


async def test_a_quiet_socket_gets_the_venues_ping_and_one_that_never_answers_is_left(
    venue: Any, running: Any
) -> None:
    """The watchdog runs from the first instant (asleep on the fake timer before the clock
    moves), so the ping must come exactly at the venue's keepalive, not before it, and the
    socket is left 10 s after that ping (one never sent would never time out)."""
    timer, seen = FakeTimer(FakeClock()), Recording()
    stream = _stream(venue, seen, timer, quiet_after_s=3600.0, pong_timeout_s=10.0)
    socket = _SilentSocket(timer.clock)
    stream._last_heard = start = timer.clock.monotonic()
    watchdog = asyncio.create_task(stream._watchdog(socket))
    await asyncio.sleep(0)  # the watchdog is asleep before the clock moves
    try:
        assert timer.asleep() == 1
        await timer.advance(KEEPALIVE_S[running.venue] - 1.0)
        assert socket.pings == []
        await timer.advance(1.0)
        assert socket.pings == [PINGS[running.venue]]
        assert socket.ping_sent == start + KEEPALIVE_S[running.venue]
        await timer.advance(9.0)
        assert not watchdog.done()
        await timer.advance(1.0)
        with pytest.raises(Exception, match="no pong"):
            await asyncio.wait_for(watchdog, WAIT_S)
    finally:
        watchdog.cancel()


class _CountingTimer(FakeTimer):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.sleeps = 0

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        await super().sleep(seconds)


async def test_the_watchdog_wakes_only_when_something_is_due(venue: Any, running: Any) -> None:
    """With the stream quiet for less than the keepalive, the watchdog has nothing to do and
    sleeps through: one sleep until the ping is due, not one every `watch_every_s` (an idle
    bot's loop is not woken each second for nothing)."""
    timer, seen = _CountingTimer(FakeClock()), Recording()
    stream = _stream(venue, seen, timer, quiet_after_s=3600.0, watch_every_s=1.0)
    socket = _SilentSocket(timer.clock)
    stream._last_heard = timer.clock.monotonic()
    watchdog = asyncio.create_task(stream._watchdog(socket))
    await asyncio.sleep(0)  # the watchdog is asleep before the clock moves
    try:
        await timer.advance(KEEPALIVE_S[running.venue] - 1.0)
        assert (timer.sleeps, socket.pings) == (1, [])
        await timer.advance(1.0)
        assert socket.pings == [PINGS[running.venue]]
    finally:
        watchdog.cancel()
