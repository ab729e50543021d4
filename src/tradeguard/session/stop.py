"""How a session stops: the journal's group commits kept going while the bot idles, the kill
switch followed from the journal (another process's `tradeguard kill`), and closing: cancel
what the profile says, record the shutdown with its real reason and what it cancelled, flush.
Mixed into `Session`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from tradeguard.errors import TradeguardError
from tradeguard.events import EventBase, KillSwitchReset, KillSwitchSet, ShutDown
from tradeguard.journal.store import DUE_SHARE
from tradeguard.model import OrderStatus
from tradeguard.orders import Order

if TYPE_CHECKING:
    from tradeguard.journal.replay import Ledger
    from tradeguard.risk import LossWatch
    from tradeguard.session.recorder import Recorder

# how long a stop waits for the orders whose call it cancelled mid-send to be resolved: past
# recvWindow (5 s), after which an order the exchange has not seen can no longer be taken
IN_FLIGHT_WAIT_S = 10.0
CLOSE_HOOK_S = 10.0  # how long closing waits for each part (stream, transport, journal, sim)
DUE_SLACK_S = 0.001  # what a timer waking a hair early (or a float's rounding) still counts
HEARTBEAT_S = 1.0  # the session's once-a-second duties: the kill-switch watch, the alert tick
# (and the look for a rotated key, which keeps its own 5 s cadence: keys/rotation.py)


class StopCalls:
    """Mixed into `Session`; what it uses of the session is declared here for the checker."""

    if TYPE_CHECKING:
        profile: str
        recorder: Recorder
        loss: LossWatch
        closing: bool
        cancel_on_exit: bool
        halted: asyncio.Event
        _halt_open: set[str]
        _tasks: set[asyncio.Task[Any]]
        _in_flight: set[str]
        on_close: list[Any]

        @property
        def ledger(self) -> Ledger: ...
        def _record(self, event: EventBase, *, durable: bool = False) -> None: ...
        def _spawn(self, work: Coroutine[Any, Any, Any]) -> None: ...
        def _now(self) -> int: ...
        async def cancel_all(self, symbol: Any = None) -> list[Order]: ...
        async def resolved(self, client_order_id: str, *, timeout_s: float = 60.0) -> Order: ...
        def _unknown(self, coid: str) -> bool: ...

    async def commit_due(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        """Group-commit what waits in the journal while the bot is quiet. An append commits
        the batch it finds old enough, so a bot that places orders and then idles would leave
        their replies and stream events in memory for as long as it idles (and lose them to a
        SIGKILL); this timer keeps the README's "within 0.2 s" then too. It sleeps until the
        oldest waiting event has waited DUE_SHARE of the journal's delay, then commits all that
        waits: at a bot's pace (an order every 0.125 s) a commit takes the next order's events
        along instead of a group commit per order, each one work on the loop and on the commit
        thread (a tick of half the delay committed every order's events alone). With nothing
        waiting it sleeps until an append leaves something (the journal's `on_waiting`): an
        idle bot's loop is not woken for nothing. Runs until close; returns at once when the
        journal times its commits itself (SQLite, on its commit thread: no wake-up of the loop
        for them)."""
        journal = self.recorder.journal
        if journal.times_commits:
            return
        due = journal.max_delay_s * DUE_SHARE
        waiting = asyncio.Event()
        journal.on_waiting = _setter_from_any_thread(waiting)
        try:
            while not self.closing:
                waited = journal.oldest_waited_s
                if waited is None:
                    waiting.clear()
                    if not journal.holding:  # an append between the two looks set it again
                        await waiting.wait()
                    continue
                if waited < due - DUE_SLACK_S:
                    await sleep(due - waited)
                    continue  # look again: an append may have committed them meanwhile
                # a commit that fails (a full disk) keeps its events queued: the next turn
                # tries again, and the next append that commits (an intent) raises it
                with contextlib.suppress(TradeguardError):
                    journal.flush_due(older_than_s=due - DUE_SLACK_S)
                if journal.holding and (journal.oldest_waited_s or 0.0) >= due - DUE_SLACK_S:
                    await sleep(due / 2)  # a commit that failed: again later, not in a spin
        finally:
            journal.on_waiting = None

    # ── the session's once-a-second duties ──────────────────────────────────────────────────
    async def heartbeat(
        self,
        *duties: Callable[[], object],
        every_s: float = HEARTBEAT_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """The session's periodic duties in one timer: following the kill switch from the
        journal (see `_journal_watch`), then each of `duties` (the alert hub's tick, the look
        for a rotated key: `keys.rotation.rotation_look`), every `every_s`. One wake-up of the
        loop for all of them, not one each: a wake-up after an idle gap costs about 200 µs of
        CPU here, most of what an idle bot spends. A duty that raises is reported to the loop's
        exception handler and dropped, the others go on, as when each was a task of its own.
        Runs until the session closes."""
        going: list[Callable[[], object]] = [self._journal_watch(), *duties]
        while not self.closing and going:
            await sleep(every_s)
            for duty in list(going):
                try:
                    duty()
                except Exception as exc:  # one duty's failure ends only that duty
                    going.remove(duty)
                    asyncio.get_running_loop().call_exception_handler(
                        {"message": f"the session's heartbeat dropped {duty!r}", "exception": exc}
                    )

    async def watch_journal(self, every_s: float = HEARTBEAT_S) -> None:
        """The kill-switch watch alone, on a timer of its own (see `heartbeat`)."""
        await self.heartbeat(every_s=every_s)

    # ── the journal as a control channel ──────────────────────────────────────────────────
    def _journal_watch(self) -> Callable[[], None]:
        """Follow kill-switch changes other processes write to the journal (`tradeguard
        kill`): latch or release here too. Keeps `halted` set while the kill switch is
        latched, whoever latched it: this session's guard or the bot's own `kill` at once,
        another process at the next look (a heartbeat, within a second). Returns the look."""
        journal = self.recorder.journal
        seen = journal.head()[0]
        kinds = (KillSwitchSet.__name__, KillSwitchReset.__name__)
        self.recorder.watchers.append(self._latch_recorded)
        self._follow_latch()
        # SQLite's data_version (see SqliteJournal.commits_mark): unchanged, no connection
        # committed since the last look, so an idle bot's look reads nothing. PostgreSQL has
        # no such mark: each look reads the head.
        commits_mark: Callable[[], int] | None = getattr(journal, "commits_mark", None)
        marked = commits_mark() if commits_mark is not None else None

        def look() -> None:
            nonlocal seen, marked
            if commits_mark is not None:
                mark = commits_mark()  # read before the head: a commit in between is read next
                if mark == marked:
                    return
                marked = mark
            # committed records only: this session's own are in its ledger already (applying
            # them again changes nothing), and waiting for its commits would hold the event
            # loop for as long as the disk takes
            head = journal.head(commit_first=False)[0]
            if head <= seen:  # nothing committed since the last look (an idle bot): one read
                return
            for record in journal.records(from_seq=seen + 1, kinds=kinds, commit_first=False):
                event = record.event
                latched = self.ledger.kill_switch.latched
                if isinstance(event, KillSwitchSet) and not latched:
                    self.ledger.apply(event)
                    self._follow_latch()
                    self._spawn(self.cancel_all())
                elif isinstance(event, KillSwitchReset) and latched:
                    self.ledger.apply(event)
                    self.loss.reset(self._now())
                    self._follow_latch()
            seen = max(seen, head)

        return look

    # ── closing ───────────────────────────────────────────────────────────────────────────
    async def close(
        self, *, cancel_open: bool | None = None, reason: str = "closed"
    ) -> ShutDown | None:
        """Stop new orders; cancel the open ones if `cancel_open` (not given: the profile's
        `cancel_on_exit`), and always while the kill switch is latched (it cancels
        everything, and its own cancels may still be under way); record the shutdown with
        `reason` and the orders the stop cancelled; flush. The ShutDown recorded, or None when
        the session was closed already."""
        if self.closing:
            return None
        self.closing = True
        cancel = self.cancel_on_exit if cancel_open is None else cancel_open
        stopping = self._halt_open | {o.client_order_id for o in self.ledger.open_orders()}
        if cancel or self.ledger.kill_switch.latched:
            await self._settle_in_flight()
            await self.cancel_all()
        await self._stop_tasks()
        shut = ShutDown(
            at_ms=self._now(),
            profile=self.profile,
            reason=reason,
            open_orders=len(self.ledger.open_orders()),
            cancelled=self._cancelled_of(stopping),
        )
        self._record(shut, durable=True)
        await self._release()
        return shut

    async def _settle_in_flight(self) -> None:
        """Wait, at most IN_FLIGHT_WAIT_S, for the orders whose call the stop cancelled while
        their request was out to be resolved (placed, or never reached the exchange), so that
        the cancels that follow find them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + IN_FLIGHT_WAIT_S
        for coid in sorted(c for c in self._in_flight if self._unknown(c)):
            left = deadline - loop.time()
            if left <= 0:
                return
            with contextlib.suppress(TimeoutError, TradeguardError):
                await self.resolved(coid, timeout_s=left)

    async def abandon(self, reason: str) -> None:
        """Close a session its connect refused after building it (the user stream did not
        come up, the first reconciliation failed): stop what it started and release what it
        holds (the profile's lock, the journal, its connections), sending nothing, so that
        the bot may connect again in this process. The shutdown is journaled with `reason`
        where the journal still takes it."""
        if self.closing:
            return
        self.closing = True
        await self._stop_tasks()
        with contextlib.suppress(Exception):
            shut = ShutDown(
                at_ms=self._now(),
                profile=self.profile,
                reason=reason,
                open_orders=len(self.ledger.open_orders()),
            )
            self._record(shut, durable=True)
        with contextlib.suppress(Exception):  # the refusal is what the bot must hear
            await self._release()

    async def _stop_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _release(self) -> None:
        """Run the close hooks (the stream, the transport, the journal, the profile's lock)."""
        for hook in self.on_close:  # each bounded: one stuck socket must not keep the rest open
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLOSE_HOOK_S):  # not wait_for: see checks.py
                    await hook()
        self.recorder.close_feeds()
        self.recorder.journal.flush()

    # ── stopping: the kill switch and the shutdown's record ─────────────────────────────────
    def _follow_latch(self) -> None:
        """`halted` follows the kill switch; the orders open when it latches are kept, for
        the shutdown to say which of them the stop cancelled (a reset: that was no stop)."""
        if not self.ledger.kill_switch.latched:
            self.halted.clear()
            self._halt_open.clear()
        elif not self.halted.is_set():
            self._halt_open.update(o.client_order_id for o in self.ledger.open_orders())
            self.halted.set()

    def _latch_recorded(self, event: EventBase) -> None:
        """A recorder watcher: a kill switch latched or reset in this process."""
        if isinstance(event, KillSwitchSet | KillSwitchReset):
            self._follow_latch()

    def _cancelled_of(self, coids: set[str]) -> tuple[str, ...]:
        """Those of `coids` that ended cancelled, oldest first."""
        found = [o for o in map(self.ledger.order, coids) if o is not None]
        done = [o for o in found if o.status is OrderStatus.CANCELED]
        return tuple(o.client_order_id for o in sorted(done, key=lambda o: o.created_ms))

    @staticmethod
    def _exit_reason(exc: BaseException | None) -> str:
        """What ended an `async with` block, as the shutdown records it."""
        if exc is None:
            return "closed"
        if isinstance(exc, asyncio.CancelledError):
            return "cancelled"
        if isinstance(exc, KeyboardInterrupt):
            return "SIGINT"
        return f"raised {type(exc).__name__}: {exc}"


def _setter_from_any_thread(event: asyncio.Event) -> Callable[[], None]:
    """`event.set` for a callback that may run on another thread (a journal appended to off
    the loop): there through the loop's thread-safe call, on the loop's own thread at once."""
    loop = asyncio.get_running_loop()
    owner = threading.get_ident()

    def wake() -> None:
        if threading.get_ident() == owner:
            event.set()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    return wake
