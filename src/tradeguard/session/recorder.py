"""The one door every event goes through on the live path: fold, journal, watch, tell.

`record(event)` applies the event to the session's `Ledger` (the same fold replay uses), appends
it to the journal, lets the loss watch and the alert tracker see it, and hands it to whoever
listens (`tg.events()`). Order of work, and why:

- fold first, journal second: an event the ledger refuses (an overfill, a transition the table
  forbids) is not journaled as itself but as an `ErrorRaised`, so the journal never holds an
  event that replay would refuse, and live state and replayed state stay equal;
- synchronous, no `await` inside: a stream fill and an order reply that race in one event loop
  are recorded one whole event at a time;
- repeats are dropped here, before the journal, the watchers and the feeds see them: a fill
  whose trade id is booked already, a stream report of an order's state that changes nothing
  (`Ledger.apply_new` decides, from the state it holds). Here and not in the stream, because
  repeats come from every source: the stream sends an event twice, and the back-fill after a
  gap, the periodic reconciliation, a cancel that lost its race and the resolver of an unknown
  outcome all read myTrades, which returns fills the stream may have delivered already. Only
  this door sees them all, and only the ledger knows what is booked. A watcher that counts
  fills (the run's tally, the loss watch) would count a repeat twice. They are counted in
  `duplicates`, not journaled one by one.

Listeners get events through bounded queues: a bot that stops reading loses its own feed (it is
told how many it missed), never the journal or the state.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable

from tradeguard.errors import StateError
from tradeguard.events import ErrorRaised, EventBase, OrderFilled
from tradeguard.journal.replay import Ledger
from tradeguard.journal.store import JournalStore

Watcher = Callable[[EventBase], None]


class Feed:
    """One listener's events (`tg.events()`), from the moment it was asked for, not from its
    first read: a bot that takes the feed and then places an order sees that order's events.
    An async iterator over a bounded queue; `missed` counts the events dropped because the
    listener fell 10,000 behind. The recorder holds it weakly: a feed its owner dropped stops
    listening."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[EventBase | None] = asyncio.Queue(maxsize=10_000)
        self.missed = 0
        self._ended = False

    def __aiter__(self) -> Feed:
        return self

    async def __anext__(self) -> EventBase:
        if self._ended:
            raise StopAsyncIteration
        event = await self.queue.get()
        if event is None:  # the session closed
            self._ended = True
            raise StopAsyncIteration
        return event

    def end(self) -> None:
        try:
            self.queue.put_nowait(None)
        except asyncio.QueueFull:
            self.queue.get_nowait()
            self.queue.put_nowait(None)


class Recorder:
    def __init__(self, ledger: Ledger, journal: JournalStore, profile: str) -> None:
        self.ledger = ledger
        self.journal = journal
        self.profile = profile
        self.watchers: list[Watcher] = []
        self._feeds: weakref.WeakSet[Feed] = weakref.WeakSet()
        self.refused = 0  # events the ledger refused (journaled as ErrorRaised)
        self.duplicates = 0  # repeats dropped: fills booked already, reports that change nothing
        # of those, fills met again: a stream sending one twice, a back-fill re-reading it (a
        # report confirming what a reply said is routine and not worth telling a user about)
        self.repeated_fills = 0

    def record(self, event: EventBase, *, durable: bool = False) -> bool:
        """Fold, journal and tell `event`; False when it was not journaled as itself: a repeat
        (dropped, counted in `duplicates`) or refused by the ledger (an ErrorRaised saying why
        is journaled instead)."""
        try:
            if not self.ledger.apply_new(event):
                self.duplicates += 1
                if type(event) is OrderFilled:
                    self.repeated_fills += 1
                return False
        except StateError as exc:
            self.refused += 1
            refusal = ErrorRaised(
                at_ms=event.at_ms,
                profile=self.profile,
                error=type(exc).__name__,
                message=f"refused {type(event).__name__}: {exc}",
                client_order_id=getattr(event, "client_order_id", None),
            )
            self.ledger.apply(refusal)
            self.journal.append(refusal)
            self._tell(refusal)
            return False
        self.journal.append(event, durable=durable)
        self._tell(event)
        return True

    def _tell(self, event: EventBase) -> None:
        for watch in self.watchers:
            watch(event)
        if not self._feeds:  # no feed open (the usual case): skip the WeakSet's iteration guard
            return
        for feed in self._feeds:
            try:
                feed.queue.put_nowait(event)
            except asyncio.QueueFull:
                feed.missed += 1

    def feed(self) -> Feed:
        """Every event recorded from now on, until the session closes."""
        feed = Feed()
        self._feeds.add(feed)
        return feed

    @property
    def listeners(self) -> int:
        """Feeds still listening."""
        return len(self._feeds)

    def close_feeds(self) -> None:
        for feed in list(self._feeds):
            feed.end()
