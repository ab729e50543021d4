"""The intent log ("crash" durability, SQLite): an intent survives the process from the moment
`append` returns, is chained at the next group commit, and a crashed process's log is
recovered once, in order, and never a live one's. (A real SIGKILL: test_store_contract.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tradeguard.journal import codec, intent_log
from tradeguard.journal.intent_log import IntentLog, orphans
from tradeguard.journal.store_sqlite import SqliteJournal

from .factories import T0, clock_event, intent


def logs(path: Path) -> list[Path]:
    return sorted(path.with_name(path.name + ".intents").glob("*.log"))


def crash(store: SqliteJournal) -> None:
    """What SIGKILL leaves: the log's file and its lock let go, nothing flushed or deleted."""
    log = store._intent_log
    assert log is not None
    for _, fd in getattr(log, "_spares", []):
        os.close(fd)
    os.close(log._fd)
    store._intent_log = None
    store._close()


def kinds_and_ids(path: Path) -> list[tuple[str, str | None]]:
    with SqliteJournal(path, durability="power-loss") as store:
        return [(r.kind, r.client_order_id) for r in store.records()]


@pytest.mark.usefixtures("every_commit_rolls")
def test_an_intent_is_logged_then_chained_at_the_next_group_commit(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    store = SqliteJournal(path, max_delay_s=3600)
    assert store.append(intent("a")) is None  # logged, not yet a commit of its own
    assert store.waiting == 1
    (log,) = logs(path)
    assert log.stat().st_size > 0 and oct(log.stat().st_mode & 0o777) == "0o600"
    assert store.flush() == 1
    assert not log.exists()  # gone once its intents are in the chain (emptied, a spare)
    assert all(p.stat().st_size == 0 for p in logs(path))  # later intents go to another file
    store.close()
    assert logs(path) == []  # a clean close leaves no log behind
    assert kinds_and_ids(path) == [("OrderIntended", "a")]


def files(path: Path) -> list[str]:
    return sorted(p.name for p in path.with_name(path.name + ".intents").iterdir())


@pytest.mark.usefixtures("every_commit_rolls")
def test_a_committed_log_file_is_emptied_and_written_again_not_made_anew(tmp_path: Path) -> None:
    # a new file per group commit (create, lock, name, then delete) cost more CPU per order
    # than the order's checks at a bot's pace
    path = tmp_path / "j.db"
    store = SqliteJournal(path, max_delay_s=3600)
    store.append(intent("a"))
    (first,) = logs(path)
    inode = first.stat().st_ino
    store.flush()  # `first` committed: emptied and kept, under a name after the file in use
    made, spare = logs(path)
    assert spare.stat().st_ino == inode and spare.stat().st_size == 0
    assert store._intent_log is not None and store._intent_log.path == made
    store.append(intent("b"))  # into the file made at that seal
    store.flush()
    log = store._intent_log
    assert log is not None and log.path == spare  # the next seal took the spare: no new file
    store.close()
    assert files(path) == []  # a clean close leaves no log and no spare behind
    assert kinds_and_ids(path) == [("OrderIntended", "a"), ("OrderIntended", "b")]


@pytest.mark.usefixtures("every_commit_rolls")
def test_intents_in_a_reused_file_are_recovered_in_order(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    store = SqliteJournal(path, max_delay_s=3600)
    for name in ("a", "b", "c"):
        store.append(intent(name))
        store.flush()
    store.append(intent("d"))  # logged in a file used before
    store.append(intent("e"))
    crash(store)
    assert kinds_and_ids(path) == [("OrderIntended", name) for name in "abcde"]
    assert files(path) == []  # a dead process's spares go with its logs


def test_group_commits_leave_the_log_file_alone_until_it_holds_roll_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # emptying and renaming the file at every group commit cost about 120 µs of the commit
    # thread per commit, a third of the journal's work per order at a bot's pace
    path = tmp_path / "j.db"
    store = SqliteJournal(path, max_delay_s=3600)
    store.append(intent("a"))
    (log,) = logs(path)
    inode = log.stat().st_ino
    for name in "bcd":
        store.flush()
        store.append(intent(name))
    assert logs(path) == [log] and log.stat().st_ino == inode  # one file all along
    monkeypatch.setattr(intent_log, "ROLL_BYTES", log.stat().st_size)  # full: the next commit
    store.flush()  # takes it, and empties it once its intents are in the chain
    assert not log.exists() and all(p.stat().st_size == 0 for p in logs(path))
    store.append(intent("e"))
    crash(store)  # a file holding committed intents and one that is not: only "e" is added
    assert kinds_and_ids(path) == [("OrderIntended", name) for name in "abcde"]
    assert logs(path) == []


def test_a_crashed_process_intents_are_recovered_once_and_in_order(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    store = SqliteJournal(path, max_delay_s=3600)
    store.append(clock_event(1))
    store.append(intent("a"))
    store.flush()  # 1, 2 committed
    store.append(intent("b"))
    store.append(clock_event(3))  # group-committed only: lost with the process
    store.append(intent("c"))
    crash(store)
    assert kinds_and_ids(path) == [
        ("ClockSynced", None),
        ("OrderIntended", "a"),
        ("OrderIntended", "b"),
        ("OrderIntended", "c"),
    ]
    assert logs(path) == []
    assert len(kinds_and_ids(path)) == 4  # opening again adds nothing


def test_an_intent_already_committed_is_not_recovered_twice(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    store = SqliteJournal(path, max_delay_s=3600)
    store.append(intent("a"))
    store.flush()
    committed = next(store.records())
    log = store._intent_log
    assert log is not None
    log.write(codec.encode(committed.event))  # as if it died after the commit, before clearing
    crash(store)
    assert kinds_and_ids(path) == [("OrderIntended", "a")]


def test_a_second_intent_under_a_freed_id_is_recovered(tmp_path: Path) -> None:
    """An order that never reached the exchange leaves its id free: the retry's intent, under
    the same id, is recovered though the journal holds the first one's."""
    path = tmp_path / "j.db"
    store = SqliteJournal(path, max_delay_s=3600)
    store.append(intent("a"))
    store.flush()
    store.append(intent("a", qty="2", at_ms=T0 + 5))
    crash(store)
    assert kinds_and_ids(path) == [("OrderIntended", "a"), ("OrderIntended", "a")]


def test_a_live_process_log_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    live = SqliteJournal(path, max_delay_s=3600)
    live.append(intent("a"))  # logged, waiting, its log locked by `live`
    other = SqliteJournal(path)  # opening recovers orphans only
    assert other.head()[0] == 0
    other.close()
    live.close()
    assert kinds_and_ids(path) == [("OrderIntended", "a")]


def test_a_torn_last_record_was_never_acknowledged(tmp_path: Path) -> None:
    directory = tmp_path / "j.db.intents"
    log = IntentLog(directory)
    log.write(b"first")
    os.write(log._fd, (100).to_bytes(4, "big") + b"cut")  # the write a crash cut short
    os.close(log._fd)
    found = list(orphans(directory))
    assert [bodies for _, bodies in found] == [[b"first"]]


def test_power_loss_durability_commits_intents_and_keeps_no_log(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with SqliteJournal(path, durability="power-loss") as store:
        assert store.append(intent("a")) == 1
    assert not path.with_name("j.db.intents").exists()
