"""Books whose stream sends its own snapshot (Bybit, OKX, Kraken), each kept by its venue's rule
for a missing message. Pure: frames in, a book out, no I/O. The keeper reads them as it reads
Binance's (book.py's `LocalBook`, kept from a REST snapshot and diffs): both are `SyncedBook`s.

    Bybit   orderbook.N: a snapshot, then deltas whose `u` is the last one's + 1. A snapshot
            (also one with u = 1, after Bybit's restart) replaces the book. A delta with u <= the
            last is a repeat (dropped); any other u is a gap.
    OKX     books: a snapshot, then updates whose prevSeqId is the last seqId (seqId <= the last:
            a repeat, dropped; anything else a gap). After each, the CRC32 (signed) of the top
            25 levels, interleaved "bid:size:ask:size:...", as the exchange wrote them, must be
            the message's `checksum`.
    Kraken  book: a snapshot, then updates; no sequence number, only the CRC32 of the top 10
            asks then the top 10 bids, each price and quantity printed with the pair's decimals,
            point and leading zeros taken out. The book is trimmed to the depth subscribed
            (a level that moves into it comes in an update).

A gap or a wrong checksum discards the book (a book known to be wrong is never shown) and says
why (`why`); the keeper asks the stream for a new snapshot (it resubscribes).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

import msgspec

from tradeguard.market.book import Level, Side, SidedBook, Step, WireLevel

OKX_CHECKSUM_LEVELS = 25
KRAKEN_CHECKSUM_LEVELS = 10


class SyncedBook(Protocol):
    """What the keeper reads of a book, whichever rule keeps it."""

    symbol: str
    synced: bool
    last_update_id: int

    def bids(self, depth: int | None = None) -> list[Level]: ...
    def asks(self, depth: int | None = None) -> list[Level]: ...
    def reset(self) -> None: ...


class BookFrame(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One book message of a venue's stream, in neutral words (decoded by the venue's codec)."""

    snapshot: bool
    bids: list[WireLevel]
    asks: list[WireLevel]
    update_id: int = 0  # Bybit's u, OKX's seqId (Kraken has none)
    prev_id: int = -1  # OKX's prevSeqId
    checksum: int | None = None
    at_ms: int = 0


class StreamBook(SidedBook):
    """A book whose snapshot comes on its stream; `on_frame` applies the venue's rule."""

    __slots__ = ("_asks", "_bids", "applied", "dropped", "gaps", "keep", "last_update_id",
                 "symbol", "synced", "why")  # fmt: skip

    def __init__(self, symbol: str, *, keep: int | None = None) -> None:
        self.symbol = symbol
        self.keep = keep  # levels a side kept (Kraken's book is its top `depth`)
        self._bids = Side()
        self._asks = Side()
        self.synced = False
        self.last_update_id = 0
        self.applied = self.dropped = self.gaps = 0
        self.why = ""

    def on_frame(self, frame: BookFrame) -> Step:
        if frame.snapshot:
            self._bids.load(frame.bids)
            self._asks.load(frame.asks)
            self._trim()
            self.last_update_id = frame.update_id
            self.synced = True
            return self._checked(frame, Step.SYNCED)
        if not self.synced:
            self.dropped += 1  # a delta before the (new) snapshot: it says nothing of it
            return Step.DROPPED
        step = self._in_order(frame)
        if step is not Step.APPLIED:
            return step
        self._bids.update(frame.bids)
        self._asks.update(frame.asks)
        self._trim()
        self.last_update_id = frame.update_id
        self.applied += 1
        return self._checked(frame, Step.APPLIED)

    def _in_order(self, frame: BookFrame) -> Step:
        """APPLIED if the frame follows the last one, DROPPED for a repeat, GAP otherwise."""
        return Step.APPLIED

    def checksum(self) -> int | None:
        """The venue's checksum of the book as held (None: the venue has none)."""
        return None

    def _checked(self, frame: BookFrame, step: Step) -> Step:
        if frame.checksum is None:
            return step
        held = self.checksum()
        if held is None or held == frame.checksum:
            return step
        return self._gap(f"the book's checksum is {held}, the exchange's {frame.checksum}")

    def _gap(self, why: str) -> Step:
        self.reset()
        self.gaps += 1
        self.why = why
        return Step.GAP

    def _trim(self) -> None:
        keep = self.keep
        if keep is None:
            return
        for side, worst_first in ((self._bids, True), (self._asks, False)):
            excess = len(side.prices) - keep
            if excess > 0:
                gone = side.prices[:excess] if worst_first else side.prices[keep:]
                for key in gone:
                    price = side.spelled.pop(key)
                    del side.levels[price]
                    del side.keys[price]
                if worst_first:
                    del side.prices[:excess]
                else:
                    del side.prices[keep:]

    def reset(self) -> None:
        """Forget the book until the next snapshot."""
        self._bids.clear()
        self._asks.clear()
        self.synced = False

    def _top(self, side: Side, count: int, highest: bool) -> list[WireLevel]:
        prices = side.prices[-count:][::-1] if highest else side.prices[:count]
        return [(p, side.levels[p]) for p in (side.spelled[k] for k in prices)]

    def __repr__(self) -> str:
        state = f"synced at {self.last_update_id}" if self.synced else "awaiting a snapshot"
        return f"{type(self).__name__}({self.symbol}, {state})"


class BybitBook(StreamBook):
    __slots__ = ()

    def _in_order(self, frame: BookFrame) -> Step:
        last = self.last_update_id
        if frame.update_id == last + 1:
            return Step.APPLIED
        if frame.update_id <= last:
            self.dropped += 1
            return Step.DROPPED
        return self._gap(f"orderbook u {frame.update_id} after {last}")


class OkxBook(StreamBook):
    __slots__ = ()

    def _in_order(self, frame: BookFrame) -> Step:
        last = self.last_update_id
        if frame.prev_id == last:
            return Step.APPLIED
        if frame.update_id <= last:
            self.dropped += 1
            return Step.DROPPED
        return self._gap(f"books prevSeqId {frame.prev_id}, the last seqId {last}")

    def checksum(self) -> int:
        bids = self._top(self._bids, OKX_CHECKSUM_LEVELS, True)
        asks = self._top(self._asks, OKX_CHECKSUM_LEVELS, False)
        return okx_checksum(bids, asks)


class KrakenBook(StreamBook):
    __slots__ = ("price_places", "qty_places")

    def __init__(self, symbol: str, *, depth: int, price_places: int, qty_places: int) -> None:
        super().__init__(symbol, keep=depth)
        self.price_places = price_places
        self.qty_places = qty_places

    def checksum(self) -> int:
        asks = self._top(self._asks, KRAKEN_CHECKSUM_LEVELS, False)
        bids = self._top(self._bids, KRAKEN_CHECKSUM_LEVELS, True)
        return kraken_checksum(asks, bids, self.price_places, self.qty_places)


def okx_checksum(bids: list[WireLevel], asks: list[WireLevel]) -> int:
    """OKX's: CRC32 of "bid:size:ask:size:..." over the top 25 a side, as a signed int32."""
    parts: list[str] = []
    for i in range(max(len(bids), len(asks))):
        if i < len(bids):
            parts.extend(bids[i])
        if i < len(asks):
            parts.extend(asks[i])
    crc = zlib.crc32(":".join(parts).encode("ascii"))
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def kraken_checksum(
    asks: Iterable[WireLevel], bids: Iterable[WireLevel], price_places: int, qty_places: int
) -> int:
    """Kraken's: CRC32 of the top 10 asks then bids, each number printed with the pair's
    decimals, its point and leading zeros taken out."""

    def text(value: str, places: int) -> str:
        return f"{Decimal(value):.{places}f}".replace(".", "").lstrip("0")

    payload = "".join(
        text(p, price_places) + text(q, qty_places) for side in (asks, bids) for p, q in side
    )
    return zlib.crc32(payload.encode("ascii"))


__all__ = [
    "BookFrame", "BybitBook", "KrakenBook", "OkxBook", "StreamBook", "SyncedBook",
    "kraken_checksum", "okx_checksum",
]  # fmt: skip
