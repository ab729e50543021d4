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

Prices and quantities are kept exactly as the exchange wrote them (decimal strings) and become
`Decimal` only when read. Why not Decimal throughout: decoding a depth frame's 40 amounts into
Decimals costs about four times the rest of applying it (msgspec decodes strings at memory
speed; a Decimal is an object built per amount), and a string's hash is cached where a
Decimal's is computed at every lookup. The strings are exact (they are the exchange's own
digits); what a string cannot give is numeric order, so each side also keeps its prices as
exact integers (units of 10^-18, `scaled`) in a sorted list, touched only when a level appears
or disappears. A price written two ways ("10.5", "10.50000000") is the same level: a lookup
that misses is checked against the integers before a level is added or removed.
"""

from __future__ import annotations

import enum
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterable
from decimal import Decimal

import msgspec

Level = tuple[Decimal, Decimal]  # price, quantity, as read
WireLevel = tuple[str, str]  # price, quantity, as the exchange wrote them
MAX_BUFFERED = 10_000  # diffs held while the snapshot is awaited (a ban can hold it for minutes)
FRACTION_DIGITS = 18  # more than any exchange writes
_UNIT = 10**FRACTION_DIGITS


def scaled(text: str) -> int:
    """A decimal string as an exact integer count of 10^-18, ordered as the numbers are."""
    whole, _, fraction = text.partition(".")
    if len(fraction) > FRACTION_DIGITS or not (whole or fraction):
        raise ValueError(f"not a price this book can hold exactly: {text!r}")
    units: int = int(whole or 0) * _UNIT
    return units + int(fraction.ljust(FRACTION_DIGITS, "0")) if fraction else units


# Every quantity written as exchanges write them (digits, at most one point, a digit before it)
# is above this string exactly when it is not zero: "0", "0.0" and "0.00000000" are prefixes of
# it (so below), and a nonzero digit anywhere comes before its 0 (so above). One C comparison
# instead of parsing a number.
_ZERO = "0." + "0" * 40


def _fraction(price: str) -> int:
    """How many digits a price is written with after its point."""
    point = price.find(".")
    return 0 if point < 0 else len(price) - point - 1


class DepthDiff(
    msgspec.Struct,
    frozen=True,
    gc=False,
    tag_field="e",
    tag="depthUpdate",
    rename={"first_id": "U", "last_id": "u", "bids": "b", "asks": "a", "event_ms": "E"},
):
    """One diff-depth event: the levels that changed between update ids `first_id` (U) and
    `last_id` (u), each with its new absolute quantity. It decodes straight from a
    `depthUpdate` payload's bytes (the wire's names are its renames, "e" its tag; "s" is
    skipped)."""

    first_id: int
    last_id: int
    bids: list[WireLevel]
    asks: list[WireLevel]
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
    """One side of the book: price -> quantity as written, and the prices in numeric order.

    While every price is written with the same number of digits after the point (Binance writes
    a symbol's prices one way), a price's integer is its digits without the point; a price
    written otherwise turns the side "mixed": every integer is recomputed in units of 10^-18
    (`scaled`) and every miss is looked for under its number."""

    __slots__ = ("fraction", "keys", "levels", "mixed", "prices", "spelled")

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.levels: dict[str, str] = {}  # price as written -> quantity as written
        self.keys: dict[str, int] = {}  # price as written -> its integer
        self.spelled: dict[int, str] = {}  # integer -> the spelling `levels` keys it by
        self.prices: list[int] = []  # integers, ascending
        self.fraction = -1  # digits after the point in the prices (-1: none seen yet)
        self.mixed = False

    def load(self, rows: Iterable[WireLevel]) -> None:
        self.clear()
        for price, qty in rows:
            if qty > _ZERO:
                key = self._add(price, qty)
                if key is not None:
                    self.prices.append(key)
        self.prices.sort()

    def update(self, rows: Iterable[WireLevel]) -> None:
        # The hot loop, written out: a quantity change is one dict store; a new price written
        # the book's way is its integer found without a call; anything else takes `_add`.
        levels, keys, spelled, prices = self.levels, self.keys, self.spelled, self.prices
        zero, place, find = _ZERO, insort, bisect_left  # locals: the loop looks them up often
        for price, qty in rows:
            if qty > zero:  # any digit other than 0 (see _ZERO)
                if price in levels:
                    levels[price] = qty
                    continue
                point = price.find(".")
                if self.mixed or point < 0 or len(price) - point - 1 != self.fraction:
                    key = self._add(price, qty)
                    if key is not None:
                        place(prices, key)
                    continue
                key = int(price[:point] + price[point + 1 :])
                held = spelled.get(key)
                if held is None:
                    spelled[key] = price
                    keys[price] = key
                    levels[price] = qty
                    place(prices, key)
                else:
                    levels[held] = qty  # the same price, written otherwise
                continue
            key = keys.pop(price, None)
            if key is not None:
                del levels[price]
                del spelled[key]
                del prices[find(prices, key)]
            else:
                point = price.find(".")  # _fraction, inlined: most removals end here
                if self.mixed or (len(price) - point - 1 if point >= 0 else 0) != self.fraction:
                    self._remove_respelled(price)
                # else: a level the book does not hold (beyond the snapshot's depth): normal

    def _key(self, price: str) -> int:
        """The price's integer: its digits without the point while the side is not mixed."""
        if not self.mixed:
            point = price.find(".")
            digits = len(price) - point - 1 if point >= 0 else 0
            if self.fraction < 0:
                self.fraction = digits
            if digits == self.fraction:
                return int(price.replace(".", "", 1)) if point >= 0 else int(price)
            self._mix()
        return scaled(price)

    def _mix(self) -> None:
        """A price written with other digits: every integer in units of 10^-18 from now on."""
        self.mixed = True
        # in place: `update` holds these dicts while it runs
        self.keys.clear()
        self.keys.update((price, scaled(price)) for price in self.levels)
        self.spelled.clear()
        self.spelled.update((key, price) for price, key in self.keys.items())
        self.prices[:] = sorted(self.spelled)

    def _add(self, price: str, qty: str) -> int | None:
        """Hold a level; its integer if it is new (the caller puts it in `prices`)."""
        key = self._key(price)
        held = self.spelled.get(key)
        if held is not None:  # the same price, written otherwise
            self.levels[held] = qty
            return None
        self.spelled[key] = price
        self.keys[price] = key
        self.levels[price] = qty
        return key

    def _remove_respelled(self, price: str) -> None:
        """A removal written otherwise than the level it removes ("10.5" for "10.50000000")."""
        key = self._key(price)
        held = self.spelled.pop(key, None)
        if held is None:
            return
        del self.levels[held]
        del self.keys[held]
        del self.prices[bisect_left(self.prices, key)]

    def read(self, keys: Iterable[int]) -> list[Level]:
        levels, spelled = self.levels, self.spelled
        return [(Decimal(p), Decimal(levels[p])) for p in (spelled[k] for k in keys)]


class SidedBook:
    """The reading half of a book kept as two `Side`s (`_bids`, `_asks`): shared by the book
    kept by Binance's rules (LocalBook) and the books whose stream sends its own snapshot
    (sync.py). Read only while `synced`."""

    __slots__ = ()
    _bids: Side
    _asks: Side

    def bids(self, depth: int | None = None) -> list[Level]:
        """Best (highest) first."""
        prices = self._bids.prices
        top = prices if depth is None else prices[-depth:] if depth > 0 else []
        return self._bids.read(reversed(top))

    def asks(self, depth: int | None = None) -> list[Level]:
        """Best (lowest) first."""
        prices = self._asks.prices
        return self._asks.read(prices if depth is None else prices[:depth])

    def best_bid(self) -> Level | None:
        top = self.bids(1)
        return top[0] if top else None

    def best_ask(self) -> Level | None:
        top = self.asks(1)
        return top[0] if top else None


class LocalBook(SidedBook):
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
        self, last_update_id: int, bids: Iterable[WireLevel], asks: Iterable[WireLevel]
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

    def __repr__(self) -> str:
        state = f"synced at {self.last_update_id}" if self.synced else "awaiting a snapshot"
        return f"LocalBook({self.symbol}, {state}, {len(self._buffer)} buffered)"


__all__ = [
    "MAX_BUFFERED", "DepthDiff", "Level", "LocalBook", "Side", "SidedBook", "Step", "WireLevel",
    "scaled",
]  # fmt: skip
