"""The public market streams: which names exist, and what each sends when.

A stream name is `<symbol>@<kind>` (web-socket-streams.md), the symbol lowercase:

    trade, aggTrade, bookTicker       real time, from the engine's events
    depth, depth@100ms, depth@1000ms  the book's changes (the engine's depthUpdate events),
                                      merged and sent once per 1000 ms / 100 ms, U..u spanning
                                      every update id in between
    depth5|10|20 [@100ms|@1000ms]     the top levels, every 1000 ms / 100 ms when they changed
    kline_<interval>                  the current kline, every 2000 ms (1000 ms for 1s) when it
                                      changed; at the interval's end the closed kline (x: true)
    ticker, miniTicker                24-hour rolling statistics (as GET /api/v3/ticker/24hr),
                                      every 1000 ms when they changed

Periods are counted on the simulator's clock: with a manual clock an update waits for the test
to move time. A periodic stream sends its first frame at once when it is subscribed (Binance
sends it within one period). One `Feed` per subscribed name holds that stream's state, shared
by every connection that carries it; it goes when the last subscriber does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tradeguard.sim import wire, wire_market
from tradeguard.sim.records import KlineBar, MarketEvent
from tradeguard.sim.rest_market import day_ticker
from tradeguard.sim.rest_params import KLINE_INTERVALS_MS

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.streams_hub import MarketSink

ZERO = Decimal(0)
KLINE_PERIOD_MS = 2000
KLINE_1S_PERIOD_MS = 1000
TICKER_PERIOD_MS = 1000
DEFAULT_DEPTH_PERIOD_MS = 1000
_NAME = re.compile(
    r"^[a-z0-9]{1,20}@(?:(trade|aggTrade|bookTicker|ticker|miniTicker)"
    r"|kline_([0-9]{1,2}[smhdwM])"
    r"|depth(5|10|20)?(?:@(100|1000)ms)?)$"
)
Out = Callable[[dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class StreamSpec:
    name: str  # canonical: the symbol lowercased
    symbol: str  # as the engine knows it (uppercase)
    kind: str  # trade | aggTrade | bookTicker | ticker | miniTicker | kline | depth | partial
    period_ms: int = 0  # how often a periodic stream may send; 0: real time
    levels: int = 0  # partial depth
    interval: str = ""  # kline
    interval_ms: int = 0


def parse_stream(raw: str, symbols: set[str] | dict[str, Any]) -> StreamSpec | None:
    """The stream `raw` names, or None if it is no stream the simulator serves."""
    symbol, at, rest = raw.partition("@")
    name = f"{symbol.lower()}@{rest}"
    match = _NAME.match(name) if at else None
    if match is None or symbol.upper() not in symbols:
        return None
    simple, interval, levels, speed = match.groups()
    upper = symbol.upper()
    if simple is not None:
        period = TICKER_PERIOD_MS if simple in ("ticker", "miniTicker") else 0
        return StreamSpec(name, upper, simple, period)
    if interval is not None:
        if interval not in KLINE_INTERVALS_MS:
            return None
        period = KLINE_1S_PERIOD_MS if interval == "1s" else KLINE_PERIOD_MS
        return StreamSpec(
            name,
            upper,
            "kline",
            period,
            interval=interval,
            interval_ms=KLINE_INTERVALS_MS[interval],
        )
    period = int(speed) if speed is not None else DEFAULT_DEPTH_PERIOD_MS
    if levels is not None:
        return StreamSpec(name, upper, "partial", period, levels=int(levels))
    return StreamSpec(name, upper, "depth", period)


class Feed:
    """One subscribed stream's state. `source`: the engine event stream it listens to, if any."""

    def __init__(self, spec: StreamSpec, sim: Sim) -> None:
        self.spec = spec
        self.sim = sim
        self.sent_at: int | None = None
        lower = spec.symbol.lower()
        self.source = {
            "trade": f"{lower}@trade",
            "aggTrade": f"{lower}@trade",
            "bookTicker": f"{lower}@bookTicker",
            "depth": f"{lower}@depthUpdate",
        }.get(spec.kind)

    def due(self, now: int) -> bool:
        return self.sent_at is None or now - self.sent_at >= self.spec.period_ms

    def on_event(self, payload: dict[str, Any], out: Out) -> None:
        """An engine event of `source`."""

    def tick(self, now: int, out: Out) -> None:
        """Send what is due at `now`."""

    def reset(self) -> None:
        """The simulator was reset: start over from the new engine."""
        self.sent_at = None


class RelayFeed(Feed):
    """trade and bookTicker: the engine's own payloads, as they happen."""

    def on_event(self, payload: dict[str, Any], out: Out) -> None:
        out(payload)


class AggTradeFeed(Feed):
    def on_event(self, payload: dict[str, Any], out: Out) -> None:
        out(wire_market.agg_trade_event(payload))


class DiffDepthFeed(Feed):
    """The book's changes since the last frame, merged: a level's latest quantity wins."""

    def __init__(self, spec: StreamSpec, sim: Sim) -> None:
        super().__init__(spec, sim)
        self._first_id = 0
        self._last_id = 0
        self._bids: dict[str, str] = {}
        self._asks: dict[str, str] = {}

    def on_event(self, payload: dict[str, Any], out: Out) -> None:
        if not self._last_id:
            self._first_id = payload["U"]
        self._last_id = payload["u"]
        self._bids.update((price, qty) for price, qty in payload["b"])
        self._asks.update((price, qty) for price, qty in payload["a"])

    def tick(self, now: int, out: Out) -> None:
        if not self._last_id or not self.due(now):
            return
        bids = sorted(self._bids.items(), key=lambda level: Decimal(level[0]), reverse=True)
        asks = sorted(self._asks.items(), key=lambda level: Decimal(level[0]))
        out(
            wire_market.depth_update_event(
                now,
                self.spec.symbol,
                self._first_id,
                self._last_id,
                [list(level) for level in bids],
                [list(level) for level in asks],
            )
        )
        self.sent_at = now
        self.reset_pending()

    def reset_pending(self) -> None:
        self._first_id = self._last_id = 0
        self._bids = {}
        self._asks = {}

    def reset(self) -> None:
        super().reset()
        self.reset_pending()


class PartialDepthFeed(Feed):
    """The top `levels` bids and asks, when the book changed."""

    def __init__(self, spec: StreamSpec, sim: Sim) -> None:
        super().__init__(spec, sim)
        self._update_id: int | None = None

    def tick(self, now: int, out: Out) -> None:
        if not self.due(now):
            return
        snapshot = self.sim.engine.depth(self.spec.symbol, self.spec.levels)
        if snapshot[0] == self._update_id:
            return
        self._update_id = snapshot[0]
        out(wire.depth_json(*snapshot))
        self.sent_at = now

    def reset(self) -> None:
        super().reset()
        self._update_id = None


class KlineFeed(Feed):
    """The current kline; at the interval's end the closed one (x: true) goes out first."""

    def __init__(self, spec: StreamSpec, sim: Sim) -> None:
        super().__init__(spec, sim)
        self._bar: KlineBar | None = None  # the last one sent

    def _current(self) -> KlineBar:
        engine = self.sim.engine
        interval = self.spec.interval_ms
        opened = engine.now_ms - engine.now_ms % interval
        bar = engine.kline_bar(self.spec.symbol, interval, opened)
        if bar is not None:
            return bar
        # Nothing seen in it yet: a flat kline at the last price, as an idle market's.
        last = engine.last_price(self.spec.symbol)
        return KlineBar(opened, opened + interval - 1, last, last, last, last, ZERO, ZERO, 0,
                        ZERO, ZERO, -1, -1)  # fmt: skip

    def _send(self, now: int, bar: KlineBar, closed: bool, out: Out) -> None:
        out(wire_market.kline_event(now, self.spec.symbol, self.spec.interval, bar, closed))

    def tick(self, now: int, out: Out) -> None:
        bar = self._current()
        sent = self._bar
        if sent is not None and bar.open_time > sent.open_time:
            final = self.sim.engine.kline_bar(
                self.spec.symbol, self.spec.interval_ms, sent.open_time
            )
            self._send(now, final or sent, True, out)
        elif sent is not None and (bar == sent or not self.due(now)):
            return
        self._send(now, bar, False, out)
        self._bar = bar
        self.sent_at = now

    def reset(self) -> None:
        super().reset()
        self._bar = None


class TickerFeed(Feed):
    """ticker / miniTicker: the 24-hour statistics, when they changed."""

    def __init__(self, spec: StreamSpec, sim: Sim) -> None:
        super().__init__(spec, sim)
        self._row: dict[str, Any] | None = None

    def tick(self, now: int, out: Out) -> None:
        if not self.due(now):
            return
        row = day_ticker(self.sim, self.spec.symbol, now)
        # The window's ends move with every millisecond; only the statistics are news.
        compared = {k: v for k, v in row.items() if k not in ("openTime", "closeTime")}
        if compared == self._row:
            return
        self._row = compared
        mini = self.spec.kind == "miniTicker"
        out(wire_market.mini_ticker_event(now, row) if mini else wire_market.ticker_event(now, row))
        self.sent_at = now

    def reset(self) -> None:
        super().reset()
        self._row = None


_FEEDS: dict[str, type[Feed]] = {
    "trade": RelayFeed,
    "bookTicker": RelayFeed,
    "aggTrade": AggTradeFeed,
    "depth": DiffDepthFeed,
    "partial": PartialDepthFeed,
    "kline": KlineFeed,
    "ticker": TickerFeed,
    "miniTicker": TickerFeed,
}


class Feeds:
    """The feeds of every subscribed stream; subscribers are kept by the hub."""

    def __init__(self, sim: Sim) -> None:
        self._sim = sim
        self._feeds: dict[str, Feed] = {}
        self._by_source: dict[str, list[Feed]] = {}

    def follows(self, source: str) -> bool:
        """Whether a feed follows the engine's event stream `source` ("btcusdt@bookTicker")."""
        return bool(self._by_source.get(source))

    def subscribe(self, sink: MarketSink, spec: StreamSpec) -> None:
        self._sim.hub.add_market(sink, spec.name)
        if spec.name in self._feeds:
            return
        feed = _FEEDS[spec.kind](spec, self._sim)
        self._feeds[spec.name] = feed
        if feed.source is not None:
            self._by_source.setdefault(feed.source, []).append(feed)

    def unsubscribe(self, sink: MarketSink, name: str | None = None) -> None:
        """Take `name` (or every stream) off `sink`; a stream nobody carries any more stops."""
        names = [name] if name is not None else list(sink.streams)
        hub = self._sim.hub
        for stream in names:
            hub.remove_market(sink, stream)
            feed = self._feeds.get(stream)
            if feed is not None and not hub.has_market(stream):
                del self._feeds[stream]
                if feed.source is not None:
                    self._by_source[feed.source].remove(feed)

    def _out(self, feed: Feed) -> Out:
        hub = self._sim.hub
        name = feed.spec.name
        return lambda payload: hub.market_event(name, payload)

    def on_event(self, event: MarketEvent) -> None:
        for feed in self._by_source.get(event.stream, ()):
            feed.on_event(event.payload, self._out(feed))

    def tick(self, now: int) -> None:
        for feed in list(self._feeds.values()):
            feed.tick(now, self._out(feed))

    def reset(self) -> None:
        for feed in self._feeds.values():
            feed.reset()
