"""The Binance user-data stream over the WebSocket API, kept alive and gap-free. I/O (aiohttp).

`UserStream` connects to the WebSocket API, subscribes with `userDataStream.subscribe.signature`
(any key type, no session.logon: HMAC keys cannot log on, and the signature method serves Ed25519
and RSA keys as well), and delivers journal events (`userevents`) to an async callback or an
async iterator, in the order they arrived.

What it survives, and how:

    drop, 1006 close        reconnect with exponential backoff and full jitter (capped)
    eventStreamTerminated   resubscribe on the same connection
    listenKeyExpired        the same (a legacy-stream event, handled alike)
    24-hour disconnect      reconnect before it: a connection older than `max_connection_s`
    dead socket             nothing received for `ping_after_s`: a WS API `ping` is sent; no reply
                            within `pong_timeout_s` means the socket is dead: reconnect
    deaf subscription       the socket answers pings but no user event came for `quiet_after_s`
                            (Binance has streams that keep ponging and stop delivering): reconnect,
                            resubscribe and back-fill; on a quiet account this costs a REST gap
                            check every `quiet_after_s`, which is cheap next to a lost fill
    418 ban, 429 pause      nothing leaves for the exchange's host until it ends (safety invariant
                            6): no ping, no subscription, no connection handshake. The ban is the
                            transport's, shared by every process on the host (hoststate.py); one
                            the WebSocket API answers is handed to it. A socket that is up stays
                            up and keeps delivering; the watchdog holds still (the silence is the
                            hold's, not a dead socket's). When a ban ends: reconnect and back-fill
                            (the exchange may have dropped the subscription meanwhile); when a
                            pause ends, the watchdog's next ping tells

After every subscription (the first one included) it calls `on_gap(since_ms)` and delivers what
that returns before any live event received meanwhile (those wait), then `StreamGapFilled`; if
the hook fails, `StreamGapLost` and a reconnect. `ready` is set only while subscribed with no gap
open: the session trades only then. `StreamConnected` follows each subscription. The default
hook is `backfill` (backfill.py: myTrades since the last trade id seen per symbol, then open
orders).

Time comes from the injected `Clock` (monotonic) and every wait from the injected `sleep`, so
tests drive the watchdog, the backoff and request timeouts on a fake clock. Secrets never leave
`credentials.sign`; no event, log line or exception carries a signature or the secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import msgspec

from tradeguard.errors import (
    AuthError,
    ClockSkewError,
    RateLimited,
    TradeguardError,
    TransportError,
)
from tradeguard.events import (
    EventBase,
    OrderFilled,
    OrderUpdated,
    StreamConnected,
    StreamGapFilled,
    StreamGapLost,
)
from tradeguard.keys.credentials import ApiCredentials
from tradeguard.net.clock import SYSTEM, Clock
from tradeguard.net.ratelimit import Wait
from tradeguard.net.task_stop import stop_task
from tradeguard.venues.binance import failures, signing
from tradeguard.venues.binance.backfill import backfill
from tradeguard.venues.binance.client import BinanceTransport
from tradeguard.venues.binance.userevents import (
    Assets,
    ListenKeyExpired,
    StreamTerminated,
    UserEvents,
    WsFrame,
)
from tradeguard.venues.binance.wsapi_frames import retry_after
from tradeguard.venues.held_events import HoldsDuringGapFill

__all__ = ["OnEvent", "OnGap", "StreamConfig", "UserStream"]

OnEvent = Callable[
    [EventBase], object
]  # synchronous (what it returns is ignored): no await between events
OnGap = Callable[[int], Awaitable[Sequence[EventBase]]]
Sleep = Callable[[float], Awaitable[None]]

_END = object()  # the iterator's end marker


@dataclass(frozen=True, slots=True)
class StreamConfig:
    ping_after_s: float = 30.0  # nothing received this long: ping
    pong_timeout_s: float = 10.0  # ping unanswered this long: the socket is dead
    quiet_after_s: float = 600.0  # no user event this long: resubscribe and back-fill
    max_connection_s: float = 23 * 3600.0  # Binance cuts at 24 h; leave before
    request_timeout_s: float = 10.0  # a subscribe or ping reply
    connect_timeout_s: float = 10.0
    watch_every_s: float = 1.0  # how often the watchdog looks
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    stable_after_s: float = 60.0  # a connection up this long resets the backoff
    lost_after: int = 3  # consecutive failed attempts before StreamGapLost is reported
    recv_window_ms: int = 5000
    stream: str = "user"  # the name in StreamConnected / StreamGapFilled / StreamGapLost


class _Restart(Exception):
    """Leave this connection (or only this subscription): `resubscribe` keeps the socket."""

    def __init__(self, reason: str, *, resubscribe: bool = False, planned: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.resubscribe = resubscribe
        self.planned = planned


class UserStream(HoldsDuringGapFill):
    """A user-data stream that reconnects, resubscribes and back-fills by itself.

    Consume it either with `on_event` (a plain callable, called for every event in order,
    never awaited) or by iterating: `async for event in stream`. Use as
    `async with UserStream(...) as stream:` or call `start()` / `close()`.
    """

    def __init__(
        self,
        url: str,
        credentials: ApiCredentials,
        assets: Assets,
        *,
        profile: str,
        transport: BinanceTransport | None = None,
        on_gap: OnGap | None = None,
        on_event: OnEvent | None = None,
        config: StreamConfig | None = None,
        clock: Clock = SYSTEM,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        session: aiohttp.ClientSession | None = None,
        since_ms: int | None = None,
        last_trade_ids: Mapping[str, int] | None = None,
    ) -> None:
        self.url = url
        self._credentials = credentials
        self.assets = assets
        self.profile = profile
        self.transport = transport
        self.config = config or StreamConfig()
        self.clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()  # jitter, not cryptography
        self._session = session
        self._own_session = session is None
        self._on_gap = on_gap
        self._on_event = on_event
        self._decoder = UserEvents(assets, profile)
        self.last_trade_ids: dict[str, int] = dict(last_trade_ids or {})
        self.ready = asyncio.Event()  # subscribed, no gap open
        self.connections = 0  # successful subscriptions so far (first one included)
        self.restarts: deque[str] = deque(maxlen=100)  # why connections/subscriptions ended
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._error: BaseException | None = None
        self._holding: list[EventBase] | None = None
        self._pending: dict[int, tuple[asyncio.Future[WsFrame], float]] = {}
        self._next_id = 0
        self._subscription: int | None = None
        self._trouble: asyncio.Future[_Restart] | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._connected_at = 0.0
        self._last_frame = 0.0
        self._last_event = 0.0
        self._ping_sent: float | None = None
        self._ping_task: asyncio.Future[None] | None = None
        self._since_ms = since_ms
        self._gap_since: int | None = None

    # ── lifecycle ─────────────────────────────────────────────────────────────────────────
    async def __aenter__(self) -> UserStream:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def start(self) -> None:
        if self._task is None:
            if self._since_ms is None:
                self._since_ms = self._server_ms()
            self._task = asyncio.create_task(self._run(), name="tradeguard-user-stream")

    async def close(self) -> None:
        task, self._task = self._task, None
        try:
            if task is not None:
                await stop_task(task)
        finally:  # cancelled while the stream ends, its session closes and its reader ends
            self.ready.clear()
            self._queue.put_nowait(_END)
            if self._own_session and self._session is not None:
                await self._session.close()
                self._session = None

    @property
    def error(self) -> BaseException | None:
        """Why the stream stopped by itself (an authentication failure), if it did."""
        return self._error

    async def wait_ready(self) -> None:
        """Until subscribed with no gap open; raises if the stream stopped (its `error`)."""
        while not self.ready.is_set():
            task = self._task
            if task is None or task.done():
                raise self._error or TransportError("the user stream is not running")
            waiter = asyncio.ensure_future(self.ready.wait())
            await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()

    def __aiter__(self) -> AsyncIterator[EventBase]:
        return self.events()

    async def events(self) -> AsyncIterator[EventBase]:
        """Every event in order (when no `on_event` callback was given); ends on close()."""
        while True:
            item = await self._queue.get()
            if item is _END:
                if self._error is not None:
                    raise self._error
                return
            assert isinstance(item, EventBase)
            yield item

    # ── delivery ──────────────────────────────────────────────────────────────────────────
    def _emit(self, event: EventBase) -> None:
        if type(event) is OrderFilled:
            symbol = event.symbol
            if event.trade_id > self.last_trade_ids.get(symbol, -1):
                self.last_trade_ids[symbol] = event.trade_id
        if self._on_event is not None:
            self._on_event(event)
        else:
            self._queue.put_nowait(event)

    def _status(
        self, kind: type[StreamConnected | StreamGapFilled | StreamGapLost], **fields: Any
    ) -> EventBase:
        at = self.clock.wall_ms()
        return kind(at_ms=at, profile=self.profile, stream=self.config.stream, **fields)

    # ── the loop ──────────────────────────────────────────────────────────────────────────
    def _server_ms(self) -> int:
        if self.transport is not None:
            return self.transport.server_now_ms()
        return self.clock.wall_ms()

    async def _run(self) -> None:
        attempt = 0
        lost_reported = False
        try:
            while True:
                await self._wait_out_hold()
                started, subscribed = self.clock.monotonic(), self.connections
                planned = False
                try:
                    await self._connection()
                except _Restart as restart:
                    planned = restart.planned
                    self.restarts.append(restart.reason)
                except AuthError:
                    raise
                except (aiohttp.ClientError, OSError, TimeoutError, TradeguardError) as exc:
                    self.restarts.append(f"failed: {type(exc).__name__}")
                finally:
                    self.ready.clear()
                    self._fail_pending()
                if self._gap_since is None:
                    self._gap_since = self._since_ms
                if self.connections > subscribed:
                    lost_reported = False
                    if self.clock.monotonic() - started >= self.config.stable_after_s:
                        attempt = 0
                attempt += 1
                if attempt > self.config.lost_after and not lost_reported:
                    lost_reported = True
                    reason = f"{attempt - 1} attempts failed, the last: {self.restarts[-1]}"
                    gap = self._gap_since or 0
                    self._emit(self._status(StreamGapLost, since_ms=gap, reason=reason))
                if not (planned and attempt == 1):  # a planned restart reconnects at once
                    await self._backoff(attempt)
        except AuthError as exc:
            self._error = exc
            reason = f"{type(exc).__name__} {exc.code}: the stream stopped"
            gap = self._gap_since or self._since_ms or 0
            self._emit(self._status(StreamGapLost, since_ms=gap, reason=reason))
            self._queue.put_nowait(_END)

    async def _backoff(self, attempt: int) -> None:
        ceiling = min(self.config.backoff_cap_s, self.config.backoff_base_s * 2 ** (attempt - 1))
        await self._sleep(self._rng.uniform(0, ceiling))

    def _fail_pending(self) -> None:
        for future, _ in self._pending.values():
            if not future.done():
                future.set_exception(TransportError("the user stream's connection closed"))
        self._pending.clear()

    async def _connection(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        timeout = aiohttp.ClientWSTimeout(ws_close=1.0)
        # asyncio.timeout, not wait_for: on 3.11 wait_for hands the socket to a stream whose
        # close() came in the turn it opened, and the stream subscribed and ran on
        async with asyncio.timeout(self.config.connect_timeout_s):
            ws = await self._session.ws_connect(
                self.url, timeout=timeout, autoping=True, heartbeat=None
            )
        self._ws = ws
        now = self.clock.monotonic()
        self._connected_at = self._last_frame = self._last_event = now
        self._ping_sent = None
        loop = asyncio.get_running_loop()
        self._trouble = loop.create_future()
        reader = asyncio.create_task(self._read(ws))
        watchdog = asyncio.create_task(self._watch(ws))
        try:
            while True:
                restart = await self._subscribed(ws)
                if not restart.resubscribe:
                    raise restart
                self.restarts.append(restart.reason)
                self._trouble = loop.create_future()
        finally:
            await _stop(watchdog, reader)
            self._ws = None
            with contextlib.suppress(Exception):
                await ws.close()  # bounded by ws_close; a dropped socket closes at once

    async def _subscribed(self, ws: aiohttp.ClientWebSocketResponse) -> _Restart:
        """Subscribe, fill the gap, and stay until trouble; returns what ended it."""
        trouble = self._trouble
        assert trouble is not None
        if self._holding is None:
            self._holding = []  # live events wait for the gap fill (kept across a failed one)
        work: asyncio.Future[Any] = asyncio.ensure_future(self._subscribe_and_fill(ws))
        await asyncio.wait((work, trouble), return_when=asyncio.FIRST_COMPLETED)
        if not work.done():
            await _stop(work)
            return trouble.result()
        work.result()  # its failure ends the connection
        self._last_event = self.clock.monotonic()
        self.ready.set()
        restart = await trouble
        self.ready.clear()
        return restart

    async def _subscribe_and_fill(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        await self._subscribe(ws)
        self.connections += 1
        self._emit(self._status(StreamConnected))
        since = self._gap_since if self._gap_since is not None else self._since_ms or 0
        try:
            recovered = await self._fill(since)
        except (TradeguardError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            self._emit(self._status(StreamGapLost, since_ms=since, reason=_describe(exc)))
            raise _Restart(f"gap fill failed: {type(exc).__name__}", planned=False) from exc
        for event in recovered:
            self._emit(event)
        fills = sum(1 for e in recovered if type(e) is OrderFilled)
        orders = len({e.client_order_id for e in recovered if type(e) is OrderUpdated})
        self._emit(self._status(StreamGapFilled, since_ms=since, fills=fills, orders=orders))
        self._gap_since = None
        self._release()

    async def _fill(self, since_ms: int) -> Sequence[EventBase]:
        if self._on_gap is not None:
            return await self._on_gap(since_ms)
        if self.transport is None:
            return ()
        return await backfill(
            self.transport, self.assets, self.last_trade_ids, profile=self.profile,
            at_ms=self.clock.wall_ms(),
        )  # fmt: skip

    async def _subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        for attempt in (1, 2):
            params: dict[str, object] = {
                "apiKey": self._credentials.api_key,
                "recvWindow": self.config.recv_window_ms,
                "timestamp": self._server_ms(),
            }
            params["signature"] = self._credentials.sign(signing.ws_payload(params))
            try:
                reply = await self._request(ws, "userDataStream.subscribe.signature", params)
            except ClockSkewError:
                if attempt == 2 or self.transport is None:
                    raise
                await self.transport.sync_clock()
                continue
            result = msgspec.json.decode(reply.result)
            sid = result.get("subscriptionId") if isinstance(result, dict) else None
            self._subscription = sid if isinstance(sid, int) else None
            return

    async def _request(
        self, ws: aiohttp.ClientWebSocketResponse, method: str, params: dict[str, object]
    ) -> WsFrame:
        held = self._held()
        if held is not None:  # the watchdog and the loop wait first; this is the last line
            raise RateLimited(
                -1003,
                f"WS {method} not sent: {held.reason}; {held.seconds:.0f} s left",
                418 if held.banned else 429,
                retry_after_s=held.seconds,
                local=True,
            )
        self._next_id += 1
        request_id = self._next_id
        future: asyncio.Future[WsFrame] = asyncio.get_running_loop().create_future()
        deadline = self.clock.monotonic() + self.config.request_timeout_s
        self._pending[request_id] = (future, deadline)
        frame = msgspec.json.encode({"id": request_id, "method": method, "params": params})
        await ws.send_str(frame.decode("utf-8"))
        try:
            reply = await future
        finally:
            self._pending.pop(request_id, None)
        if reply.status != 200 or reply.error is not None:
            body = msgspec.json.encode(reply.error) if reply.error is not None else b""
            error = failures.from_reply(
                reply.status or 400, body, _retry_after(reply), self._server_ms(),
                request=f"WS {method}",
            )  # fmt: skip
            if isinstance(error, RateLimited) and self.transport is not None:
                self.transport.observe_limit(error)  # REST and every process hold too
            raise error
        return reply

    # ── holding for a ban or a pause ──────────────────────────────────────────────────────
    def _held(self) -> Wait | None:
        """The 418 ban or 429 pause in force for the exchange's host, if any (the transport's,
        which other processes on the host share); without a transport, none is known."""
        if self.transport is None:
            return None
        held = self.transport.held()
        return held if held.seconds > 0 else None

    async def _wait_out_hold(self) -> None:
        """Before a connection: until no ban or pause is in force (one may follow another)."""
        while (held := self._held()) is not None:
            self.restarts.append(f"held: {held.reason}")
            await self._sleep(held.seconds)

    # ── reading ───────────────────────────────────────────────────────────────────────────
    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        decode = self._decoder.frame
        clock = self.clock
        try:
            async for message in ws:
                if message.type is aiohttp.WSMsgType.TEXT:
                    data: str | bytes = message.data
                elif message.type is aiohttp.WSMsgType.BINARY:
                    data = message.data
                else:
                    continue
                self._last_frame = clock.monotonic()
                try:
                    frame, events = decode(data, clock.wall_ms())
                except TradeguardError as exc:
                    # An event we could not read may have been a fill: back-fill at once.
                    self._signal(_Restart(f"unreadable event: {_describe(exc)}", resubscribe=True))
                    continue
                if frame.status is not None:
                    self._reply(frame)
                    continue
                event = frame.event
                if event is None:
                    continue
                self._last_event = self._last_frame
                if event.event_ms is not None:
                    self._since_ms = event.event_ms
                if events:
                    self._live(events)
                elif isinstance(event, StreamTerminated | ListenKeyExpired):
                    self._signal(_Restart("eventStreamTerminated", resubscribe=True))
        finally:
            self._signal(_Restart("connection closed", planned=False))

    def _reply(self, frame: WsFrame) -> None:
        request_id = frame.id
        if not isinstance(request_id, int):
            return
        entry = self._pending.get(request_id)
        if entry is not None and not entry[0].done():
            entry[0].set_result(frame)

    def renew(self, credentials: ApiCredentials) -> None:
        """Sign with `credentials` from now on, and subscribe again with them (a rotated key:
        the old key's subscription ends when the old key is revoked)."""
        self._credentials = credentials
        self._signal(_Restart("credentials rotated", resubscribe=True))

    def _signal(self, restart: _Restart) -> None:
        trouble = self._trouble
        if trouble is not None and not trouble.done():
            trouble.set_result(restart)

    # ── the watchdog ──────────────────────────────────────────────────────────────────────
    async def _watch(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        banned = False
        while True:
            await self._sleep(self.config.watch_every_s)
            held = self._held()
            if held is not None:
                # Hold still: no ping, and no conclusion from the quiet a hold makes (a ping
                # refused or unanswered because of it says nothing about the socket).
                banned = banned or held.banned
                self._ping_sent = None
                continue
            if banned:
                banned = False
                self._signal(_Restart("ban ended"))  # reconnect and back-fill
                continue
            restart = self.check()
            if restart is not None:
                self._signal(restart)
            elif self._ping_due():
                self._ping_sent = self.clock.monotonic()
                self._ping_task = asyncio.ensure_future(self._ping(ws))

    def check(self) -> _Restart | None:
        """What the watchdog concludes now: a restart, or None (all well)."""
        now = self.clock.monotonic()
        cfg = self.config
        for future, deadline in list(self._pending.values()):
            if now >= deadline and not future.done():
                future.set_exception(TimeoutError("no reply from the WebSocket API"))
        if now - self._connected_at >= cfg.max_connection_s:
            return _Restart("connection age (24-hour limit)")
        if self._ping_sent is not None and now - self._ping_sent >= cfg.pong_timeout_s:
            return _Restart("no pong", planned=False)
        if self.ready.is_set() and now - self._last_event >= cfg.quiet_after_s:
            return _Restart("silent stream")
        return None

    def _ping_due(self) -> bool:
        now = self.clock.monotonic()
        return self._ping_sent is None and now - self._last_frame >= self.config.ping_after_s

    async def _ping(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        with contextlib.suppress(TradeguardError, TimeoutError, aiohttp.ClientError, OSError):
            await self._request(ws, "ping", {})
            self._ping_sent = None


async def _stop(*tasks: asyncio.Future[Any]) -> None:
    """Cancel `tasks` and wait until they end, whatever they raise. A cancellation of the
    caller itself (close()) is not swallowed on the way, as `suppress(CancelledError)` around
    `await task` would: the stream's loop then went on reconnecting after close() and close()
    waited for it forever."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _retry_after(reply: WsFrame) -> dict[str, str]:
    return retry_after(reply.error.data if reply.error is not None else None)


def _describe(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, TradeguardError) else str(exc)
    return f"{type(exc).__name__}: {text}"[:300]
