"""One contract suite, two stores: the `backend` fixture runs each contract test against
SQLite and against a throwaway PostgreSQL cluster (skipped, with how to enable it, when the
server binaries are missing)."""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tradeguard.journal import intent_log, open_journal
from tradeguard.journal.store import JournalStore

from . import pgcluster

_profiles = itertools.count()
_COLUMNS = "seq, at_ms, kind, client_order_id, body, hash"


@pytest.fixture
def every_commit_rolls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every group commit takes its intents' file (as when each file holds ROLL_BYTES)."""
    monkeypatch.setattr(intent_log, "ROLL_BYTES", 1)


@pytest.fixture(scope="session")
def pg() -> Iterator[pgcluster.Cluster | None]:
    with pgcluster.running() as cluster:
        yield cluster


Row = tuple[int, int, str, str | None, bytes, bytes]


class Backend:
    """Opens fresh journals of one kind, and reaches under them, as an attacker or a damaged
    disk would: `rows()` and `replace_all(rows)` see the stored rows directly."""

    name: str
    target: str
    profile: str

    def open(self, **options: Any) -> JournalStore:
        return open_journal(self.target, profile=self.profile, **options)

    def rows(self) -> list[Row]:
        raise NotImplementedError

    def replace_all(self, rows: list[Row]) -> None:
        raise NotImplementedError

    def store_bytes(self) -> bytes:
        """Everything the store wrote, as raw bytes (its files, or the server's data files)."""
        raise NotImplementedError


class SqliteBackend(Backend):
    name = "sqlite"

    def __init__(self, tmp: Path) -> None:
        self.dir = tmp
        self.target = str(tmp / "journal.db")
        self.profile = "default"

    def _conn(self) -> sqlite3.Connection:
        return sqlite3.connect(self.target, isolation_level=None)

    def rows(self) -> list[Row]:
        with contextlib.closing(self._conn()) as conn:
            return conn.execute(f"SELECT {_COLUMNS} FROM journal ORDER BY seq").fetchall()

    def replace_all(self, rows: list[Row]) -> None:
        with contextlib.closing(self._conn()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM journal")
            conn.executemany(f"INSERT INTO journal ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", rows)
            conn.execute("COMMIT")

    def store_bytes(self) -> bytes:
        return b"".join(p.read_bytes() for p in self.dir.rglob("*") if p.is_file())


class PostgresBackend(Backend):
    name = "postgres"

    def __init__(self, cluster: pgcluster.Cluster) -> None:
        self.cluster = cluster
        self.target = cluster.dsn
        self.profile = f"test{next(_profiles)}"

    def rows(self) -> list[Row]:
        import psycopg

        with psycopg.connect(self.target) as conn:
            found = conn.execute(
                f"SELECT {_COLUMNS} FROM tradeguard_journal WHERE profile = %s ORDER BY seq",
                (self.profile,),
            ).fetchall()
        return [(r[0], r[1], r[2], r[3], bytes(r[4]), bytes(r[5])) for r in found]

    def replace_all(self, rows: list[Row]) -> None:
        import psycopg

        with psycopg.connect(self.target) as conn:
            conn.execute("DELETE FROM tradeguard_journal WHERE profile = %s", (self.profile,))
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO tradeguard_journal (profile, {_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [(self.profile, *r) for r in rows],
                )

    def store_bytes(self) -> bytes:
        import psycopg

        with psycopg.connect(self.target, autocommit=True) as conn:
            conn.execute("CHECKPOINT")
        return b"".join(p.read_bytes() for p in self.cluster.data.rglob("*") if p.is_file())


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return SqliteBackend(tmp_path)
    cluster = request.getfixturevalue("pg")
    if cluster is None:
        pytest.skip(pgcluster.HOW_TO_ENABLE)
    return PostgresBackend(cluster)


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No tradeguard.toml or journal of the user's is read: config, data and state in tmp,
    and tmp the working directory."""
    monkeypatch.chdir(tmp_path)
    for name in ("TRADEGUARD_CONFIG", "TRADEGUARD_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("CONFIG", "DATA", "STATE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
