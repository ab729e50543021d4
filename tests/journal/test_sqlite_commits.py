"""The SQLite journal commits on a thread of its own (journal.commit_thread, .sqlite_commits):
append hands a batch over and returns; a failed commit is raised at the next commit point and
tried again with nothing lost or written twice; another writer in between is chained after;
intents stay in a log file until their batch is in the chain."""

from __future__ import annotations

import gc
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tradeguard.errors import StateError
from tradeguard.journal import codec, sqlite_commits, store_sqlite
from tradeguard.journal.chain import GENESIS
from tradeguard.journal.sqlite_commits import Batch
from tradeguard.journal.store_sqlite import SqliteJournal

from .factories import clock_event, intent
from .test_intent_log import kinds_and_ids, logs

BATCH = 4
GATE_TIMEOUT_S = 30  # only if a test is broken: the gate is always opened


Commit = Callable[[sqlite3.Connection, Batch], None]


@pytest.fixture
def real_commit() -> Commit:
    return sqlite_commits.commit


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch, real_commit: Commit) -> Iterator[threading.Event]:
    """Holds every commit until the test opens it."""
    opened = threading.Event()

    def held(conn: sqlite3.Connection, batch: Batch) -> None:
        assert opened.wait(GATE_TIMEOUT_S)
        real_commit(conn, batch)

    monkeypatch.setattr(sqlite_commits, "commit", held)
    yield opened
    opened.set()


def fail_next(monkeypatch: pytest.MonkeyPatch, real_commit: Commit, *, after: bool) -> None:
    """The next commit raises, before touching the journal or (`after`) once it has landed, as
    if its reply was lost; the ones after it work."""
    failures = [sqlite3.OperationalError("disk I/O error")]

    def flaky(conn: sqlite3.Connection, batch: Batch) -> None:
        if failures and not after:
            raise failures.pop()
        real_commit(conn, batch)
        if failures:
            raise failures.pop()

    monkeypatch.setattr(sqlite_commits, "commit", flaky)


def appended(store: SqliteJournal, offsets: range) -> SqliteJournal:
    for k in offsets:
        store.append(clock_event(k))
    return store


def head_seq(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT coalesce(max(seq), 0) FROM journal").fetchone()[0])
    finally:
        conn.close()


def test_append_hands_a_full_batch_over_and_returns(tmp_path: Path, gate: threading.Event) -> None:
    path = tmp_path / "j.db"
    store = SqliteJournal(path, batch_size=BATCH, max_delay_s=3600)
    for k in range(BATCH):
        assert store.append(clock_event(k)) is None  # returns with the commit held
    assert store.waiting == BATCH and head_seq(path) == 0
    gate.set()
    assert store.wait_committed() == BATCH and head_seq(path) == BATCH
    assert store.waiting == 0
    store.close()


def test_a_durable_append_waits_for_the_batches_before_it(
    tmp_path: Path, gate: threading.Event
) -> None:
    store = SqliteJournal(tmp_path / "j.db", batch_size=BATCH, max_delay_s=3600)
    for k in range(BATCH):
        store.append(clock_event(k))  # handed over, held
    returned: list[int | None] = []
    durable = threading.Thread(
        target=lambda: returned.append(store.append(clock_event(BATCH), durable=True))
    )
    durable.start()
    gate.set()
    durable.join(GATE_TIMEOUT_S)
    assert returned == [BATCH + 1]
    assert [e.offset_ms for e in store.events()] == list(range(BATCH + 1))  # type: ignore[union-attr]
    store.close()


def test_a_failed_commit_is_raised_then_tried_again_with_nothing_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_commit: Commit
) -> None:
    fail_next(monkeypatch, real_commit, after=False)
    store = appended(SqliteJournal(tmp_path / "j.db", batch_size=BATCH), range(BATCH + 1))
    with pytest.raises(StateError, match=r"cannot write the journal.*disk I/O error"):
        store.flush()
    assert store.waiting == BATCH + 1  # still held, in order
    assert store.flush() == BATCH + 1
    assert [e.offset_ms for e in store.events()] == list(range(BATCH + 1))  # type: ignore[union-attr]
    assert store.verify().ok
    store.close()


def test_a_failed_group_commit_is_tried_again_by_the_next_hand_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_commit: Commit
) -> None:
    fail_next(monkeypatch, real_commit, after=False)
    store = appended(SqliteJournal(tmp_path / "j.db", batch_size=BATCH), range(BATCH))
    assert store._commits is not None and store._commits.drain() is not None  # it failed
    appended(store, range(BATCH, 2 * BATCH))  # the hand-over tries the failed batch first
    assert store.wait_committed() == 2 * BATCH and store.verify().ok
    store.close()


def test_a_commit_that_landed_but_raised_is_not_written_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_commit: Commit
) -> None:
    path = tmp_path / "j.db"
    fail_next(monkeypatch, real_commit, after=True)
    store = appended(SqliteJournal(path, batch_size=BATCH), range(BATCH))
    with pytest.raises(StateError):
        store.flush()
    assert head_seq(path) == BATCH  # it did land
    assert store.flush() == BATCH and head_seq(path) == BATCH  # and is not written again
    store.append(clock_event(BATCH))
    assert store.flush() == BATCH + 1
    assert store.verify().ok
    store.close()


def test_batches_chained_before_another_writer_are_chained_again_after_it(
    tmp_path: Path, gate: threading.Event
) -> None:
    path = tmp_path / "j.db"
    mine = SqliteJournal(path, batch_size=BATCH, max_delay_s=3600)
    for k in range(2 * BATCH):  # two batches, chained from the empty journal, held
        mine.append(clock_event(k))
    gate.set()
    other = SqliteJournal(path, durability="power-loss")
    # the other writer commits first only if it wins the race; either way nothing is lost
    other.append(intent("other"))
    assert mine.flush() >= 2 * BATCH
    other.close()
    mine.close()
    with SqliteJournal(path) as store:
        report = store.verify()
        assert report.ok and report.records == 2 * BATCH + 1
        offsets = [r.event.offset_ms for r in store.records() if r.kind == "ClockSynced"]  # type: ignore[union-attr]
        assert offsets == list(range(2 * BATCH))


def test_a_moved_head_is_found_in_the_insert_itself(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with SqliteJournal(path, durability="power-loss") as store:
        store.append(intent("first"))
    conn = sqlite3.connect(path, isolation_level=None)
    late = clock_event(9)
    pending = [(late.at_ms, "ClockSynced", None, codec.encode(late))]
    stale = sqlite_commits.chain((0, GENESIS), pending, None)  # chained after an empty journal
    sqlite_commits.commit(conn, stale)
    assert stale.after[0] == 1 and stale.last[0] == 2  # chained again, after "first"
    sqlite_commits.commit(conn, stale)  # run again (a lost reply): not written twice
    conn.close()
    with SqliteJournal(path) as store:
        report = store.verify()
        assert report.ok and report.records == 2


@pytest.mark.usefixtures("every_commit_rolls")
def test_intents_stay_logged_until_their_batch_is_in_the_chain(
    tmp_path: Path, gate: threading.Event
) -> None:
    path = tmp_path / "j.db"
    store = SqliteJournal(path, batch_size=BATCH, max_delay_s=3600)
    store.append(intent("a"))
    for k in range(BATCH - 1):
        store.append(clock_event(k))  # the batch is handed over with "a" in it
    sealed, fresh = logs(path)  # "a"'s file, set aside with the batch, and a fresh one
    assert sealed.stat().st_size > 0 and fresh.stat().st_size == 0
    store.append(intent("b"))  # logged while the batch is still being committed
    assert logs(path) == [sealed, fresh] and fresh.stat().st_size > 0
    gate.set()
    store.wait_committed()
    # "a" is in the chain: its file is emptied (kept as a spare, journal.intent_log); "b" is not
    assert not sealed.exists() and [p for p in logs(path) if p.stat().st_size] == [fresh]
    store.close()
    assert logs(path) == []
    assert [c for k, c in kinds_and_ids(path) if k == "OrderIntended"] == ["a", "b"]


def test_a_journal_that_cannot_commit_keeps_its_intents_for_the_next_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "j.db"

    def broken(conn: sqlite3.Connection, batch: Batch) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(sqlite_commits, "commit", broken)
    store = SqliteJournal(path, batch_size=BATCH, max_delay_s=3600)
    store.append(intent("a"))
    appended(store, range(BATCH - 1))  # handed over; its commit fails
    assert store._commits is not None and store._commits.drain() is not None
    with pytest.raises(StateError, match="disk is full"):
        appended(store, range(BATCH))  # the next hand-over tries again and says so
    with pytest.raises(StateError, match="disk is full"):
        store.close()
    assert logs(path)  # the intent's log is kept, unlocked
    monkeypatch.undo()
    assert kinds_and_ids(path) == [("OrderIntended", "a")]  # recovered by the next opening


def test_the_log_is_checkpointed_on_the_commit_thread(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    store = SqliteJournal(path)
    for k in range(60_000):  # about 9 MB of records
        store.append(clock_event(k))
    store.flush()
    wal = path.with_name(path.name + "-wal")
    assert path.stat().st_size > 4_000_000  # records were copied into the database file
    assert wal.stat().st_size < 8_000_000  # and the log was reused, not grown without end
    store.close()


def test_a_store_nobody_closed_does_not_keep_its_thread(tmp_path: Path) -> None:
    store = appended(SqliteJournal(tmp_path / "j.db", batch_size=BATCH), range(BATCH))
    assert store.wait_committed() == BATCH and store._commits is not None
    thread = store._commits._thread
    gone = weakref.ref(store)
    del store
    gc.collect()
    assert gone() is None  # the thread held it only weakly
    thread.join(GATE_TIMEOUT_S)
    assert not thread.is_alive()


@pytest.mark.usefixtures("every_commit_rolls")
def test_a_big_append_many_is_split_into_statements(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_sqlite, "MAX_BATCH", 3)  # as 65,536 is to a million
    path = tmp_path / "j.db"
    store = SqliteJournal(path)
    store.append(intent("a"))  # logged: its file goes only when the last part is committed
    assert store.append_many(clock_event(k) for k in range(10)) == 11
    assert logs(path) and all(log.stat().st_size == 0 for log in logs(path))
    offsets = [e.offset_ms for e in store.events() if hasattr(e, "offset_ms")]
    assert offsets == list(range(10)) and store.verify().ok
    store.close()


def test_a_forked_process_is_told_to_open_the_journal_again(tmp_path: Path) -> None:
    store = appended(SqliteJournal(tmp_path / "j.db", batch_size=BATCH), range(BATCH))
    store.wait_committed()  # the commit thread runs in this process
    child = os.fork()
    if child == 0:  # the child: no commit thread; waiting for one would hang for ever
        try:
            store.flush()
        except StateError as exc:
            os._exit(3 if "before a fork" in exc.message else 1)
        os._exit(0)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 3
    assert store.flush() == BATCH  # the parent's store is unharmed
    store.close()


def test_a_watcher_reads_what_is_committed_without_waiting_for_the_commit_thread(
    tmp_path: Path, gate: threading.Event
) -> None:
    path = tmp_path / "j.db"
    gate.set()
    with SqliteJournal(path, durability="power-loss") as other:
        other.append(intent("from-another-process"))  # committed: seq 1
    gate.clear()
    store = appended(SqliteJournal(path, batch_size=BATCH), range(BATCH))  # held by the gate
    assert store.head(commit_first=False)[0] == 1  # returns at once: the held batch is not in
    kinds = ("OrderIntended",)
    found = [r.client_order_id for r in store.records(kinds=kinds, commit_first=False)]
    assert found == ["from-another-process"]
    gate.set()
    assert store.head()[0] == 1 + BATCH  # the default still commits first
    store.close()


def test_on_the_real_clock_the_commit_thread_times_the_group_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_commit: Commit
) -> None:
    # the session's timer woke the event loop every other order at a bot's pace to hand the
    # waiting events to this thread, which wakes to commit them anyway
    committed = threading.Event()
    threads: list[str] = []

    def noted(conn: sqlite3.Connection, batch: Batch) -> None:
        real_commit(conn, batch)
        threads.append(threading.current_thread().name)
        committed.set()

    monkeypatch.setattr(sqlite_commits, "commit", noted)
    path = tmp_path / "j.db"
    store = SqliteJournal(path)  # max_delay_s 0.2, the real clock
    assert store.times_commits
    assert store.append(clock_event(1)) is None  # waits for its group commit
    assert store.append(intent("a")) is None  # logged, waits with it
    assert committed.wait(GATE_TIMEOUT_S)  # nobody flushed: the thread committed them
    assert threads == ["tradeguard-journal-commits"] and head_seq(path) == 2
    store.close()
    assert kinds_and_ids(path) == [("ClockSynced", None), ("OrderIntended", "a")]
