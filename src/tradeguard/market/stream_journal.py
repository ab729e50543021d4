"""Each market connection's ups and downs in the journal, by the journal's stream name
("market", "market:candles"): `StreamConnected` on every connection, `StreamGapLost` with the
time it first went down and why, `StreamGapFilled` with that time once it is back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tradeguard.events import StreamConnected, StreamGapFilled, StreamGapLost


class StreamJournal:
    def __init__(self, emit: Callable[..., Any], wall_ms: Callable[[], int]) -> None:
        self._emit = emit
        self._wall_ms = wall_ms
        self._down_since_ms: dict[str, int] = {}  # by the journal's stream name

    def connected(self, stream: str) -> int | None:
        """Journal a connection up; since when it was down (None: its first connection)."""
        self._emit(StreamConnected, stream=stream)
        since = self._down_since_ms.pop(stream, None)
        if since is not None:
            self._emit(StreamGapFilled, stream=stream, since_ms=since)
        return since

    def down(self, stream: str) -> bool:
        """Whether the connection went down and is not back (not before its first one)."""
        return stream in self._down_since_ms

    def lost(self, stream: str, reason: str) -> None:
        """Journal a connection down; a second drop before it is back keeps the first time."""
        since = self._down_since_ms.setdefault(stream, self._wall_ms())
        self._emit(StreamGapLost, stream=stream, since_ms=since, reason=reason)


__all__ = ["StreamJournal"]
