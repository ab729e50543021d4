"""Checkpoints of an SQLite journal's write-ahead log, on a thread of their own.

SQLite in WAL mode appends every commit to `<file>-wal` and, by default, the connection that
commits copies the log back into the database once it passes 1,000 pages: a checkpoint, which
also fsyncs both files. Done by the journal's writer, that lands on the event loop in the middle
of trading (every 4 MB of journal, 10 % of the fill path's time here, and an order intent that
happens to trigger it waits for two fsyncs). Here the writer counts the pages its commits add
(an estimate that errs high) and pokes this thread at the same 1,000; the thread, on its own
connection, runs the same PASSIVE checkpoint SQLite would have run. SQLite releases the GIL
while it copies and syncs, so the copying overlaps the trading.

What does not change: the records are durable at the writer's COMMIT, before any checkpoint;
a checkpoint only moves them from one file to the other. A PASSIVE checkpoint never blocks a
writer or a reader, as SQLite's own does not. If the thread cannot checkpoint (its connection
fails), it says so through `failed`, and the writer goes back to checkpointing itself.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

Connect = Callable[[], sqlite3.Connection]

# SQLite's own threshold: a checkpoint once the log holds this many pages (4 MB)
CHECKPOINT_PAGES = 1_000


def log_pages(rows: int) -> int:
    """About how many pages of log a commit of `rows` records adds, erring high: a page for
    the table and one for an index however small the commit, and a fill is about 330 bytes of
    a 4,096-byte page."""
    return 2 + rows // 12


class Checkpointer:
    def __init__(self, connect: Connect, *, name: str = "tradeguard-journal-checkpoint") -> None:
        self._connect = connect
        self._wake = threading.Condition()
        self._asked = 0  # pokes so far
        self._done = 0  # pokes answered (a checkpoint run after each)
        self._stopping = False
        self.failed: BaseException | None = None
        self.checkpoints = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Ask for a checkpoint; returns at once."""
        with self._wake:
            self._asked += 1
            self._wake.notify()

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """Wait until every poke so far is answered (for tests and benchmarks). False on timeout."""
        with self._wake:
            return self._wake.wait_for(
                lambda: self._done >= self._asked or not self._thread.is_alive(), timeout_s
            )

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        self._thread.join()

    def _run(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:  # reported through `failed`, never lost
            self._fail(exc)
            return
        try:
            while True:
                with self._wake:
                    self._wake.wait_for(lambda: self._stopping or self._asked > self._done)
                    if self._stopping:
                        return
                    asked = self._asked
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                with self._wake:
                    self.checkpoints += 1
                    self._done = asked
                    self._wake.notify_all()
        except BaseException as exc:  # reported through `failed`, never lost
            self._fail(exc)
        finally:
            conn.close()

    def _fail(self, exc: BaseException) -> None:
        with self._wake:
            self.failed = exc
            self._done = self._asked
            self._wake.notify_all()
