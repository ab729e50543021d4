"""The journal store: what every backend (SQLite, PostgreSQL) does the same way.

Durability — what survives what (the README quotes this paragraph):

    An event is in the journal once it is committed. `append` commits at once, before it
    returns, every order intent, kill-switch change, rate-limit pause or ban and shutdown (and
    everything appended before them, in order): the guard sends an order's request only after
    its intent's `append` has returned. Other events are group-committed: they wait in memory
    until `batch_size` (2048) of them are waiting, the next durable event comes, `flush()` or
    `close()` is called, or they are `max_delay_s` (0.2 s) old when another append looks, or
    a timer finds them 0.9 of that old (SQLite's commit thread on the real clock; else the
    owner's, through `flush_due()`: a session's), so a bot that idles has its last events
    committed within 0.2 s too. SQLite runs group commits on a thread of its own
    (`journal.commit_thread`): `append` hands the batch over and returns; a commit that fails
    there is raised by the next append that commits or hands over, or by `flush()`, and its
    events stay queued to be tried again.
    What a commit survives is the profile's `journal_durability`:
    - "crash" (the default): a crash of the process. SQLite runs in WAL mode with
      synchronous=NORMAL: a commit is in the write-ahead log, in the operating system's hands,
      before it returns; a crash of the operating system or a power loss can lose the last
      commits (fsynced at each checkpoint). An intent is not a commit of its own here: `append`
      writes it to this process's intent log (`journal.intent_log`), which survives the
      process as soon as the write returns, and it is chained at the next group commit; a
      crashed process's logged intents are committed when the journal is next opened.
      PostgreSQL: synchronous_commit=off and a commit per intent, the same promise against a
      crash of the bot; a crash of the server can lose its last commits.
    - "power-loss": also a crash of the operating system and a power loss. SQLite fsyncs the
      write-ahead log at every commit (synchronous=FULL); PostgreSQL commits with
      synchronous_commit=on. It costs that fsync per order (60-130 µs of CPU here).
    Why "crash" is enough by default: what a power loss can take is the journal's last second,
    and the exchange still holds it. Client order ids are never reused (one stem per start),
    and on the next start reconciliation adopts the exchange's open orders and trades, so an
    order whose intent was lost is found, never sent again and never made up.
    A crash can lose only the group-committed events still waiting in memory or being
    committed (a few batches at most, about `max_delay_s` old, never an intent). "power-loss"
    holds as long as the disk honours fsync: a drive or virtual disk whose volatile write cache
    ignores flushes can lose more, which no database can prevent.

Every record chains the hash of the one before (`journal.chain`). Two processes (or hosts, on
PostgreSQL) appending to one journal take turns per commit: SQLite's write lock, under which the
insert checks the head it was chained from (journal.sqlite_commits), or a PostgreSQL advisory
lock on the journal, inside which the head is read, the batch chained from it and inserted; so
records are never lost or interleaved out of the chain.

Reading never skips: a gap in the numbering, an undecodable record or a damaged file is
`JournalCorrupt` naming the record and what to do.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import cast

import msgspec

from tradeguard.errors import JournalAltered, JournalCorrupt, StateError
from tradeguard.events import (
    Event,
    EventBase,
    KillSwitchReset,
    KillSwitchSet,
    OrderIntended,
    RateLimitChanged,
    ShutDown,
)
from tradeguard.journal import DURABILITIES, Durability, codec
from tradeguard.journal.chain import GENESIS, Row, VerifyReport, verify_rows
from tradeguard.journal.intent_log import IntentLog, orphans
from tradeguard.journal.redact import Redactor
from tradeguard.journal.replay import Ledger, State
from tradeguard.net.clock import SYSTEM, Clock

DURABLE_KINDS: tuple[type[EventBase], ...] = (
    OrderIntended,
    KillSwitchSet,
    KillSwitchReset,
    RateLimitChanged,
    ShutDown,
)

_DURABLE = frozenset(DURABLE_KINDS)
# a group-commit timer commits what waited this share of `max_delay_s` (0.2 s): at a bot's pace
# (an order every 0.125 s) a commit takes the next order's events along; the rest of the delay
# is the margin for the timer's lateness
DUE_SHARE = 0.9
CHECKPOINT_KEY = "verified"  # "seq:hash" of the last record a start or `journal verify` checked
_encode = codec.encode

# at_ms, kind, client order id, body: an encoded event waiting for its commit
Pending = tuple[int, str, str | None, bytes]
# what waits for a group commit: encoded at once when its bytes are needed now (an intent goes
# to the intent log), else the event itself, encoded when its commit takes it
Waiting = Pending | EventBase


@dataclass(frozen=True, slots=True)
class Record:
    seq: int
    at_ms: int
    kind: str
    client_order_id: str | None
    event: Event


class JournalStore(ABC):
    """An append-only, hash-chained journal of events. Thread-safe."""

    location: str

    def __init__(
        self,
        *,
        batch_size: int = 2048,
        max_delay_s: float = 0.2,
        redactor: Redactor | None = None,
        clock: Clock = SYSTEM,
        durability: Durability = "crash",
    ) -> None:
        if durability not in DURABILITIES:
            raise ValueError(f"durability must be one of {DURABILITIES}, not {durability!r}")
        self.durability = durability
        self.batch_size = batch_size
        self.max_delay_s = max_delay_s
        self._redactor = redactor
        self._clock = clock
        self._monotonic = clock.monotonic
        self._pending: list[Waiting] = []
        self._oldest = 0.0
        self._lock = threading.Lock()
        self._inflight: bytes | None = None  # last hash of a commit whose outcome is unknown
        self.committed_seq = 0  # the last seq this store committed
        self._intent_dir: Path | None = None  # set by a backend that keeps an intent log
        self._intent_log: IntentLog | None = None
        # called (under the store's lock, so it must only schedule) when an append leaves
        # events waiting where none waited: the owner's group-commit timer sleeps until then
        self.on_waiting: Callable[[], None] | None = None

    # ── writing ──────────────────────────────────────────────────────────────────────────────

    def append(self, event: EventBase, *, durable: bool = False) -> int | None:
        """Add an event. Returns its sequence number if it is committed when `append` returns
        (always for DURABLE_KINDS or durable=True), None if it waits for a group commit."""
        # The hot path (100,000+ a second in bench_journal): one clock read. An event that
        # waits for a group commit is encoded (and checked for secrets) when the commit takes
        # it: not between an order's reply and the bot's answer, where its append used to be.
        commit = durable or type(event) in _DURABLE
        item: Waiting = self._encoded(event) if commit else event
        with self._lock:
            pending = self._pending
            now = self._monotonic()
            if commit and self._intent_dir is not None and type(event) is OrderIntended:
                assert isinstance(item, tuple)
                self._log_intent(item[3])  # in the journal for a crash; chained at the next commit
                commit = False
            if not pending:
                self._oldest = now
            pending.append(item)
            try:
                if commit:
                    return self._commit_pending()
                if len(pending) >= self.batch_size or now - self._oldest >= self.max_delay_s:
                    return self._group_commit()
            finally:
                # events left waiting (a commit that failed leaves them too): wake the timer
                if len(pending) == 1 and self._pending is pending:
                    self._now_waiting()
        return None

    def _now_waiting(self) -> None:
        """Events wait where none waited (under the lock: it must only schedule): the owner's
        group-commit timer sleeps until then (see `times_commits`)."""
        if self.on_waiting is not None:
            self.on_waiting()

    @property
    def times_commits(self) -> bool:
        """Whether the store commits what waited `DUE_SHARE` of `max_delay_s` by itself (SQLite,
        on its commit thread), so that its owner needs no timer of its own for it."""
        return False

    def _log_intent(self, body: bytes) -> None:
        log = self._intent_log
        if log is None:
            assert self._intent_dir is not None
            log = self._intent_log = IntentLog(self._intent_dir)
        log.write(body)

    def set_redactor(self, redactor: Redactor | None) -> None:
        """Mask these secrets from now on (a rotated key brings a new one)."""
        self._redactor = redactor

    def append_many(self, events: Iterable[EventBase]) -> int:
        """Add many events in one transaction, committed durably before returning (with
        anything waiting before them). Returns the last sequence number."""
        items = [self._encoded(event) for event in events]
        with self._lock:
            idle = not self._pending
            self._pending.extend(items)
            try:
                return self._commit_pending()
            finally:
                if idle and self._pending:  # a failed commit keeps them
                    self._now_waiting()

    def _encoded(self, event: EventBase) -> Pending:
        body = _encode(event)
        redactor = self._redactor
        if redactor is not None and redactor.leaks(body):
            event = redactor.event(event)
            body = _encode(event)
        return (event.at_ms, type(event).__name__, getattr(event, "client_order_id", None), body)

    def _encoded_pending(self) -> list[Pending]:
        """What waits for its commit, every event in it encoded now (in order; the caller
        holds the lock). Kept encoded: a commit that fails tries the same bytes again."""
        encoded = self._encoded
        pending = [item if isinstance(item, tuple) else encoded(item) for item in self._pending]
        self._pending = cast("list[Waiting]", pending)
        return pending

    def flush_due(self, older_than_s: float | None = None) -> int | None:
        """Commit what is waiting if the oldest of it is `older_than_s` (default `max_delay_s`)
        old: for the owner's timer, so that a quiet moment does not leave events waiting. The
        seq if committed when it returns (None: nothing was due, or it was handed to a commit
        thread)."""
        age = self.max_delay_s if older_than_s is None else older_than_s
        with self._lock:
            if self._pending and self._clock.monotonic() - self._oldest >= age:
                return self._group_commit()
        return None

    def flush(self) -> int:
        """Commit everything waiting; returns the last committed sequence number."""
        with self._lock:
            return self._commit_pending()

    def wait_committed(self) -> int:
        """Wait until every event handed to a commit thread is committed (without handing off
        what still waits for its group commit); the last committed seq. A backend without a
        commit thread has nothing to wait for."""
        return self.committed_seq

    @property
    def waiting(self) -> int:
        """Events appended but not yet committed."""
        return len(self._pending)

    @property
    def oldest_waited_s(self) -> float | None:
        """How long the oldest event waiting for a group commit has waited (None: none
        waits): the owner's timer sleeps until it is due."""
        with self._lock:
            if not self._pending:
                return None
            return self._monotonic() - self._oldest

    @property
    def holding(self) -> bool:
        """Events wait here for a group commit (not yet handed to a commit thread)."""
        return bool(self._pending)

    def _group_commit(self) -> int | None:
        """A group commit is due: commit what is waiting, or hand it to a commit thread (then
        None). A backend with a commit thread overrides this and `_commit_pending`."""
        return self._commit_pending()

    def _commit_pending(self) -> int:
        # On failure the events stay waiting, so a later flush retries them; `_chain` makes
        # sure a commit that did land (its reply lost) is not written twice.
        if not self._pending:
            return self.committed_seq
        seq = self._commit(self._encoded_pending())
        self._pending = []
        self._inflight = None
        self.committed_seq = seq
        return seq

    def _keep_intent_log(self, directory: Path) -> None:
        """For the "crash" durability: intents go to a log of this process's under `directory`
        instead of a commit each (see journal.intent_log); first, the intents that processes
        which died left there and the journal lacks are committed, in the order logged (whatever
        this store's durability: a process of either kind may open a journal after a crash)."""
        for path, bodies in orphans(directory):
            missing: list[Pending] = []
            for body in bodies:
                event = codec.decode(body, 0)
                coid = getattr(event, "client_order_id", None)
                if not isinstance(event, OrderIntended) or coid is None:
                    raise JournalCorrupt(0, f"{path} holds a {type(event).__name__}, not an intent")
                if not self._has_intent(event):
                    missing.append((event.at_ms, "OrderIntended", coid, body))
            if missing:
                self.verify_since_checkpoint()  # never append to an altered chain
                with self._lock:
                    self._pending.extend(missing)
                    self._commit_pending()
            path.unlink()
        if self.durability == "crash":
            self._intent_dir = directory

    def _has_intent(self, intent: OrderIntended) -> bool:
        """Whether the journal holds this very intent: not just one under its client order id,
        which an order that never reached the exchange may have left before it."""
        # closed at once: an open read would hold back SQLite's checkpoints
        with contextlib.closing(
            self.records(client_order_id=intent.intent.client_order_id, kinds=("OrderIntended",))
        ) as found:
            return any(record.event == intent for record in found)

    def _chain(self, head_seq: int, head_hash: bytes, pending: list[Pending]) -> list[Row] | None:
        """The rows to insert after the head, or None if the head shows they already were."""
        if self._inflight is not None and head_hash == self._inflight:
            return None
        rows: list[Row] = []
        seq, prev = head_seq, head_hash
        sha256 = hashlib.sha256  # chain.link, inlined: once per record
        for at_ms, kind, coid, body in pending:
            seq += 1
            prev = sha256(prev + seq.to_bytes(8, "big") + body).digest()
            rows.append((seq, at_ms, kind, coid, body, prev))
        self._inflight = prev
        return rows

    # ── reading ──────────────────────────────────────────────────────────────────────────────

    def records(
        self,
        from_seq: int = 1,
        *,
        client_order_id: str | None = None,
        unattributed_fills: bool = False,
        kinds: tuple[str, ...] = (),
        commit_first: bool = True,
    ) -> Generator[Record, None, None]:
        """Committed records in order; only one order's, only the fills journaled without a
        client order id (back-filled over REST), or only some kinds (event class names), if
        asked. Like every read, it first commits what this store holds, so it sees everything
        appended through it; unless `commit_first` is False (a watcher of what other
        processes write, which must not wait for this store's commits)."""
        if commit_first:
            self.flush()
        expected = from_seq
        whole = client_order_id is None and not unattributed_fills and not kinds
        rows = self._rows(from_seq, client_order_id, unattributed_fills, kinds)
        for seq, at_ms, kind, coid, body, _ in rows:
            if whole and seq != expected:
                raise self._gap(expected, seq)
            expected = seq + 1
            yield Record(seq, at_ms, kind, coid, codec.decode(body, seq))

    def events(self, from_seq: int = 1) -> Iterator[Event]:
        """Committed events in order, checked for gaps and decoded."""
        self.flush()
        decode = codec.payload_decoder
        expected = from_seq
        try:
            for seq, payload in self._payload_cursor(from_seq):
                if seq != expected:
                    raise self._gap(expected, seq)
                expected = seq + 1
                if payload is None:  # not this codec's version: decode raises the precise error
                    yield codec.decode(self._body(seq), seq)
                else:
                    yield decode(payload)
        except msgspec.DecodeError as exc:
            raise codec.undecodable(expected - 1, exc) from None
        except self._read_errors as exc:
            raise self._read_failed(exc, expected - 1) from None

    def fold(self, until_ms: int | None = None, ledger: Ledger | None = None) -> State:
        """The state at `until_ms` (see journal.replay.fold), or after the last record:
        `replay.fold(store.events(), until_ms)`."""
        ledger = ledger if ledger is not None else Ledger()
        ledger.apply_all(self.events(), until_ms)
        return ledger.state()

    def verify(
        self, expect_head: tuple[int, bytes] | None = None, *, deep: bool = True
    ) -> VerifyReport:
        """Check the whole journal (see chain.verify_rows); `deep=False`: the chain and the
        numbering only, for a reader about to fold the events itself."""
        self.flush()
        return verify_rows(self._rows(1, None), expect_head, deep=deep)

    def verify_since_checkpoint(self) -> VerifyReport:
        """Check the chain from the last verified record (the checkpoint a start or `journal
        verify` left) to the head: the checkpoint record still there with the same hash, then
        every record after it numbered and linked. Raises JournalAltered at the first break;
        the report's head is what may be marked verified. Costs only the records added since
        the checkpoint (all of them the first time: about 1.4 s per million here)."""
        self.flush()
        after = self._checkpoint()
        rows = self._rows(after[0] if after[0] > 0 else 1, None)
        if after[0] > 0:
            first = next(rows, None)
            if first is None or first[0] != after[0] or first[5] != after[1]:
                head = self.head(commit_first=False)[0]
                what = (
                    f"the journal ends at record {head}, but record {after[0]} was verified "
                    "before: records were removed"
                    if head < after[0]
                    else "its hash is not the one verified before: it or a record before it "
                    "was edited, removed or moved"
                )
                raise JournalAltered(self.location, after[0], what)
        report = verify_rows(rows, after=after, deep=False)
        if not report.ok:
            problem = report.problems[0]
            raise JournalAltered(self.location, problem.position, problem.what)
        return report

    def mark_verified(self, report: VerifyReport) -> None:
        """Remember the head `report` verified: the next start checks only what came after."""
        if report.ok and report.head_seq > 0:
            self._set_meta(CHECKPOINT_KEY, f"{report.head_seq}:{report.head_hash.hex()}")

    def _checkpoint(self) -> tuple[int, bytes]:
        text = self._get_meta(CHECKPOINT_KEY)
        if text is None:
            return (0, GENESIS)
        seq, _, digest = text.partition(":")
        try:
            return int(seq), bytes.fromhex(digest)
        except ValueError:
            raise JournalAltered(
                self.location, 0, f"its verified checkpoint {text!r} is not a record and hash"
            ) from None

    def head(self, *, commit_first: bool = True) -> tuple[int, bytes]:
        """The last committed record's sequence number and hash; (0, zeros) when empty. It
        commits what this store holds first, unless `commit_first` is False (see records)."""
        if commit_first:
            self.flush()
        found = self._head()
        return found if found is not None else (0, GENESIS)

    def _gap(self, expected: int, seq: int) -> JournalCorrupt:
        return JournalCorrupt(
            expected,
            f"the journal {self.location} jumps from record {expected - 1} to {seq}: "
            f"record {expected} was removed or lost",
        )

    # ── lifetime ─────────────────────────────────────────────────────────────────────────────

    def close(self) -> None:
        try:
            try:
                self.flush()
            except BaseException:
                if self._intent_log is not None:  # not all committed: kept, for a recovery
                    self._intent_log.release()
                    self._intent_log = None
                raise
            if self._intent_log is not None:  # all committed: the log goes
                self._intent_log.close()
                self._intent_log = None
        finally:
            self._close()

    def __enter__(self) -> JournalStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ── what a backend provides ──────────────────────────────────────────────────────────────

    def _commit(self, pending: list[Pending]) -> int:
        """In one transaction holding the journal's write lock: read the head, `_chain` the
        pending events from it, insert, commit durably. Returns the last seq. (A backend that
        commits on a thread of its own overrides `_commit_pending` instead.)"""
        raise NotImplementedError

    @abstractmethod
    def _rows(
        self,
        from_seq: int,
        client_order_id: str | None,
        unattributed_fills: bool = False,
        kinds: tuple[str, ...] = (),
    ) -> Iterator[Row]:
        """Full rows in seq order; a damaged store raises JournalCorrupt at the first
        record it cannot read."""

    # what reading from the backend raises when the store is damaged or unreachable
    _read_errors: tuple[type[Exception], ...] = ()

    @abstractmethod
    def _read_failed(self, exc: Exception, last_seq: int) -> StateError:
        """The error to raise when reading failed after record `last_seq`."""

    @abstractmethod
    def _payload_cursor(self, from_seq: int) -> Iterable[tuple[int, bytes | None]]:
        """(seq, body without its version byte) in seq order, the version checked by the
        database (None: not codec.VERSION), as fast as the backend can. May raise
        `_read_errors` while iterated."""

    @abstractmethod
    def _body(self, seq: int) -> bytes: ...

    @abstractmethod
    def _get_meta(self, key: str) -> str | None:
        """A value kept beside the records (the verified checkpoint), or None."""

    @abstractmethod
    def _set_meta(self, key: str, value: str) -> None: ...

    @abstractmethod
    def _head(self) -> tuple[int, bytes] | None: ...

    @abstractmethod
    def _close(self) -> None: ...
