"""A journal's commits, run in order on a thread of their own.

Why a thread: a group commit of 2,048 events was about 4 ms of SQLite work on the event loop,
and a slow disk made it longer, in the middle of trading. Handed to this thread, the work
overlaps the trading wherever the database releases the GIL while it works (SQLite does for a
whole statement: see journal.sqlite_commits), and a disk stall stalls the journal, not the bot.

The contract, for the store that owns it:
- `submit(job)` queues a job and returns at once, unless `MAX_QUEUED` jobs already wait: then
  it waits for room, so a journal that cannot keep up slows the appender down instead of
  holding ever more events in memory;
- jobs are committed one at a time, in the order submitted;
- a job that raises stops the thread at that job: the error is kept (`failed`), the job and
  everything after it stay queued, and nothing more is tried until `resume()`; a job must
  therefore be safe to run again after it raised (it may have landed before raising);
- `drain()` waits until every job so far is committed, or one failed; `commit_now(job)` adds a
  job and waits for it;
- `wake_at(when)`: the thread calls its owner's `on_due` (held weakly too) once the monotonic
  clock reaches `when`, between jobs: the owner's group-commit timer, on the thread that commits
  anyway, so the event loop is not woken for it. `on_due` runs outside the thread's lock and may
  `submit(job, wait=False)` (it must never wait for room: only this thread makes room).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar, cast

J = TypeVar("J")

MAX_QUEUED = 8


class CommitThread(Generic[J]):
    def __init__(
        self,
        commit: Callable[[J], None],  # a bound method (held weakly)
        *,
        abandon: Callable[[J], None] = lambda job: None,
        on_due: Callable[[], None] | None = None,  # a bound method (held weakly)
        name: str = "tradeguard-journal-commits",
    ) -> None:
        # held weakly: the thread must not keep a store that nobody closed alive for ever (its
        # owner calls `stop_soon` when it goes: see SqliteJournal)
        self._commit = weakref.WeakMethod(commit)
        self._abandon = abandon  # what to do with a job never committed, at stop
        self._on_due = weakref.WeakMethod(on_due) if on_due is not None else None
        self._due: float | None = None  # when to call on_due (time.monotonic)
        self._cv = threading.Condition()
        self._jobs: deque[J] = deque()
        self._stopping = False
        self.failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: J, *, wait: bool = True) -> None:
        with self._cv:
            if wait:
                self._cv.wait_for(lambda: len(self._jobs) < MAX_QUEUED or self.failed is not None)
            self._jobs.append(job)
            self._cv.notify_all()

    def wake_at(self, when: float) -> None:
        """Call `on_due` once `time.monotonic()` reaches `when` (or an earlier time asked
        before): from any thread, under any lock of the owner's (it only schedules)."""
        with self._cv:
            if self._due is None or when < self._due:
                self._due = when
                self._cv.notify_all()

    def commit_now(self, job: J) -> BaseException | None:
        """Commit `job` after every job before it, and wait; the failure, if any (the job then
        waits in the queue like one the thread failed on). When nothing is queued, the job is
        committed on the caller's thread: a commit someone waits for (an fsynced intent) does
        not pay for two thread wake-ups. The caller must be the only one submitting (the
        store's lock), so that the thread cannot start a job meanwhile."""
        with self._cv:
            if self._jobs or self.failed is not None:
                self._jobs.append(job)
                self._cv.notify_all()
                inline = False
            else:
                inline = True
        if not inline:
            return self.drain()
        try:
            self._commit_one(job)
        except BaseException as exc:  # kept like the thread's own failures
            with self._cv:
                self._jobs.append(job)
                self.failed = exc
                self._cv.notify_all()
            return exc
        return None

    def drain(self) -> BaseException | None:
        """Wait until every job submitted is committed; the failure that stopped them, if one
        did (None: all committed)."""
        with self._cv:
            self._cv.wait_for(lambda: not self._jobs or self.failed is not None)
            return self.failed

    def resume(self) -> None:
        """After a failure: try the failed job again, then the rest."""
        with self._cv:
            if self.failed is not None:
                self.failed = None
                self._cv.notify_all()

    def idle(self) -> bool:
        """Nothing queued and nothing being committed (a job leaves the queue once committed)."""
        with self._cv:
            return not self._jobs

    def queued(self) -> list[J]:
        """The jobs not yet committed, oldest first."""
        with self._cv:
            return list(self._jobs)

    def stop(self) -> None:
        """Stop after the job under way, and wait; jobs not committed are abandoned (see
        __init__)."""
        self.stop_soon()
        self._thread.join()

    def stop_soon(self) -> None:
        """Ask the thread to stop after the job under way, without waiting (a finalizer's)."""
        with self._cv:
            self._stopping = True
            self._cv.notify_all()

    def _commit_one(self, job: J) -> None:
        commit = self._commit()
        if commit is None:
            raise RuntimeError("the journal this thread committed for is gone")
        commit(job)

    def _run(self) -> None:
        try:
            self._work()
        finally:
            with self._cv:
                for job in self._jobs:
                    self._abandon(job)
                self._jobs.clear()
                self._cv.notify_all()

    def _work(self) -> None:
        while True:
            with self._cv:
                job, due = self._next()
                if self._stopping:
                    return
            if due:
                on_due = self._on_due() if self._on_due is not None else None
                if on_due is not None:
                    on_due()
                continue
            try:
                self._commit_one(cast(J, job))
            except BaseException as exc:  # kept for the store to raise, never lost
                with self._cv:
                    self.failed = exc
                    self._cv.notify_all()
                continue
            with self._cv:
                self._jobs.popleft()
                self._cv.notify_all()

    def _next(self) -> tuple[J | None, bool]:
        """Under the lock: wait for the next job to commit, or for `on_due`'s time (then
        (None, True)), or a stop."""
        while not self._stopping:
            if self._jobs and self.failed is None:
                return self._jobs[0], False
            if self._due is None:
                self._cv.wait()
                continue
            left = self._due - time.monotonic()
            if left <= 0:
                self._due = None
                return None, True
            self._cv.wait(left)
        return None, False
