"""The private stream of Bybit, OKX and Kraken, native (`private_ws.py` speaks the socket,
`frames/<venue>.py` decodes it), as the journal events the Binance stream yields: `OrderFilled`
per fill with its trade id; `OrderUpdated` for what is not a fill (new, canceled, expired,
rejected); `BalanceChanged` at the exchange's update time (Bybit wallet, OKX account, Kraken
balances: totals, with what open orders hold as its executions say). ccxt.pro is not used
here: its handling cost about 1 ms of CPU per order, it merged away a repeated Bybit execution
once the wallet topic was subscribed, and it read Kraken's client id from userref instead of
cl_ord_id.

After every (re)subscription `on_gap(since_ms)` runs and what it returns is delivered before
any live event received meanwhile (those wait, and keep waiting across a failed gap fill),
then `StreamGapFilled`; `ready` is set only then. What it survives, with `StreamConfig`'s
settings (the Binance stream's):

    drop, terminate     the socket closes: reconnect with exponential backoff and full
                        jitter, `on_gap` again
    dead socket         nothing received for the venue's keepalive (at most `ping_after_s`):
                        a ping in the venue's words; nothing back in `pong_timeout_s`: the same
    deaf subscription   no order, trade or balance push for `quiet_after_s` (the socket may
                        still answer pings): reconnect at once, resubscribe, `on_gap`
    unreadable push     it may have been a fill: reconnect at once and fill the gap
    failed gap fill     `StreamGapLost` with the reason, then reconnect (held events kept)
    refused key         the stream stops: `error` is an AuthError, `StreamGapLost` says why
    `lost_after` failed attempts in a row: `StreamGapLost`, and the attempts go on

The watchdog and the backoff wait through the injected `sleep` and read the injected `clock`,
so tests drive them on a fake clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tradeguard.errors import AuthError, GuardError, TradeguardError
from tradeguard.events import (
    EventBase,
    OrderFilled,
    OrderUpdated,
    StreamConnected,
    StreamGapFilled,
    StreamGapLost,
)
from tradeguard.net.clock import Clock
from tradeguard.venues.binance.stream import StreamConfig
from tradeguard.venues.ccxt import private_ws
from tradeguard.venues.ccxt.frames.account import Account, Heard, Unreadable, venue_symbols
from tradeguard.venues.held_events import HoldsDuringGapFill

if TYPE_CHECKING:
    import aiohttp

    from tradeguard.keys.credentials import ApiCredentials
    from tradeguard.venues.ccxt.venue import CcxtVenue

OnEvent = Callable[
    [EventBase], object
]  # synchronous (what it returns is ignored): no await between events
OnGap = Callable[[int], Awaitable[Sequence[EventBase]]]
Sleep = Callable[[float], Awaitable[None]]


class _Restart(Exception):
    """Leave this connection: `planned` (the watchdog's) reconnects at once the first time."""

    def __init__(self, reason: str, *, planned: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.planned = planned


class CcxtUserStream(HoldsDuringGapFill):
    def __init__(
        self,
        venue: CcxtVenue,
        assets: Mapping[str, tuple[str, str]],
        *,
        profile: str,
        on_gap: OnGap | None = None,
        on_event: OnEvent | None = None,
        last_trade_ids: Mapping[str, int] | None = None,
        config: StreamConfig | None = None,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.venue = venue
        self.assets = assets
        self.profile = profile
        self._on_gap = on_gap
        self._on_event = on_event
        self.last_trade_ids: dict[str, int] = dict(last_trade_ids or {})
        self.config = config or StreamConfig()
        self.clock = clock or venue.clock
        self._sleep = sleep
        self._rng = rng or random.Random()  # jitter, not cryptography
        self.ready = asyncio.Event()
        self.connections = 0
        self.restarts: deque[str] = deque(maxlen=100)  # why connections ended
        self.error: TradeguardError | None = None
        self._task: asyncio.Task[None] | None = None
        self._holding: list[EventBase] | None = None
        self._since_ms = 0  # the exchange's time of the last message (or of the start)
        self._gap_since: int | None = None
        self._last_heard = 0.0  # monotonic: the last order, trade or balance push
        # set by `renew`: log in again (cleared as a connection begins, so a renew during its
        # handshake, which may have read the old key, still counts)
        self._renewing = asyncio.Event()
        self._link = private_ws.link_for(venue)
        self._decoder: private_ws.Decoder | None = None  # one per stream: Kraken's remembers
        self._http: aiohttp.ClientSession | None = None

    def start(self) -> None:
        if self._task is None:
            self._since_ms = self.venue.server_now_ms()
            self._task = asyncio.create_task(self._run(), name="tradeguard-ccxt-stream")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            await _stop(task)
        http, self._http = self._http, None
        if http is not None:
            await http.close()
        self.ready.clear()

    def renew(self, credentials: ApiCredentials) -> None:
        """The venue signs with `credentials` now (a rotated key): leave this connection and log
        in again with them, back-filling the moment between (the old key's login ends when the
        old key is revoked)."""
        del credentials  # the link reads the venue's own at each login
        self._renewing.set()

    async def wait_ready(self) -> None:
        """Until subscribed with no gap open; raises if the stream stopped (its `error`)."""
        while not self.ready.is_set():
            task = self._task
            if task is None or task.done():
                raise self.error or GuardError("the private stream is not running")
            waiter = asyncio.ensure_future(self.ready.wait())
            await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()

    # ── the loop ──────────────────────────────────────────────────────────────────────────
    async def _run(self) -> None:
        import aiohttp

        cfg = self.config
        attempt = 0
        lost_reported = False
        while True:
            started, subscribed = self.clock.monotonic(), self.connections
            planned = False
            try:
                await self._connection()
            except _Restart as restart:
                planned = restart.planned
                self.restarts.append(restart.reason)
            except (private_ws.Refused, AuthError) as exc:
                await self._refused(exc)
                return
            except (aiohttp.ClientError, OSError, TimeoutError, TradeguardError) as exc:
                self.restarts.append(f"{type(exc).__name__}: {str(exc)[:120]}")
            finally:
                self.ready.clear()
            if self._gap_since is None:
                self._gap_since = self._since_ms
            if self.connections > subscribed:
                lost_reported = False
                # a quiet stream's refresh is routine, not a failed attempt: an idle account
                # sends nothing for hours, and that must never read as a lost stream
                if planned or self.clock.monotonic() - started >= cfg.stable_after_s:
                    attempt = 0
            attempt += 1
            if attempt > cfg.lost_after and not lost_reported:
                lost_reported = True
                reason = f"{attempt - 1} attempts failed, the last: {self.restarts[-1]}"
                self._emit(self._status(StreamGapLost, since_ms=self._gap_since, reason=reason))
            if not (planned and attempt == 1):  # the watchdog's restart reconnects at once
                ceiling = min(cfg.backoff_cap_s, cfg.backoff_base_s * 2 ** (attempt - 1))
                await self._sleep(self._rng.uniform(0, ceiling))

    async def _refused(self, exc: BaseException) -> None:
        """The venue refused the key: stop, with an AuthError saying what to do."""
        said = exc.message if isinstance(exc, TradeguardError) else str(exc)
        self.error = AuthError(
            None, f"{self.venue.name} refused the private stream's login: {said[:200]}",
            None, hint="check the key, its permissions and its IP whitelist at the exchange",
        )  # fmt: skip
        gap = self._gap_since if self._gap_since is not None else self._since_ms
        reason = f"AuthError: the stream stopped ({self.error.msg})"
        self._emit(self._status(StreamGapLost, since_ms=gap, reason=reason))

    async def _connection(self) -> None:
        import aiohttp

        if self._holding is None:
            self._holding = []  # live events wait for the gap fill (kept across a failed one)
        if self._http is None:
            self._http = aiohttp.ClientSession()
        timeout = self.config.connect_timeout_s
        self._renewing.clear()
        socket = await self._link.open(self._http, await self._decoding(), self.clock, timeout)
        reader = asyncio.create_task(self._read(socket))
        tasks: list[asyncio.Task[Any]] = [reader]
        try:
            work = asyncio.create_task(self._subscribe_and_fill(socket))
            tasks.append(work)
            await asyncio.wait((work, reader), return_when=asyncio.FIRST_COMPLETED)
            if not work.done():
                reader.result()  # the socket ended first: why
                raise _Restart("connection closed during the handshake", planned=False)
            work.result()
            self._last_heard = self.clock.monotonic()
            self.ready.set()
            watchdog = asyncio.create_task(self._watchdog(socket))
            renew = asyncio.create_task(self._renewing.wait())
            tasks += [watchdog, renew]
            done, _ = await asyncio.wait(
                (reader, watchdog, renew), return_when=asyncio.FIRST_COMPLETED
            )
            if renew in done:
                raise _Restart("credentials rotated")
            for task in done:
                task.result()
            raise _Restart("connection closed", planned=False)
        finally:
            await _stop(*tasks)
            with contextlib.suppress(Exception):  # closing a broken socket may fail any way
                await socket.close()  # bounded by ws_close; a dropped socket closes at once

    async def _decoding(self) -> private_ws.Decoder:
        if self._decoder is None:
            symbols = await self.venue.symbols()
            names = venue_symbols(getattr(self.venue.exchange, "markets", None) or {})
            for unified, compact in symbols.compact.items():  # BTC/USDT, BTCUSDT, BTC-USDT
                for name in (unified, compact, unified.replace("/", "-")):
                    names.setdefault(name, compact)
            account = Account(
                self.profile, self.assets, names, self.venue.ids, self.venue.client_id_of
            )
            self._decoder = self._link.decoder(account)
        return self._decoder

    async def _subscribe_and_fill(self, socket: private_ws.Connection) -> None:
        await self._link.handshake(socket, self.config.connect_timeout_s)
        self.connections += 1
        self._emit(self._status(StreamConnected))
        since = self._gap_since if self._gap_since is not None else self._since_ms
        try:
            recovered = await self._on_gap(since) if self._on_gap is not None else ()
        except (TradeguardError, OSError, TimeoutError) as exc:
            said = exc.message if isinstance(exc, TradeguardError) else str(exc)
            reason = f"gap fill failed: {type(exc).__name__}: {said}"[:300]
            self._emit(self._status(StreamGapLost, since_ms=since, reason=reason))
            raise _Restart(reason[:120], planned=False) from exc
        for event in recovered:
            self._emit(event)
        fills = sum(1 for e in recovered if type(e) is OrderFilled)
        orders = len({e.client_order_id for e in recovered if type(e) is OrderUpdated})
        self._emit(self._status(StreamGapFilled, since_ms=since, fills=fills, orders=orders))
        self._gap_since = None
        self._release()

    async def _read(self, socket: private_ws.Connection) -> None:
        try:
            await socket.read(self._heard)
        except Unreadable as exc:  # it may have been a fill: fill the gap at once
            raise _Restart(f"unreadable frame: {str(exc)[:100]}") from None

    def _heard(self, heard: Heard) -> None:
        reply = heard.reply
        if reply is not None and reply.op == "notice":  # OKX: closing soon for an upgrade
            raise _Restart(f"venue notice: {reply.text[:100]}")
        if not heard.data:
            return
        self._last_heard = self.clock.monotonic()
        self._since_ms = self.venue.server_now_ms()
        if heard.events:
            self._live(heard.events)

    async def _watchdog(self, socket: private_ws.Connection) -> None:
        """Until the subscription has said nothing for `quiet_after_s` (a deaf stream: the
        socket may well answer pings), or the socket nothing at all, a ping notwithstanding."""
        cfg = self.config
        keepalive = min(cfg.ping_after_s, self._link.keepalive_s)
        while True:
            # it sleeps until the first of these can be due (frames only push them later;
            # only this loop pings), never less than `watch_every_s`: a talking stream's
            # watchdog wakes once a keepalive, not every second, and what it finds late is
            # late by at most `watch_every_s`, as when it looked every `watch_every_s`
            now = self.clock.monotonic()
            ping_sent = socket.ping_sent
            due = min(
                self._last_heard + cfg.quiet_after_s,
                socket.last_frame + keepalive
                if ping_sent is None
                else ping_sent + cfg.pong_timeout_s,
            )
            await self._sleep(max(due - now, cfg.watch_every_s))
            now = self.clock.monotonic()
            if now - self._last_heard >= cfg.quiet_after_s:
                raise _Restart(f"silent stream: nothing for {cfg.quiet_after_s:g} s")
            if socket.ping_sent is not None:
                if now - socket.ping_sent >= cfg.pong_timeout_s:
                    raise _Restart("no pong", planned=False)
            elif now - socket.last_frame >= keepalive:
                await socket.ping(self._link.ping)

    # ── delivery ─────────────────────────────────────────────────────────────────────────
    def _emit(self, event: EventBase) -> None:
        if type(event) is OrderFilled and event.trade_id > self.last_trade_ids.get(
            event.symbol, -1
        ):
            self.last_trade_ids[event.symbol] = event.trade_id
        if self._on_event is not None:
            self._on_event(event)

    def _status(self, kind: Any, **fields: Any) -> EventBase:
        at = self.clock.wall_ms()
        event: EventBase = kind(at_ms=at, profile=self.profile, stream="user", **fields)
        return event


async def _stop(*tasks: asyncio.Future[Any]) -> None:
    """Cancel `tasks` and wait until they end, whatever they raise (a cancellation of the
    caller itself is not swallowed on the way)."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
