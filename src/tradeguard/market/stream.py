"""One connection to Binance's public market streams, kept by the session. I/O (aiohttp).

It connects to the combined endpoint (`<stream_url>/stream`: every payload arrives as
`{"stream", "data"}`), and subscribes and unsubscribes with SUBSCRIBE/UNSUBSCRIBE requests, each
with its own id, as streams are asked for: one connection serves every symbol and kind (Binance
allows 1,024 streams on one). Each frame goes to the handler its stream name was registered
with, decoded in one pass into the typed event its "e" names (frames.Envelope).

What it survives, and how:

    a drop, a close        reconnect with exponential backoff and full jitter (capped), every
                           stream resubscribed; `on_up` tells the keeper, which rebuilds books
    a stale stream         no frame for `stale_after_s` while subscribed (a socket can stay up
                           and deliver nothing): counted, `on_down` says so, and the connection
                           is replaced as after a drop
    Binance's 5 messages   requests leave at most `requests_per_s` a second (Binance closes a
    a second               connection past 5 incoming messages a second)
    418 ban, 429 pause     nothing leaves for the exchange's host until it ends (safety invariant
                           6): no handshake, no SUBSCRIBE. A socket that is up stays up and keeps
                           delivering; requests wait until the hold ends

Time comes from the injected clock (monotonic) and waits from the injected sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import msgspec

from tradeguard.errors import TradeguardError
from tradeguard.market import frames
from tradeguard.market.cache import MarketStats
from tradeguard.net.clock import SYSTEM, Clock
from tradeguard.net.ratelimit import Wait

Handler = Callable[[Any], None]  # takes the frame's decoded payload (frames.MarketEvent)
Sleep = Callable[[float], Awaitable[None]]

MAX_STREAMS = 1024  # per connection (Binance)
NAMES_PER_REQUEST = 200  # streams named in one SUBSCRIBE


@dataclass(frozen=True, slots=True)
class MarketStreamConfig:
    stale_after_s: float = 30.0  # no frame this long while subscribed: a stale stream
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    connect_timeout_s: float = 10.0
    requests_per_s: int = 4  # Binance closes a connection past 5 incoming messages a second


class MarketStream:
    """Subscribe with `subscribe(name, handler)`; the connection opens on the first one."""

    def __init__(
        self,
        url: str,
        *,
        stats: MarketStats,
        config: MarketStreamConfig | None = None,
        held: Callable[[], Wait] | None = None,
        clock: Clock = SYSTEM,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        on_up: Callable[[], None] | None = None,
        on_down: Callable[[str], None] | None = None,
    ) -> None:
        self.url = url
        self.stats = stats
        self.config = config or MarketStreamConfig()
        self._held = held
        self.clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()  # jitter, not cryptography
        self.on_up = on_up
        self.on_down = on_down
        self._handlers: dict[str, Handler] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        self.refused: dict[str, str] = {}  # stream name -> the exchange's refusal
        self._outbox: deque[tuple[str, list[str]]] = deque()
        self._wake = asyncio.Event()
        self._asked: dict[int, tuple[str, list[str]]] = {}  # request id -> what it asked
        self._next_id = 1
        self._sent_at: deque[float] = deque()
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._http: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self.closed = False
        self.up = asyncio.Event()

    # ── what the keeper asks ──────────────────────────────────────────────────────────────
    def topic(self, kind: str, symbol: str, interval: str = "") -> str | None:
        """The stream name for ("ticker" | "trade" | "kline", symbol); books name their own."""
        lower = symbol.lower()
        names = {"ticker": f"{lower}@ticker", "trade": f"{lower}@trade",
                 "kline": f"{lower}@kline_{interval}"}  # fmt: skip
        return names.get(kind)

    book_depth = 5000  # a local book holds every level of its REST snapshot and diffs

    def unserved(self, kind: str, interval: str = "") -> str:
        return f"binance streams no {kind} {interval}".rstrip()

    def subscribe(self, name: str, handler: Handler) -> None:
        if name in self._handlers:
            self._handlers[name] = handler
            return
        if len(self._handlers) >= MAX_STREAMS:
            raise TradeguardError(
                f"not subscribed to {name}: one connection carries at most {MAX_STREAMS} streams",
                hint="unsubscribe from streams the bot no longer reads",
            )
        self._handlers[name] = handler
        self._confirmed.setdefault(name, asyncio.Event())
        self.refused.pop(name, None)
        self._queue("SUBSCRIBE", name)
        if self._task is None and not self.closed:
            self._task = asyncio.ensure_future(self._run())

    def unsubscribe(self, name: str) -> None:
        if self._handlers.pop(name, None) is None:
            return
        self._confirmed.pop(name, None)
        self._queue("UNSUBSCRIBE", name)

    @property
    def names(self) -> list[str]:
        return list(self._handlers)

    async def confirmed(self, name: str) -> None:
        """Until the exchange has confirmed the subscription on the current connection."""
        await self._confirmed.setdefault(name, asyncio.Event()).wait()

    async def close(self) -> None:
        self.closed = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._http is not None:
            await self._http.close()

    # ── the connection ────────────────────────────────────────────────────────────────────
    def _stopped(self) -> bool:
        return self.closed  # a call, so that the checker does not keep a narrowed `closed`

    def _queue(self, method: str, name: str) -> None:
        if self._outbox and self._outbox[-1][0] == method:
            self._outbox[-1][1].append(name)
        else:
            self._outbox.append((method, [name]))
        self._wake.set()

    async def _hold(self) -> None:
        """Nothing leaves for the exchange's host during a ban or a pause."""
        while self._held is not None and not self.closed:
            wait = self._held()
            if wait.seconds <= 0:
                return
            await self._sleep(min(wait.seconds, 1.0))

    async def _run(self) -> None:
        attempt = 0
        while not self.closed:
            await self._hold()
            reason = "closed"
            try:
                if self._http is None:
                    self._http = aiohttp.ClientSession()
                ws = await asyncio.wait_for(
                    self._http.ws_connect(self.url, autoping=True, heartbeat=None),
                    self.config.connect_timeout_s,
                )
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                reason = f"could not connect: {exc or type(exc).__name__}"
            else:
                self._ws = ws
                self.stats.connections += 1
                self._outbox.clear()
                self._asked.clear()
                if self._handlers:
                    self._outbox.append(("SUBSCRIBE", list(self._handlers)))
                    self._wake.set()
                if self.on_up is not None:
                    self.on_up()
                self.up.set()
                sender = asyncio.ensure_future(self._send_loop(ws))
                delivered = False
                try:
                    reason, delivered = await self._read(ws)
                except (aiohttp.ClientError, OSError, TradeguardError) as exc:
                    reason = f"connection failed: {exc}"
                finally:
                    sender.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await sender
                    self.up.clear()
                    for event in self._confirmed.values():
                        event.clear()
                    self._ws = None
                    with contextlib.suppress(Exception):
                        await ws.close()
                if delivered:
                    attempt = 0
            if self._stopped():
                return
            if self.on_down is not None:
                self.on_down(reason)
            attempt += 1
            ceiling = min(
                self.config.backoff_cap_s, self.config.backoff_base_s * 2 ** (attempt - 1)
            )
            await self._sleep(self._rng.uniform(0, ceiling))

    async def _send_loop(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._outbox:
                await self._hold()
                await self._pace()
                method, names = self._outbox.popleft()
                if len(names) > NAMES_PER_REQUEST:
                    self._outbox.appendleft((method, names[NAMES_PER_REQUEST:]))
                    names = names[:NAMES_PER_REQUEST]
                request_id = self._next_id
                self._next_id += 1
                self._asked[request_id] = (method, names)
                await ws.send_str(
                    msgspec.json.encode(
                        {"method": method, "params": names, "id": request_id}
                    ).decode()
                )

    async def _pace(self) -> None:
        """At most `requests_per_s` requests in any second."""
        sent = self._sent_at
        while True:
            now = self.clock.monotonic()
            while sent and now - sent[0] >= 1.0:
                sent.popleft()
            if len(sent) < self.config.requests_per_s:
                sent.append(now)
                return
            await self._sleep(1.0 - (now - sent[0]) + 0.01)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> tuple[str, bool]:
        """Read until the connection ends or goes stale; why, and whether a frame came."""
        stale_after = self.config.stale_after_s
        delivered = False
        handlers = self._handlers
        decode, unreadable = frames.decode_envelope, frames.UNREADABLE
        while True:
            try:
                message = await ws.receive(timeout=stale_after)
            except TimeoutError:
                if not handlers:
                    continue  # nothing subscribed: silence is expected
                self.stats.stale += 1
                return f"stale: no market data for {stale_after:g} s", delivered
            if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                data = message.data
            elif message.type is aiohttp.WSMsgType.ERROR:
                return f"connection error: {ws.exception()}", delivered
            else:
                code = ws.close_code
                return f"closed by the exchange ({code})" if code else "dropped", delivered
            self.stats.frames += 1
            try:
                envelope = decode(data)
            except unreadable:
                continue  # a frame that cannot be read is skipped
            if envelope.stream:
                delivered = True
                handler = handlers.get(envelope.stream)
                if handler is not None:
                    handler(envelope.data)
            elif envelope.id is not None:
                self._answered(envelope)

    def _answered(self, envelope: frames.Envelope) -> None:
        asked = self._asked.pop(envelope.id or 0, None)
        if asked is None:
            return
        method, names = asked
        if envelope.error is not None:
            msg = str(envelope.error.get("msg", envelope.error))
            for name in names:
                self.refused[name] = msg
                self._handlers.pop(name, None)
                event = self._confirmed.get(name)
                if event is not None:
                    event.set()  # the waiter reads `refused`
            return
        if method == "SUBSCRIBE":
            for name in names:
                if name in self._handlers:
                    self._confirmed.setdefault(name, asyncio.Event()).set()


__all__ = ["MarketStream", "MarketStreamConfig"]
