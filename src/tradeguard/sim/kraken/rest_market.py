"""Kraken's public market REST: the order book, OHLC and recent trades of the engine.

GET|POST /0/public/Depth   pair, count 1-500 (default 100): {<pair key>: {asks, bids}}, levels
                           [price, volume, timestamp (s)] best first
GET|POST /0/public/OHLC    pair, interval in minutes 1 5 15 30 60 240 1440 10080 21600
                           (default 1), since (s, exclusive): {<pair key>: [[time (s), open,
                           high, low, close, vwap, volume, count]], last}, oldest first, at most
                           720; `last` is the newest committed candle's time, the one after it
                           (the candle still forming) always comes too, as on Kraken
GET|POST /0/public/Trades  pair, since (s, or ns as `last` gives it; exclusive), count 1-1000
                           (default 1000): {<pair key>: [[price, volume, time (s), "b"|"s" (the
                           taker's side), "l", "", trade_id]], last (ns)}, oldest first

Public calls are throttled per IP: Kraken documents about one call a second [D support
"What are the API rate limits"] without its burst, so this dialect lets a burst of
`PUBLIC_BURST` calls through and refills one a second [I]; over it answers
`EGeneral:Too many requests` (ccxt's DDoSProtection). A simulator reset forgets the counts.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from tradeguard.sim import venue_market
from tradeguard.sim.kraken import errors
from tradeguard.sim.kraken.pipeline import Call, Endpoint, error_reply, serve
from tradeguard.sim.venue_market import plain

if TYPE_CHECKING:
    from aiohttp import web

    from tradeguard.sim.app import Sim
    from tradeguard.sim.engine import Engine
    from tradeguard.sim.kraken.names import Pair

TOO_MANY_REQUESTS: Final = "EGeneral:Too many requests"
PUBLIC_BURST: Final = 20
SECOND_MS: Final = 1000
MINUTE_MS: Final = 60_000
INTERVALS_MIN: Final = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)
OHLC_ROWS: Final = 720
KEPT_BARS: Final = 1000  # the engine keeps no more (engine_klines.KEEP)
NS_PER_MS: Final = 1_000_000
Handler = Callable[["web.Request"], Awaitable["web.StreamResponse"]]


class PublicThrottle:
    """Per-IP allowance of public calls: `burst` at most, one more every second."""

    def __init__(self, burst: int = PUBLIC_BURST) -> None:
        self.burst = burst
        self._used: dict[str, tuple[Decimal, int]] = {}  # ip -> (calls counted, at ms)

    def admit(self, ip: str, now_ms: int) -> bool:
        used, at = self._used.get(ip, (Decimal(0), now_ms))
        used = max(Decimal(0), used - Decimal(now_ms - at) / SECOND_MS)
        if used + 1 > self.burst:
            self._used[ip] = (used, now_ms)
            return False
        self._used[ip] = (used + 1, now_ms)
        return True


class _Throttles:
    def __init__(self) -> None:
        self._by_sim: weakref.WeakKeyDictionary[Sim, tuple[Engine, PublicThrottle]] = (
            weakref.WeakKeyDictionary()
        )

    def of(self, sim: Sim) -> PublicThrottle:
        engine, throttle = self._by_sim.get(sim, (None, None))
        if throttle is None or engine is not sim.engine:  # new, or the simulator was reset
            throttle = PublicThrottle()
            self._by_sim[sim] = (sim.engine, throttle)
        return throttle


throttles = _Throttles()


def serve_throttled(sim: Sim, endpoint: Endpoint) -> Handler:
    """`pipeline.serve`, behind the per-IP public throttle."""
    inner = serve(sim, endpoint)

    async def handle(request: web.Request) -> web.StreamResponse:
        if not throttles.of(sim).admit(request.remote or "", sim.clock.now_ms()):
            return error_reply(TOO_MANY_REQUESTS)
        return await inner(request)

    return handle


def _count(call: Call, name: str, default: int, most: int) -> int:
    text = call.params.get(name)
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= most:
        raise errors.invalid_argument(name)
    return int(text)


def _since_ms(call: Call) -> int | None:
    """`since` in ms: Kraken takes seconds (ccxt sends them) or the nanoseconds of `last`."""
    text = call.params.get("since")
    if not text:
        return None
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise errors.invalid_argument("since") from None
    if not value.is_finite() or value < 0:
        raise errors.invalid_argument("since")
    return int(value / NS_PER_MS) if value > 10**15 else int(value * SECOND_MS)


def _seconds(ms: int) -> str:
    return plain(Decimal(ms) / SECOND_MS)


def endpoints(sim: Sim) -> list[Endpoint]:
    def pair_of(call: Call) -> Pair:
        name = call.params.get("pair")
        if not name:
            raise errors.invalid_argument("pair")
        pair = call.state.names.pair(name)
        if pair is None:
            raise errors.KrakenError(errors.UNKNOWN_PAIR)
        return pair

    def depth(call: Call) -> object:
        pair = pair_of(call)
        _, bids, asks = venue_market.book(sim, pair.symbol, _count(call, "count", 100, 500))
        at = call.now_ms // SECOND_MS
        return {
            pair.key: {
                "asks": [[plain(p), plain(q), at] for p, q in asks],
                "bids": [[plain(p), plain(q), at] for p, q in bids],
            }
        }

    def ohlc(call: Call) -> object:
        pair = pair_of(call)
        minutes = _count(call, "interval", 1, max(INTERVALS_MIN))
        if minutes not in INTERVALS_MIN:
            raise errors.invalid_argument("interval")
        length = minutes * MINUTE_MS
        since = _since_ms(call)
        start = None if since is None else since - since % length + length
        bars = venue_market.bars(sim, pair.symbol, length, start, None, KEPT_BARS)[-OHLC_ROWS:]
        forming = call.now_ms - call.now_ms % length
        committed = [b for b in bars if b.open_ms < forming]
        last_ms = committed[-1].open_ms if committed else (since or forming - length)
        rows = [
            [b.open_ms // SECOND_MS, plain(b.open), plain(b.high), plain(b.low), plain(b.close),
             plain(b.quote_volume / b.volume if b.volume else b.close), plain(b.volume),
             b.trades]
            for b in bars
        ]  # fmt: skip
        return {pair.key: rows, "last": last_ms // SECOND_MS}

    def trades(call: Call) -> object:
        pair = pair_of(call)
        count = _count(call, "count", 1000, 1000)
        since = _since_ms(call)
        tape = venue_market.trades(sim, pair.symbol)
        rows = tape[-count:] if since is None else [t for t in tape if t.at_ms > since][:count]
        last_ns = rows[-1].at_ms * NS_PER_MS if rows else (since or 0) * NS_PER_MS
        return {
            pair.key: [
                [plain(t.price), plain(t.qty), _seconds(t.at_ms), "b" if t.taker_buys else "s",
                 "l", "", t.trade_id]
                for t in rows
            ],
            "last": str(last_ns),
        }  # fmt: skip

    return [
        Endpoint("Depth", depth, private=False),
        Endpoint("OHLC", ohlc, private=False),
        Endpoint("Trades", trades, private=False),
    ]
