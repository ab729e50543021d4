"""A local order book kept from a REST snapshot and the diff-depth stream, by Binance's rules
("How to manage a local order book correctly", spot). Pure: frames in, a book out, no I/O.

The rules, as this module applies them (U and u are a diff's first and last update ids, L the
snapshot's `lastUpdateId`, then the id of the last diff applied):

1. Diffs that come before the book is synced are buffered (the stream is opened first, the
   snapshot fetched after).
2. At the snapshot, buffered diffs with u <= L are dropped (the snapshot holds them).
3. The first diff applied must straddle L + 1 (U <= L + 1 <= u). If the oldest diff kept starts
   after L + 1, the snapshot is older than the stream: the updates in between are in neither, so
   another snapshot is needed (`SNAPSHOT_TOO_OLD`).
4. Every later diff must start where the last one ended: U == previous u + 1. Anything else is a
   `GAP`: the book is discarded (a book known to be wrong is never shown), the diff that showed
   the gap is kept in the buffer, and the caller fetches a new snapshot.
5. A diff with u <= L after the book is synced repeats what was applied (a duplicated frame):
   dropped, not a gap.
6. Quantities are absolute; a quantity of 0 removes the level (removing a level the book does not
   hold is normal: it lay beyond the snapshot's depth).

Prices and quantities are `Decimal`, exact as the wire wrote them. msgspec decodes a depth frame's
strings straight into Decimals in C, which is faster than any scaled-integer form this module
could parse in Python (that would need the symbol's tick and a parse per level), and a Decimal
key hashes and compares in C. Each side is a dict (price -> quantity: an update is one dict
operation) beside a sorted list of its prices (bisect: only a level that appears or disappears
moves the list), so the best price is one index and the top N a slice.
"""

from __future__ import annotations

import enum
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterable
from decimal import Decimal

import msgspec

Level = tuple[Decimal, Decimal]  # price, quantity
MAX_BUFFERED = 10_000  # diffs held while the snapshot is awaited (a ban can hold it for minutes)


class DepthDiff(
    msgspec.Struct,
    frozen=True,
    gc=False,
    rename={"first_id": "U", "last_id": "u", "bids": "b", "asks": "a", "event_ms": "E"},
):
    """One diff-depth event: the levels that changed between update ids `first_id` (U) and
    `last_id` (u), each with its new absolute quantity. It decodes straight from a
    `depthUpdate` payload's bytes (the wire's names are its renames; "e" and "s" are skipped)."""

    first_id: int
    last_id: int
    bids: list[Level]
    asks: list[Level]
    event_ms: int = 0


class Step(enum.Enum):
    """What the book did with a diff or a snapshot."""

    BUFFERED = "buffered"  # not synced yet: kept for the snapshot
    APPLIED = "applied"
    DROPPED = "dropped"  # u <= the book's update id: already in it
    SYNCED = "synced"  # a snapshot taken, the buffered diffs after it applied
    GAP = "gap"  # an update id is missing: the book is discarded, fetch a snapshot
    SNAPSHOT_TOO_OLD = "snapshot too old"  # the oldest buffered diff starts after it: fetch again


class Side:
    """One side of the book: price -> quantity, and the prices kept sorted ascending."""

    __slots__ = ("levels", "prices")

    def __init__(self) -> None:
        self.levels: dict[Decimal, Decimal] = {}
        self.prices: list[Decimal] = []

    def load(self, rows: Iterable[Level]) -> None:
        self.levels = {price: qty for price, qty in rows if qty}
        self.prices = sorted(self.levels)

    def update(self, rows: Iterable[Level]) -> None:
        levels, prices = self.levels, self.prices
        for price, qty in rows:
            if qty:
                if price not in levels:
                    insort(prices, price)
                levels[price] = qty
            elif levels.pop(price, None) is not None:
                del prices[bisect_left(prices, price)]

    def clear(self) -> None:
        self.levels = {}
        self.prices = []


class LocalBook:
    """One symbol's book. Feed it every diff as it arrives (`on_diff`) and a snapshot when it
    asks for one (`wants_snapshot`); read it only while `synced`."""

    __slots__ = (
        "_asks",
        "_bids",
        "_buffer",
        "_chained",
        "applied",
        "dropped",
        "gaps",
        "last_update_id",
        "symbol",
        "synced",
    )

    def __init__(self, symbol: str, *, max_buffered: int = MAX_BUFFERED) -> None:
        self.symbol = symbol
        self._bids = Side()
        self._asks = Side()
        self._buffer: deque[DepthDiff] = deque(maxlen=max_buffered)
        self.synced = False
        self._chained = False  # a diff applied since the snapshot: U must be u + 1 from now on
        self.last_update_id = 0
        self.applied = 0
        self.dropped = 0
        self.gaps = 0

    @property
    def wants_snapshot(self) -> bool:
        return not self.synced

    def on_diff(self, diff: DepthDiff) -> Step:
        if not self.synced:
            self._buffer.append(diff)
            return Step.BUFFERED
        last = self.last_update_id
        if diff.last_id <= last:
            self.dropped += 1
            return Step.DROPPED
        if diff.first_id != last + 1 and (self._chained or diff.first_id > last + 1):
            self._discard()
            self._buffer.append(diff)
            self.gaps += 1
            return Step.GAP
        self._bids.update(diff.bids)
        self._asks.update(diff.asks)
        self.last_update_id = diff.last_id
        self._chained = True
        self.applied += 1
        return Step.APPLIED

    def on_snapshot(
        self, last_update_id: int, bids: Iterable[Level], asks: Iterable[Level]
    ) -> Step:
        """Take a REST snapshot and apply the buffered diffs that come after it."""
        kept = [d for d in self._buffer if d.last_id > last_update_id]
        self.dropped += len(self._buffer) - len(kept)
        self._buffer = deque(kept, maxlen=self._buffer.maxlen)
        if kept and kept[0].first_id > last_update_id + 1:
            return Step.SNAPSHOT_TOO_OLD
        self._bids.load(bids)
        self._asks.load(asks)
        self.last_update_id = last_update_id
        self.synced = True
        self._chained = False
        self._buffer.clear()
        for at, diff in enumerate(kept):
            if self.on_diff(diff) is Step.GAP:
                self._buffer.extend(kept[at + 1 :])  # later diffs wait for the next snapshot
                return Step.GAP
        return Step.SYNCED

    def _discard(self) -> None:
        self._bids.clear()
        self._asks.clear()
        self.synced = False
        self._chained = False
        self._buffer.clear()

    def reset(self) -> None:
        """Forget everything (a new connection: the old stream's diffs say nothing of it)."""
        self._discard()
        self.last_update_id = 0

    # ── reading (only while synced) ───────────────────────────────────────────────────────
    def bids(self, depth: int | None = None) -> list[Level]:
        """Best (highest) first."""
        prices, levels = self._bids.prices, self._bids.levels
        top = prices if depth is None else prices[-depth:] if depth > 0 else []
        return [(p, levels[p]) for p in reversed(top)]

    def asks(self, depth: int | None = None) -> list[Level]:
        """Best (lowest) first."""
        prices, levels = self._asks.prices, self._asks.levels
        top = prices if depth is None else prices[:depth]
        return [(p, levels[p]) for p in top]

    def best_bid(self) -> Level | None:
        prices = self._bids.prices
        return (prices[-1], self._bids.levels[prices[-1]]) if prices else None

    def best_ask(self) -> Level | None:
        prices = self._asks.prices
        return (prices[0], self._asks.levels[prices[0]]) if prices else None

    def __repr__(self) -> str:
        state = f"synced at {self.last_update_id}" if self.synced else "awaiting a snapshot"
        return f"LocalBook({self.symbol}, {state}, {len(self._buffer)} buffered)"


__all__ = ["MAX_BUFFERED", "DepthDiff", "Level", "LocalBook", "Step"]
