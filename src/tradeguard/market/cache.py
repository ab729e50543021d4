"""Market reads cached for as long as each stays true enough, and the count of requests that
the cache and the streams saved (pure: time is an argument, in monotonic seconds).

What a read costs on Binance is its request weight (depth 5-250, klines 2, trades 25, a ticker
2): a bot asking for the book every 100 ms over REST would spend 3,000 weight a minute of the
6,000 it has for everything, orders included. Every answer that came from the cache or from a
stream instead of a request is counted here with the weight it would have cost, and the
`tradeguard run` summary shows the sum.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

# How long a REST answer stands in for a new request (a venue with no market stream, or before
# the stream's first frame). Listings change rarely; prices move every moment.
TTL_S = {
    "ticker": 1.0,
    "book": 0.5,
    "trades": 1.0,
    "candles": 5.0,
    "exchange_info": 3600.0,  # the symbol rules: refreshed hourly by the venue
}


@dataclass
class MarketStats:
    """Market data requests made and saved since the session started."""

    requests: int = 0  # REST reads sent for market data
    weight: int = 0  # their request weight
    from_cache: int = 0  # reads answered by a cached REST answer
    from_stream: int = 0  # reads answered from a stream (the book, tickers, candles, trades)
    weight_saved: int = 0  # the weight the saved reads would have cost
    frames: int = 0  # market stream frames read
    connections: int = 0  # market stream connections opened (reconnects included)
    stale: int = 0  # times the stream went quiet past `stale_after_s` and was replaced
    book_resyncs: int = 0  # books rebuilt from a snapshot (after a gap or a new connection)
    gaps: int = 0  # missing depth update ids seen

    @property
    def saved(self) -> int:
        return self.from_cache + self.from_stream

    def line(self) -> str:
        """One line for the run summary."""
        return (
            f"market data: {_n(self.requests, 'request')} (weight {self.weight}); "
            f"{_n(self.saved, 'read')} served without one, by the streams ({self.from_stream}) "
            f"and the cache ({self.from_cache}), saving weight {self.weight_saved}; "
            f"stream: {_n(self.connections, 'connection')}, {self.stale} stale, "
            f"{_n(self.book_resyncs, 'book snapshot')}"
        )

    def caption(self) -> str:
        """The live panel's short form."""
        return (
            f"market data: {_n(self.requests, 'request')}, {self.saved} saved by streams and cache"
        )


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


@dataclass
class TtlCache:
    """Answers kept until they expire; a hit is counted in `stats` with the weight it saved."""

    stats: MarketStats = field(default_factory=MarketStats)
    _entries: dict[Hashable, tuple[float, Any]] = field(default_factory=dict)

    def get(self, key: Hashable, now: float, weight: int) -> Any:
        """The cached answer, or None when there is none still fresh."""
        held = self._entries.get(key)
        if held is None or held[0] <= now:
            return None
        self.stats.from_cache += 1
        self.stats.weight_saved += weight
        return held[1]

    def put(self, key: Hashable, value: Any, ttl_s: float, now: float) -> None:
        self._entries[key] = (now + ttl_s, value)

    def forget(self, key: Hashable) -> None:
        self._entries.pop(key, None)


__all__ = ["TTL_S", "MarketStats", "TtlCache"]
