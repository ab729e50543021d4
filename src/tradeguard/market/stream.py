"""One connection to Binance's public market streams, kept by the session. I/O (aiohttp).

It connects to the combined endpoint (`<stream_url>/stream`: every payload arrives as
`{"stream", "data"}`), and subscribes and unsubscribes with SUBSCRIBE/UNSUBSCRIBE requests, each
with its own id, as streams are asked for: one connection serves every symbol and kind (Binance
allows 1,024 streams on one). Each frame goes to the handler its stream name was registered
with, decoded in one pass into the typed event its "e" names (frames.Envelope).

What it survives, and how (the connection's life is stream_base's, shared with the ccxt
venues' streams):

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

from collections import deque
from typing import Any

import aiohttp
import msgspec

from tradeguard.errors import TradeguardError
from tradeguard.market import frames
from tradeguard.market.codec import not_streamed
from tradeguard.market.stream_base import (
    Handler,
    MarketStreamConfig,
    Sleep,
    SubscribedStream,
    ended_by,
)

MAX_STREAMS = 1024  # per connection (Binance)
NAMES_PER_REQUEST = 200  # streams named in one SUBSCRIBE


class MarketStream(SubscribedStream):
    """Subscribe with `subscribe(name, handler)`; the connection opens on the first one."""

    _failures = (aiohttp.ClientError, OSError, TradeguardError)
    book_depth = 5000  # a local book holds every level of its REST snapshot and diffs

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, **options)
        self._outbox: deque[tuple[str, list[str]]] = deque()
        self._asked: dict[int, tuple[str, list[str]]] = {}  # request id -> what it asked
        self._next_id = 1
        self._sent_at: deque[float] = deque()

    # ── what the keeper asks ──────────────────────────────────────────────────────────────
    def topic(self, kind: str, symbol: str, interval: str = "") -> str | None:
        """The stream name for ("ticker" | "trade" | "kline", symbol); books name their own."""
        lower = symbol.lower()
        names = {"ticker": f"{lower}@ticker", "trade": f"{lower}@trade",
                 "kline": f"{lower}@kline_{interval}"}  # fmt: skip
        return names.get(kind)

    def unserved(self, kind: str, interval: str = "") -> str:
        return not_streamed("binance", kind, interval, candles="klines")

    # ── asking ────────────────────────────────────────────────────────────────────────────
    def _room_for(self, name: str) -> None:
        if len(self._handlers) >= MAX_STREAMS:
            raise TradeguardError(
                f"not subscribed to {name}: one connection carries at most {MAX_STREAMS} streams",
                hint="unsubscribe from streams the bot no longer reads",
            )

    def _ask(self, names: list[str]) -> None:
        for name in names:
            self._queue("SUBSCRIBE", name)

    def _ask_unsubscribe(self, name: str) -> None:
        self._queue("UNSUBSCRIBE", name)

    def _asking_again(self) -> None:
        self._outbox.clear()
        self._asked.clear()
        if self._handlers:
            self._outbox.append(("SUBSCRIBE", list(self._handlers)))
            self._wake.set()

    def _queue(self, method: str, name: str) -> None:
        if self._outbox and self._outbox[-1][0] == method:
            self._outbox[-1][1].append(name)
        else:
            self._outbox.append((method, [name]))
        self._wake.set()

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
                return self._went_stale(), delivered
            why = ended_by(ws, message)
            if why is not None:
                return why, delivered
            data = message.data
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
                self._refuse(name, msg)
            return
        if method == "SUBSCRIBE":
            for name in names:
                self._confirm(name)


__all__ = ["Handler", "MarketStream", "MarketStreamConfig", "Sleep"]
