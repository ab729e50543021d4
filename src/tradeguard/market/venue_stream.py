"""One connection to a ccxt venue's public market stream (Bybit, OKX, Kraken), kept by the
session. I/O (aiohttp). The venue's words are its codec's (codec_<venue>.py); this module keeps
the connection (its life is stream_base's, as Binance's `stream.MarketStream`'s is).

    subscribing      one subscribe frame per topic; the answer confirms it or says why not
                     (`refused`). A book's snapshot follows its subscription on the stream
    resubscribing    a gap in a book: unsubscribe and subscribe again, for a fresh snapshot
    a drop, a close  reconnect with exponential backoff and full jitter (capped), every topic
                     subscribed again; `on_up` tells the keeper, which rebuilds what it keeps
    a stale stream   nothing alive for `stale_after_s` while subscribed: counted, `on_down`
                     says so, and the connection is replaced as after a drop. Alive is data, or
                     what the venue sends a quiet subscription (Kraken's heartbeat channel, the
                     pong Bybit answers: `codec.ALIVE`), so a quiet book is not a stale stream
    a lost snapshot  a book subscribed (`expect_snapshot`) whose snapshot has not come within
                     `stale_after_s` is subscribed again, on a connection that is otherwise
                     alive (a snapshot lost while the socket still answers pings)
    keepalive        the venue's ping every `codec.keepalive_s` (each closes a silent socket),
                     or three times in each stale window if that is shorter
    a ban, a pause   the venue's rate ledger (the one its orders and REST reads wait on) holds
                     every subscription and new connection until it ends; the socket that is
                     up stays up, delivering and pinged, and the books kept from it are served.
                     Not on Kraken: its lockout is the key's, and its public stream takes none

    OKX's candles    on a second connection, to /ws/v5/business (OKX serves them there only):
                     a VenueStream of its own (`candles`), living the same life, which the
                     keeper sends kline topics to

Time comes from the injected clock (monotonic) and waits from the injected sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any

import aiohttp
import msgspec

from tradeguard.market.cache import MarketStats
from tradeguard.market.codec import Ack, Codec
from tradeguard.market.stream_base import HOLD_RECHECK_S, SubscribedStream, ended_by
from tradeguard.net.ratelimit import Wait


class VenueStream(SubscribedStream):
    """Subscribe with `subscribe(name, handler)` (names from `topic`); the connection opens on
    the first one."""

    _failures = (aiohttp.ClientError, OSError, msgspec.DecodeError)
    self_synced = True  # books come with their own snapshot on this stream (no REST snapshot)

    def __init__(
        self, url: str, codec: Codec, *, candles: VenueStream | None = None, **options: Any
    ) -> None:
        super().__init__(url, **options)
        self.codec = codec
        self.candles = candles  # the connection kline topics go to, if not this one
        self._pending: deque[str] = deque()  # subscriptions not answered yet, oldest first
        self._outbox: deque[str] = deque()
        self._snapshots: set[str] = set()  # topics whose subscription brings a snapshot
        self._awaiting: dict[str, float] = {}  # of those, the ones not come: since when asked

    # ── what the keeper asks ──────────────────────────────────────────────────────────────
    def topic(self, kind: str, symbol: str, interval: str = "") -> str | None:
        return self.codec.topic(kind, symbol, interval)

    def unserved(self, kind: str, interval: str = "") -> str:
        return self.codec.unserved(kind, interval)

    @property
    def book_depth(self) -> int:
        return self.codec.book_depth

    def expect_snapshot(self, name: str) -> None:
        """`name`'s subscription is answered by a snapshot on every connection; until
        `snapshot_came`, it is asked again every `stale_after_s`."""
        self._snapshots.add(name)
        self._awaiting[name] = self.clock.monotonic()

    def snapshot_came(self, name: str) -> None:
        self._awaiting.pop(name, None)

    def unsubscribe(self, name: str) -> None:
        self._snapshots.discard(name)
        self._awaiting.pop(name, None)
        super().unsubscribe(name)

    def resubscribe(self, name: str) -> None:
        """A fresh start of one topic (a book's new snapshot)."""
        if name in self._handlers and self.up.is_set():
            self._outbox.extend(self.codec.subscribe([name], unsubscribe=True))
            self._ask([name])
            if name in self._snapshots:
                self._awaiting[name] = self.clock.monotonic()

    def _snapshots_overdue(self, now: float) -> float:
        """Ask again for each snapshot overdue; the seconds until the next one is due."""
        stale_after = self.config.stale_after_s
        for name, since in list(self._awaiting.items()):
            if now - since >= stale_after:
                self.resubscribe(name)
                self._awaiting[name] = now
        if not self._awaiting:
            return stale_after
        return min(self._awaiting.values()) + stale_after - now

    # ── asking ────────────────────────────────────────────────────────────────────────────
    def _ask(self, names: list[str]) -> None:
        self._pending.extend(names)
        self._outbox.extend(self.codec.subscribe(names))
        self._wake.set()

    def _ask_unsubscribe(self, name: str) -> None:
        self._outbox.extend(self.codec.subscribe([name], unsubscribe=True))
        self._wake.set()

    def _asking_again(self) -> None:
        self._outbox.clear()
        self._pending.clear()
        now = self.clock.monotonic()
        self._awaiting = {n: now for n in self._snapshots if n in self._handlers}
        if self._handlers:
            self._ask(list(self._handlers))

    async def _send_loop(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """What was asked, once no ban or pause holds it; and the venue's ping every
        `keepalive_s`, during a ban too (it keeps the socket up, and asks for nothing)."""
        keepalive = min(self.codec.keepalive_s, self.config.stale_after_s / 3)
        monotonic = self.clock.monotonic
        pinged = monotonic()
        # asyncio.timeout, not wait_for: Python 3.11's wait_for loses a cancellation that
        # comes in the turn the event it waits on is set. A stream that went stale as a book's
        # snapshot was asked for again cancelled this loop just so, and it lived on, pinging
        # the dead socket, while its connection waited for it to end and no new one opened
        while not self._stopped():
            due = keepalive - (monotonic() - pinged)
            if due <= 0:
                await ws.send_str(self.codec.ping)
                pinged = monotonic()
                continue
            if not self._wake.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(due):
                        await self._wake.wait()
                continue
            held = self._held_s()
            if held > 0:
                await self._sleep(min(due, held, HOLD_RECHECK_S))
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
        awaiting = self._awaiting
        while True:
            now = monotonic()
            left = stale_after - (now - last_data)
            if awaiting:  # a book's snapshot not come yet: ask again once it is overdue
                left = min(left, self._snapshots_overdue(now))
            try:
                if left <= 0:
                    raise TimeoutError
                message = await ws.receive(timeout=left)
            except TimeoutError:
                if awaiting and monotonic() - last_data < stale_after:
                    continue  # a snapshot came due, not the stream's silence
                if not handlers:
                    last_data = monotonic()
                    continue  # nothing subscribed: silence is expected
                return self._went_stale(), delivered
            why = ended_by(ws, message)
            if why is not None:
                return why, delivered
            data = message.data
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
        if ack.ok:
            event = self._confirmed.get(name)
            if event is not None:
                event.set()
        else:
            self._snapshots.discard(name)  # no snapshot comes for a refused topic
            self._awaiting.pop(name, None)
            self._refuse(name, ack.why or "refused")


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

        ids = Ids({compact[u]: m["id"] for u, m in spot.items()})
        codec = OkxCodec(ids)
        root = (
            url.removesuffix("/public") if url else _imploded(exchange, exchange.urls["api"]["ws"])
        )
        url = f"{root}/public"
        business = VenueStream(
            f"{root}/business", OkxCodec(ids), stats=stats, held=_held(venue), **options
        )
        return VenueStream(url, codec, candles=business, stats=stats, held=_held(venue), **options)
    else:
        from tradeguard.market.codec_kraken import KrakenCodec

        places = {
            compact[u]: (_places(exchange, m, "price"), _places(exchange, m, "amount"))
            for u, m in spot.items()
        }
        codec = KrakenCodec(Ids({compact[u]: u for u in spot}), places)
        url = url or _imploded(exchange, exchange.urls["api"]["ws"]["publicV2"])
    return VenueStream(url, codec, stats=stats, held=_held(venue), **options)


# Venues whose rate ledger holds a key, not a host: Kraken locks out an API key (and its call
# counter is the key's), and its public WebSocket takes no key, so a lockout holds nothing
# there. Bybit's 403 bans the IP and OKX pauses per IP as well, as Binance's 418 does: their
# ledger holds the public stream too.
_KEYED_LEDGERS = frozenset({"kraken"})


def _held(venue: Any) -> Callable[[], Wait] | None:
    """How long the venue's rate ledger holds everything (a ban, a pause): the orders' own;
    None where that ledger is the key's (the public stream answers to no key)."""
    ledger = getattr(venue, "ledger", None)
    if ledger is None or venue.name in _KEYED_LEDGERS:
        return None
    return lambda: ledger.held(venue.server_now_ms())


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
