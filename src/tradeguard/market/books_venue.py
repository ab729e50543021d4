"""The local books a keeper keeps on a venue whose stream sends each book's snapshot itself
(Bybit, OKX, Kraken: sync.py's rules). No REST snapshot is read.

    first read      subscribe the book's topic; its snapshot comes first on the stream
    a gap           (a sequence number missing, or a wrong checksum) the book is discarded,
                    journaled as `StreamGapLost` ("book:<SYMBOL>") with why, and the topic
                    subscribed again for a fresh snapshot, then `StreamGapFilled`
    a reconnection  every book starts over from the snapshot its resubscription brings
"""

from __future__ import annotations

import asyncio
from typing import Any

from tradeguard.events import StreamGapFilled
from tradeguard.market.book import Step
from tradeguard.market.books import KeptBook, StreamedBooks
from tradeguard.market.stream_base import Handler
from tradeguard.market.sync import BookFrame, StreamBook


class SelfSyncedBooks(StreamedBooks):
    stream: Any  # venue_stream.VenueStream

    def get(self, symbol: str) -> KeptBook:
        state = self.kept.get(symbol)
        if state is None:
            name = self.stream.topic("book", symbol)
            book = self.stream.codec.new_book(symbol)
            state = self.kept[symbol] = KeptBook(symbol, book)
            self.stream.subscribe(name, self._frame_handler(state, book))
            self.stream.expect_snapshot(name)
            state.task = asyncio.ensure_future(self._until_answered(state, name))
        return state

    async def _until_answered(self, state: KeptBook, name: str) -> None:
        await self.stream.confirmed(name)
        if name in self.stream.refused:
            self._refused(state, f"the book's stream was refused: {self.stream.refused[name]}")

    def _frame_handler(self, state: KeptBook, book: StreamBook) -> Handler:
        on_frame = book.on_frame
        watched, tell, monotonic = self._watched, self._tell, self.monotonic
        topic = ("book", state.symbol)
        applied, synced, gap = Step.APPLIED, Step.SYNCED, Step.GAP

        def on_book(frame: Any) -> None:
            if frame.__class__ is not BookFrame:
                return
            step = on_frame(frame)
            if step is applied:
                state.at_ms = frame.at_ms or state.at_ms
                state.changed_at = monotonic()
                if watched(topic):
                    tell(topic, None)
            elif step is synced:
                self._synced(state, frame.at_ms)
            elif step is gap:
                self.stats.gaps += 1
                self._lost(state, book.why)

        return on_book

    def _synced(self, state: KeptBook, at_ms: int) -> None:
        self.stream.snapshot_came(self.stream.topic("book", state.symbol))
        self.stats.book_resyncs += 1
        state.at_ms = at_ms or self._server_now_ms()
        state.changed_at = self.monotonic()
        state.ready.set()
        if state.gap_since_ms is not None:
            self._emit(StreamGapFilled, stream=f"book:{state.symbol}", since_ms=state.gap_since_ms)
            state.gap_since_ms = None
        self._tell(("book", state.symbol), None)

    def _resync(self, state: KeptBook) -> None:
        """A fresh snapshot: the topic subscribed again."""
        self.stream.resubscribe(self.stream.topic("book", state.symbol))

    def reconnected(self, down_since_ms: int) -> None:
        """A new connection: every book waits for the snapshot its resubscription brings."""
        for state in self.kept.values():
            state.book.reset()
            state.ready.clear()
            if state.gap_since_ms is None:
                state.gap_since_ms = down_since_ms


__all__ = ["SelfSyncedBooks"]
