"""What only the SQLite file can suffer: a damaged or truncated file, a foreign file."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from tradeguard.errors import ConfigError, JournalCorrupt, NotAJournal
from tradeguard.journal import default_path, open_journal
from tradeguard.journal.store_sqlite import SqliteJournal

from . import workload


def written(path: Path, n: int = 3000) -> Path:
    with SqliteJournal(path) as store:
        for event in workload.session(n, seed=4):
            store.append(event)
    return path


def test_created_private_and_in_wal_mode(tmp_path: Path) -> None:
    path = written(tmp_path / "deep" / "j.db", 10)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_default_path_and_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_path("bot") == tmp_path / "tradeguard" / "bot.db"
    with open_journal(None, profile="bot") as store:
        assert store.location == str(tmp_path / "tradeguard" / "bot.db")
    with open_journal(f"sqlite://{tmp_path}/u.db") as store:
        assert store.location == str(tmp_path / "u.db")
    monkeypatch.setenv("HOME", str(tmp_path))
    with open_journal("sqlite:///~/h.db") as store:
        assert store.location == str(tmp_path / "h.db")
    # SQLAlchemy's (and freqtrade's) four-slash absolute form names the same file, shown as
    # the path a trader copies into `journal verify`, not as "//..."
    with open_journal(f"sqlite:///{tmp_path}/u.db") as store:
        assert store.location == str(tmp_path / "u.db")


def test_a_missing_file_is_not_created_when_only_reading(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no journal at"):
        SqliteJournal(tmp_path / "nope.db", create=False)
    assert not (tmp_path / "nope.db").exists()


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(JournalCorrupt, match=r"\.recover") as caught:
        SqliteJournal(path)
    assert caught.value.position == 0


def test_a_database_that_is_not_a_journal(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(JournalCorrupt, match="not a tradeguard journal"):
        SqliteJournal(path, create=False)


def test_another_program_s_database_is_refused_not_given_a_journal_s_tables(
    tmp_path: Path,
) -> None:
    """`--journal` pointed at another program's SQLite file by mistake: opening it to write
    used to add the journal's tables to it and take it for a journal."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE prices (symbol, price)")
    with pytest.raises(NotAJournal) as refused:
        SqliteJournal(path)
    assert "check the path" in (refused.value.hint or "")
    with sqlite3.connect(path) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master")]
    assert names == ["prices"]


def test_a_truncated_file_says_so_and_what_to_do(tmp_path: Path) -> None:
    # SQLite refuses a file shorter than its header says before any record can be read, so
    # the position is 0 (the file as a whole) and the message gives the sizes.
    path = written(tmp_path / "j.db")
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(size // 2)
    with pytest.raises(JournalCorrupt) as caught:
        SqliteJournal(path, create=False)
    assert caught.value.position == 0
    message = str(caught.value)
    assert f"cut short: {size // 2} of its {size} bytes" in message
    assert ".recover" in message and "journal verify" in message


def test_damaged_pages_are_found_by_reading_and_by_verify(tmp_path: Path) -> None:
    path = written(tmp_path / "j.db")
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(size // 3 - size // 3 % 4096)  # one whole page in the middle, overwritten
        f.write(os.urandom(4096))
    with SqliteJournal(path) as store:
        with pytest.raises(JournalCorrupt) as caught:
            store.fold()
        assert caught.value.position > 1
        report = store.verify()
    assert not report.ok
    assert report.problems[0].position <= caught.value.position
