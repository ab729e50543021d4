"""The SQLite journal's write-ahead log is checkpointed by a thread of its own, off the event
loop; a thread that cannot checkpoint hands the job back to SQLite, and nothing is lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tradeguard.journal.checkpointer import Checkpointer
from tradeguard.journal.store_sqlite import SqliteJournal

from .factories import clock_event, intent

MANY = 12_000  # small events, in commits of 512: past 1,000 pages of log by the estimate


def autocheckpoint(store: SqliteJournal) -> int:
    return int(store._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])


def fill_up(store: SqliteJournal, rows: int) -> None:
    for k in range(rows):
        store.append(clock_event(k))
    store.flush()


def unreachable() -> sqlite3.Connection:
    raise sqlite3.OperationalError("unable to open database file")


def test_a_growing_journal_is_checkpointed_by_the_thread(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    store = SqliteJournal(path, batch_size=512)
    fill_up(store, 100)
    assert store._checkpointer is None  # small journals never start it
    assert autocheckpoint(store) == 1000  # SQLite's own, until then
    fill_up(store, MANY)
    checkpointer = store._checkpointer
    assert checkpointer is not None
    assert autocheckpoint(store) == 0  # the writer no longer checkpoints on the event loop
    assert store.checkpoints_caught_up()
    assert checkpointer.failed is None and checkpointer.checkpoints >= 1
    # the records are in the database file itself now, not only in the log (SQLite's own
    # checkpoint would have waited for 1,000 pages of log)
    assert path.stat().st_size > 100 * 4096
    store.close()
    assert not checkpointer._thread.is_alive()
    assert not Path(f"{path}-wal").exists()  # the writer closed last and cleaned up
    with SqliteJournal(path) as again:
        assert len(list(again.records())) == 100 + MANY
        assert again.verify().ok


def test_a_thread_that_cannot_checkpoint_hands_the_job_back_to_sqlite(tmp_path: Path) -> None:
    store = SqliteJournal(tmp_path / "j.db", batch_size=512)
    broken = Checkpointer(unreachable)
    assert broken.wait_idle()
    assert isinstance(broken.failed, sqlite3.OperationalError)
    store._checkpointer = broken
    store._conn.execute("PRAGMA wal_autocheckpoint = 0")
    fill_up(store, MANY)
    assert store._checkpointer is None and store._own_checkpoints
    assert autocheckpoint(store) == 1000
    fill_up(store, MANY)  # and it stays with SQLite
    assert store._checkpointer is None
    assert len(list(store.records())) == 2 * MANY
    store.close()


def test_a_checkpoint_that_fails_midway_is_reported_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with SqliteJournal(path) as store:
        fill_up(store, 10)
    conns: list[sqlite3.Connection] = []

    def connect() -> sqlite3.Connection:
        conns.append(sqlite3.connect(path, check_same_thread=False))
        return conns[-1]

    checkpointer = Checkpointer(connect)
    checkpointer.poke()
    assert checkpointer.wait_idle()
    assert checkpointer.failed is None and checkpointer.checkpoints == 1
    conns[0].close()  # the thread's connection goes away under it
    checkpointer.poke()
    assert checkpointer.wait_idle()
    assert isinstance(checkpointer.failed, sqlite3.ProgrammingError)
    checkpointer.stop()


def test_small_commits_count_by_the_pages_they_add_not_by_their_rows(tmp_path: Path) -> None:
    # a commit per event: each adds whole pages of log, so 600 of them are past the 1,000
    # pages that call for a checkpoint although they are 600 rows
    store = SqliteJournal(tmp_path / "j.db")
    for k in range(600):
        store.append(clock_event(k), durable=True)
    checkpointer = store._checkpointer
    assert checkpointer is not None and store.checkpoints_caught_up()
    assert checkpointer.checkpoints >= 1
    store.close()


def test_power_loss_durability_keeps_sqlites_own_checkpoints(tmp_path: Path) -> None:
    # there every commit waits for an fsync, and a thread's checkpoint fsyncs would queue with
    # them on the disk
    store = SqliteJournal(tmp_path / "j.db", durability="power-loss", batch_size=512)
    for k in range(600):
        store.append(intent(f"i{k}", at_ms=k))
    fill_up(store, MANY)
    assert store._checkpointer is None and autocheckpoint(store) == 1000
    store.close()
