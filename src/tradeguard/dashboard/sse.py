"""Server-Sent Events keyed by journal seq: the framing, and the feed that turns a journal tail
into one stream per browser tab.

A `Feed` follows one profile's journal: it reads what was appended after the last seq it saw
(every `poll_s`, or at once when `wake()` is called by a session in the same process), folds
each event into the dashboard's view, and hands the view's payload to every subscriber, with
the event's seq as the SSE `id`. It keeps the last `keep` payloads, so that a browser
reconnecting with `Last-Event-ID: N` gets exactly the payloads after N (no gap, no duplicate);
one that is further behind than that, or ahead (another journal), gets the whole snapshot again
instead (`event: snapshot`).

Everything here runs on the event loop of the web server; a subscriber registers and copies
the replay in one synchronous step, so no payload falls between the replay and the live ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tradeguard.net.task_stop import stop_task

RETRY_MS = 1000  # how long a browser waits before it reconnects
KEEPALIVE_S = 15.0  # a comment line this often, so proxies and browsers notice a dead link
POLL_S = 0.25


class View(Protocol):
    """The dashboard's pure view of one profile's journal (dashboard.view.DashboardView)."""

    def apply(self, seq: int, event: Any) -> dict[str, Any] | None: ...

    def snapshot(self, now_ms: int | None = None) -> dict[str, Any]: ...


class Tail(Protocol):
    """Reads a journal from a seq on (dashboard.tail.JournalTail)."""

    def head(self) -> int: ...

    def after(self, seq: int, limit: int = 1000) -> list[tuple[int, Any]]: ...

    def close(self) -> None: ...


def frame(data: dict[str, Any], *, seq: int | None = None, kind: str | None = None) -> bytes:
    """One SSE message: `id:` the journal seq, `event:` its kind, `data:` the JSON (one line:
    json.dumps escapes every newline inside strings)."""
    lines = []
    if seq is not None:
        lines.append(f"id: {seq}")
    if kind is not None:
        lines.append(f"event: {kind}")
    lines.append("data: " + json.dumps(data, separators=(",", ":"), default=str))
    return ("\n".join(lines) + "\n\n").encode()


def retry_line(ms: int = RETRY_MS) -> bytes:
    return f"retry: {ms}\n\n".encode()


KEEPALIVE = b": keepalive\n\n"

Message = tuple[int, dict[str, Any]]  # (seq, payload)
_END: Message = (-1, {})  # pushed into each subscriber's queue at shutdown: its stream returns


@dataclass(eq=False)  # each one is its own: kept in a set by identity
class Subscription:
    """One browser tab's stream: what to replay first, then live messages from `queue`."""

    replay: list[Message]
    resync: bool  # too far behind (or ahead): send the whole snapshot first
    queue: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)


class Feed:
    """One profile's journal, followed and fanned out to its subscribers."""

    def __init__(
        self,
        view: View,
        tail: Tail,
        start_seq: int,
        *,
        keep: int = 5000,
        poll_s: float = POLL_S,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.view = view
        self.tail = tail
        self.seq = start_seq  # the last journal seq folded into the view
        self._recent: deque[Message] = deque(maxlen=keep)
        self._floor = start_seq  # the replay covers every payload after this seq
        self._subscribers: set[Subscription] = set()
        self._poll_s = poll_s
        self._woken = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._on_error = on_error
        self.read_error: str | None = None  # the last failure to read the journal, shown

    # ── following the journal ────────────────────────────────────────────────────────────────

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._follow())

    def wake(self) -> None:
        """Something was appended in this process: read now rather than at the next poll."""
        self._woken.set()

    async def _follow(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallowed a close() landing as
            # the wake came, and close() waited for this loop forever
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_s):
                    await self._woken.wait()
            self._woken.clear()
            self.catch_up()

    def catch_up(self) -> int:
        """Fold everything appended since the last call; the number of records read."""
        read = 0
        while True:
            try:
                batch = self.tail.after(self.seq)
            except Exception as exc:  # a journal being written, a network blip: retry later
                self.read_error = f"{type(exc).__name__}: {exc}"
                if self._on_error is not None:
                    self._on_error(exc)
                return read
            self.read_error = None
            for seq, event in batch:
                self.seq = seq
                payload = self.view.apply(seq, event)
                if payload is not None:
                    self._publish((seq, payload))
            read += len(batch)
            if not batch:
                if read:
                    self._note_chain()
                return read

    def _note_chain(self) -> None:
        """Tell the view the journal's head hash and what was last verified (the real tail
        does; the page shows it with the next snapshot)."""
        note = getattr(self.tail, "note_chain", None)
        if note is not None:
            try:
                note(self.view)
            except Exception as exc:  # the chain chip waits for the next read
                self.read_error = f"{type(exc).__name__}: {exc}"

    def head(self) -> int | None:
        """The journal's head as it is now (for /metrics' lag); None if it cannot be read."""
        try:
            return self.tail.head()
        except Exception:
            return None

    def _publish(self, message: Message) -> None:
        if len(self._recent) == self._recent.maxlen:
            self._floor = self._recent[0][0]
        self._recent.append(message)
        for sub in self._subscribers:
            sub.queue.put_nowait(message)

    # ── subscribers ──────────────────────────────────────────────────────────────────────────

    def subscribe(self, after: int) -> Subscription:
        """A stream of the payloads after seq `after` (what the browser has already shown)."""
        if self._floor <= after <= self.seq:
            sub = Subscription(replay=[m for m in self._recent if m[0] > after], resync=False)
        else:
            sub = Subscription(replay=[], resync=True)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def end_streams(self) -> None:
        """Shutdown: every open stream returns (else the server waits on them forever)."""
        for sub in self._subscribers:
            sub.queue.put_nowait(_END)

    async def close(self) -> None:
        self.end_streams()
        try:
            if self._task is not None:
                await stop_task(self._task)
        finally:  # cancelled while the feed ends, the journal's tail still closes
            self.tail.close()


def is_end(message: Message) -> bool:
    return message is _END
