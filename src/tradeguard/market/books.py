"""The local books a keeper keeps, one per symbol read, from the depth stream (book.py's rules).

    first read      subscribe `<s>@depth@100ms` (diffs are buffered from then on), and once the
                    exchange confirms the subscription take a REST snapshot: the book is in sync
    a gap           the book is discarded (never shown wrong), journaled as `StreamGapLost`
                    ("book:<SYMBOL>"), and rebuilt from a new snapshot, then `StreamGapFilled`
    a reconnection  every book starts over (the old stream's diffs say nothing of the new one)
    a ban           the snapshot waits for its end; the stream's diffs keep being buffered

A read waits for the book to be in sync (up to `sync_timeout_s`); a read of a book in sync sends
nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from tradeguard.errors import (
    ConfigError,
    ExchangeError,
    RateLimited,
    TradeguardError,
    TransportError,
)
from tradeguard.events import StreamGapFilled, StreamGapLost
from tradeguard.market.book import DepthDiff, LocalBook, Step, WireLevel
from tradeguard.market.cache import MarketStats
from tradeguard.market.sync import SyncedBook
from tradeguard.market.values import OrderBook

if TYPE_CHECKING:
    from tradeguard.market.keeper import MarketConfig
    from tradeguard.market.stream import MarketStream
    from tradeguard.market.stream_base import Handler
    from tradeguard.market.venue_stream import VenueStream


class Snapshots(Protocol):
    async def depth_snapshot(
        self, symbol: str, limit: int
    ) -> tuple[int, list[WireLevel], list[WireLevel]]: ...


@dataclass
class KeptBook:
    symbol: str
    book: SyncedBook  # a LocalBook here; a sync.StreamBook on a venue whose stream snapshots
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # in sync, or refused
    refused: str | None = None  # why the exchange will not give this book (a symbol unlisted)
    task: asyncio.Task[None] | None = None
    gap_since_ms: int | None = None
    at_ms: int = 0
    changed_at: float = 0.0  # monotonic time of its last change (a diff applied, or in sync)

    def view(self, depth: int) -> OrderBook:
        book = self.book
        return OrderBook(
            symbol=self.symbol, bids=tuple(book.bids(depth)), asks=tuple(book.asks(depth)),
            update_id=book.last_update_id, at_ms=self.at_ms,
        )  # fmt: skip


def raise_if_refused(state: KeptBook) -> None:
    """Raise why the exchange will not give this book, if it refused it."""
    if state.refused is not None:
        raise ConfigError(
            f"no order book of {state.symbol}: {state.refused}",
            hint="check the symbol is one the exchange lists",
        )


class StreamedBooks:
    def __init__(
        self,
        rest: Snapshots,
        stream: MarketStream | VenueStream,
        *,
        stats: MarketStats,
        config: MarketConfig,
        emit: Callable[..., None],
        tell: Callable[[tuple[str, ...], Any], None],
        watched: Callable[[tuple[str, ...]], bool],
        wall_ms: Callable[[], int],
        server_now_ms: Callable[[], int],
        monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.rest = rest
        self.stream = stream
        self.stats = stats
        self.config = config
        self._emit = emit
        self._tell = tell
        self._watched = watched
        self._wall_ms = wall_ms
        self._server_now_ms = server_now_ms
        self.monotonic = monotonic
        self._sleep = sleep
        self.kept: dict[str, KeptBook] = {}

    def get(self, symbol: str) -> KeptBook:
        """The symbol's book, subscribed and being synced from the first time it is asked for."""
        state = self.kept.get(symbol)
        if state is None:
            book = LocalBook(symbol)
            state = self.kept[symbol] = KeptBook(symbol, book)
            self.stream.subscribe(self._depth_name(symbol), self._depth_handler(state, book))
            self._resync(state)
        return state

    def _depth_name(self, symbol: str) -> str:
        return f"{symbol.lower()}@depth@{self.config.depth_speed}"

    def _depth_handler(self, state: KeptBook, book: LocalBook) -> Handler:
        """The hot path: a diff applied; everything it needs bound once."""
        on_diff = book.on_diff
        watched, tell, monotonic = self._watched, self._tell, self.monotonic
        topic = ("book", state.symbol)
        applied, gap = Step.APPLIED, Step.GAP

        def on_depth(diff: Any) -> None:
            if diff.__class__ is not DepthDiff:
                return  # another payload under this stream's name: not a diff
            step = on_diff(diff)
            if step is applied:
                state.at_ms = diff.event_ms
                state.changed_at = monotonic()
                if watched(topic):
                    tell(topic, None)
            elif step is gap:
                self.stats.gaps += 1
                self._lost(state, f"depth update ids missing before {diff.first_id}")

        return on_depth

    def _lost(self, state: KeptBook, reason: str) -> None:
        state.ready.clear()
        if state.gap_since_ms is None:
            state.gap_since_ms = self._wall_ms()
            self._emit(StreamGapLost, stream=f"book:{state.symbol}", since_ms=state.gap_since_ms,
                       reason=reason)  # fmt: skip
        self._resync(state)

    def _resync(self, state: KeptBook) -> None:
        if state.task is None or state.task.done():
            state.task = asyncio.ensure_future(self._sync(state))

    async def _sync(self, state: KeptBook) -> None:
        """A snapshot once the depth stream is confirmed, until the book is in sync."""
        name = self._depth_name(state.symbol)
        book = state.book
        assert isinstance(book, LocalBook)
        while not book.synced:
            await self.stream.confirmed(name)
            if name in self.stream.refused:
                self._refused(state, f"the depth stream was refused: {self.stream.refused[name]}")
                return
            try:
                snapshot = await self.rest.depth_snapshot(state.symbol, self.config.snapshot_levels)
            except RateLimited as exc:
                # a ban or a pause: the stream keeps flowing (diffs are buffered), REST waits
                await self._sleep(max(exc.retry_after_s or 0.0, self.config.resync_backoff_s))
                continue
            except ExchangeError as exc:
                if exc.http_status is not None and exc.http_status < 500:
                    # refused (an unlisted symbol): asking again would spend weight for nothing
                    self._refused(state, f"its snapshot was refused: {exc}")
                    return
                await self._sleep(self.config.resync_backoff_s)
                continue
            except TradeguardError:  # NotSent, OutcomeUnknown, a 5xx: try again shortly
                await self._sleep(self.config.resync_backoff_s)
                continue
            if book.on_snapshot(*snapshot) is Step.SYNCED:
                self.stats.book_resyncs += 1
                state.at_ms = self._server_now_ms()
                state.changed_at = self.monotonic()
                state.ready.set()
                if state.gap_since_ms is not None:
                    self._emit(StreamGapFilled, stream=f"book:{state.symbol}",
                               since_ms=state.gap_since_ms)  # fmt: skip
                    state.gap_since_ms = None
                self._tell(("book", state.symbol), None)
                return
            # the snapshot is older than the buffered diffs, or a buffered diff broke the chain

    def _refused(self, state: KeptBook, why: str) -> None:
        state.refused = why
        state.ready.set()  # wakes the readers, who raise it
        self._tell(("book", state.symbol), None)  # and the watchers

    async def until_synced(self, state: KeptBook) -> None:
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for loses a cancellation that
            # comes in the same turn as the sync, and the reader's task went on as if not stopped
            async with asyncio.timeout(self.config.sync_timeout_s):
                await state.ready.wait()
        except TimeoutError:
            raise TransportError(
                f"the book of {state.symbol} is not in sync after "
                f"{self.config.sync_timeout_s:g} s (the depth stream or its snapshot is late)",
                hint="the stream reconnects and the book is rebuilt by itself; read it again",
            ) from None
        raise_if_refused(state)

    def reconnected(self, down_since_ms: int) -> None:
        """A new connection: every book starts over from a snapshot."""
        for state in self.kept.values():
            state.book.reset()
            state.ready.clear()
            if state.gap_since_ms is None:
                state.gap_since_ms = down_since_ms
            self._resync(state)

    def down(self) -> None:
        for state in self.kept.values():
            state.ready.clear()

    def close(self) -> None:
        for state in self.kept.values():
            if state.task is not None:
                state.task.cancel()


__all__ = ["KeptBook", "StreamedBooks", "raise_if_refused"]
