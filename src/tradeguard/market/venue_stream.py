"""One connection to a ccxt venue's public market stream (Bybit, OKX, Kraken), kept by the
session. I/O (aiohttp). The venue's words are its codec's (codec_<venue>.py); this module keeps
the connection, with the same face to the keeper as Binance's `stream.MarketStream`.

    subscribing      one subscribe frame per topic; the answer confirms it or says why not
                     (`refused`). A book's snapshot follows its subscription on the stream
    resubscribing    a gap in a book: unsubscribe and subscribe again, for a fresh snapshot
    a drop, a close  reconnect with exponential backoff and full jitter (capped), every topic
                     subscribed again; `on_up` tells the keeper, which rebuilds what it keeps
    a stale stream   no data for `stale_after_s` while subscribed (pongs are no data): counted,
                     `on_down` says so, and the connection is replaced as after a drop
    keepalive        the venue's ping every `codec.keepalive_s` (each closes a silent socket)

Time comes from the injected clock (monotonic) and waits from the injected sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import deque
from collections.abc import Callable
from typing import Any

import aiohttp
import msgspec

from tradeguard.market.cache import MarketStats
from tradeguard.market.codec import Ack, Codec
from tradeguard.market.stream import Handler, MarketStreamConfig, Sleep
from tradeguard.net.clock import SYSTEM, Clock


class VenueStream:
    """Subscribe with `subscribe(name, handler)` (names from `topic`); the connection opens on
    the first one."""

    self_synced = True  # books come with their own snapshot on this stream (no REST snapshot)

    def __init__(
        self,
        url: str,
        codec: Codec,
        *,
        stats: MarketStats,
        config: MarketStreamConfig | None = None,
        clock: Clock = SYSTEM,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url
        self.codec = codec
        self.stats = stats
        self.config = config or MarketStreamConfig()
        self.clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()  # jitter, not cryptography
        self.on_up: Callable[[], None] | None = None
        self.on_down: Callable[[str], None] | None = None
        self._handlers: dict[str, Handler] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        self._pending: deque[str] = deque()  # subscriptions not answered yet, oldest first
        self.refused: dict[str, str] = {}
        self._outbox: deque[str] = deque()
        self._wake = asyncio.Event()
        self._http: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self.closed = False
        self.up = asyncio.Event()

    # ── what the keeper asks ──────────────────────────────────────────────────────────────
    def topic(self, kind: str, symbol: str, interval: str = "") -> str | None:
        return self.codec.topic(kind, symbol, interval)

    def unserved(self, kind: str, interval: str = "") -> str:
        return self.codec.unserved(kind, interval)

    @property
    def book_depth(self) -> int:
        return self.codec.book_depth

    def subscribe(self, name: str, handler: Handler) -> None:
        fresh = name not in self._handlers
        self._handlers[name] = handler
        if not fresh:
            return
        self._confirmed.setdefault(name, asyncio.Event())
        self.refused.pop(name, None)
        self._send_subscribe([name])
        if self._task is None and not self.closed:
            self._task = asyncio.ensure_future(self._run())

    def resubscribe(self, name: str) -> None:
        """A fresh start of one topic (a book's new snapshot)."""
        if name in self._handlers and self.up.is_set():
            self._outbox.extend(self.codec.subscribe([name], unsubscribe=True))
            self._send_subscribe([name])

    def unsubscribe(self, name: str) -> None:
        if self._handlers.pop(name, None) is None:
            return
        self._confirmed.pop(name, None)
        self._outbox.extend(self.codec.subscribe([name], unsubscribe=True))
        self._wake.set()

    @property
    def names(self) -> list[str]:
        return list(self._handlers)

    async def confirmed(self, name: str) -> None:
        await self._confirmed.setdefault(name, asyncio.Event()).wait()

    async def close(self) -> None:
        self.closed = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._http is not None:
            await self._http.close()

    # ── the connection ────────────────────────────────────────────────────────────────────
    def _send_subscribe(self, names: list[str]) -> None:
        self._pending.extend(names)
        self._outbox.extend(self.codec.subscribe(names))
        self._wake.set()

    def _stopped(self) -> bool:
        return self.closed

    async def _run(self) -> None:
        attempt = 0
        while not self.closed:
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
                self.stats.connections += 1
                self._outbox.clear()
                self._pending.clear()
                if self._handlers:
                    self._send_subscribe(list(self._handlers))
                if self.on_up is not None:
                    self.on_up()
                self.up.set()
                sender = asyncio.ensure_future(self._send_loop(ws))
                delivered = False
                try:
                    reason, delivered = await self._read(ws)
                except (aiohttp.ClientError, OSError, msgspec.DecodeError) as exc:
                    reason = f"connection failed: {exc}"
                finally:
                    sender.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await sender
                    self.up.clear()
                    for event in self._confirmed.values():
                        event.clear()
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
        keepalive = self.codec.keepalive_s
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), keepalive)
            if not self._wake.is_set():
                await ws.send_str(self.codec.ping)
                continue
            self._wake.clear()
            while self._outbox:
                await ws.send_str(self._outbox.popleft())

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> tuple[str, bool]:
        """Read until the connection ends or goes stale; why, and whether data came."""
        stale_after = self.config.stale_after_s
        monotonic = self.clock.monotonic
        delivered = False
        handlers = self._handlers
        decode = self.codec.decode
        last_data = monotonic()
        while True:
            left = stale_after - (monotonic() - last_data)
            try:
                if left <= 0:
                    raise TimeoutError
                message = await ws.receive(timeout=left)
            except TimeoutError:
                if not handlers:
                    last_data = monotonic()
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
                heard = decode(data)
            except (msgspec.DecodeError, ValueError, ArithmeticError):
                continue  # a frame that cannot be read is skipped
            for item in heard:
                if isinstance(item, Ack):
                    self._answered(item)
                    continue
                name, value = item
                delivered = True
                last_data = monotonic()
                handler = handlers.get(name)
                if handler is not None:
                    handler(value)

    def _answered(self, ack: Ack) -> None:
        name = ack.name
        if name is None:
            if not self._pending:
                return
            name = self._pending.popleft()
        else:
            with contextlib.suppress(ValueError):
                self._pending.remove(name)
        if not ack.ok:
            self.refused[name] = ack.why or "refused"
            self._handlers.pop(name, None)
        event = self._confirmed.get(name)
        if event is not None:
            event.set()  # a waiter reads `refused`


_DECIMAL_PLACES = 2  # ccxt's precisionMode for "a count of decimals" (TICK_SIZE is 4)


def stream_for(venue: Any, *, url: str | None, stats: MarketStats, **options: Any) -> VenueStream:
    """The public stream of a ccxt venue (`venues.ccxt.venue.CcxtVenue`), at `url` (the
    simulator's) or the venue's own."""
    from tradeguard.market.codec import Ids

    exchange = venue.exchange
    markets: dict[str, Any] = getattr(exchange, "markets", None) or {}
    spot = {u: m for u, m in markets.items() if m.get("spot") and m.get("base")}
    compact = {u: f"{m['base']}{m['quote']}" for u, m in spot.items()}
    codec: Codec
    if venue.name == "bybit":
        from tradeguard.market.codec_bybit import BybitCodec

        codec = BybitCodec(Ids({compact[u]: m["id"] for u, m in spot.items()}))
        url = url or _imploded(exchange, exchange.urls["api"]["ws"]["public"]["spot"])
    elif venue.name == "okx":
        from tradeguard.market.codec_okx import OkxCodec

        codec = OkxCodec(Ids({compact[u]: m["id"] for u, m in spot.items()}))
        url = url or _imploded(exchange, exchange.urls["api"]["ws"]) + "/public"
    else:
        from tradeguard.market.codec_kraken import KrakenCodec

        places = {
            compact[u]: (_places(exchange, m, "price"), _places(exchange, m, "amount"))
            for u, m in spot.items()
        }
        codec = KrakenCodec(Ids({compact[u]: u for u in spot}), places)
        url = url or _imploded(exchange, exchange.urls["api"]["ws"]["publicV2"])
    return VenueStream(url, codec, stats=stats, **options)


def _places(exchange: Any, market: dict[str, Any], key: str) -> int:
    """Decimals of a ccxt market's precision (a tick size, or a count of decimals)."""
    from decimal import Decimal

    value = (market.get("precision") or {}).get(key)
    if value is None:
        return 8
    if getattr(exchange, "precisionMode", None) == _DECIMAL_PLACES:
        return int(value)
    tick = Decimal(str(value))
    return max(0, -tick.normalize().as_tuple().exponent)  # type: ignore[operator]


def _imploded(exchange: Any, url: str) -> str:
    implode = getattr(exchange, "implode_hostname", None)
    return str(implode(url)) if implode is not None else url


__all__ = ["VenueStream", "stream_for"]
