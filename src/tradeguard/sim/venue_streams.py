"""A venue dialect's public-stream connection, carried by the simulator's own market feeds.

The feeds (streams_feeds.py) are named as Binance names them and send Binance payloads; a
`VenueSink` subscribes a connection to the feeds its venue topics need and hands each payload to
the dialect's `Topic`, which says it again in the venue's words. Everything else is shared with
the Binance dialect: one feed per stream whoever carries it, the same periods, and the stream
faults (drop, terminate, silence, duplicate, reorder) of channel "market" on the way out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from tradeguard.sim.streams_feeds import parse_stream
from tradeguard.sim.streams_hub import MarketSink, StreamConn

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim


class Topic(Protocol):
    """One venue topic on one connection (its own sequence numbers, its book's position)."""

    name: str  # as the venue's client named it ("orderbook.50.BTCUSDT")
    feed: str  # the simulator feed it listens to ("btcusdt@depth@100ms")

    def opened(self) -> list[object]:
        """What the venue sends at once on subscribing (a book's snapshot), if anything."""
        ...

    def said(self, payload: dict[str, Any]) -> list[object]:
        """The feed's payload as the venue sends it (none, one or more messages)."""
        ...


class VenueSink(MarketSink):
    def __init__(self, sim: Sim, conn: StreamConn) -> None:
        super().__init__(conn, wrapped=False)
        self.sim = sim
        self.topics: dict[str, Topic] = {}  # by venue name
        conn.active = lambda: bool(self.topics)

    def feed_exists(self, feed: str) -> bool:
        return parse_stream(feed, self.sim.symbols()) is not None

    def add(self, topic: Topic) -> None:
        """Subscribe `topic`: its feed starts (or is shared) and its first messages queue up."""
        spec = parse_stream(topic.feed, self.sim.symbols())
        assert spec is not None, topic.feed  # the dialect checked the name first
        self.remove(topic.name)
        self.topics[topic.name] = topic
        self.sim.feeds.subscribe(self, spec)
        self.conn.pending.extend(topic.opened())

    def remove(self, name: str) -> None:
        topic = self.topics.pop(name, None)
        if topic is None:
            return
        if not any(t.feed == topic.feed for t in self.topics.values()):
            self.sim.feeds.unsubscribe(self, topic.feed)

    def close(self) -> None:
        self.topics.clear()
        self.sim.feeds.unsubscribe(self)

    def event(self, stream: str, payload: dict[str, Any]) -> None:
        for topic in list(self.topics.values()):
            if topic.feed == stream:
                self.conn.pending.extend(topic.said(payload))
