"""The journal as the dashboard reads it: records after a seq, the head, the chain's status.

    tail = JournalTail.open("~/.local/share/tradeguard/default.db")   # or postgresql://...
    seq = tail.start_view(view)           # the view brought to the head, from a checkpoint
    for seq, event in tail.after(seq):    # what was written since (poll it)
        payload = view.apply(seq, event)

It never writes the journal. SQLite is opened read-only (`file:...?mode=ro`); the journal runs
in WAL mode, so a reader never blocks the bot's commits, and every read here is one short
statement (no transaction or cursor left open between polls, which would hold back SQLite's
checkpoints). PostgreSQL is read over its own autocommit connection.

`start_view` does not read a long journal whole: it restores the last checkpoint
(`dashboard.checkpoint`) when the journal still holds the record it was folded to, folds what
came after it, and leaves a new checkpoint when that was more than `checkpoint.EVERY` records.
The tail then follows that view: each `after` that finds records first tells the view the
journal's head (the chain panel, the journal lag) and, every `checkpoint.FOLLOW_EVERY` records
the view has folded since, writes its checkpoint again; a dashboard that runs for weeks restarts
as fast as a new one. `rows_read` counts the records read, for tests and the bench.
"""

from __future__ import annotations

import contextlib
import sqlite3
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import msgspec

from tradeguard.dashboard import checkpoint
from tradeguard.dashboard.view import DashboardView
from tradeguard.errors import ConfigError, JournalCorrupt, StateError
from tradeguard.events import EventBase
from tradeguard.journal import codec
from tradeguard.journal.store import CHECKPOINT_KEY
from tradeguard.journal.store_postgres import unreachable

CHUNK = 10_000  # records per read while catching up
# The version byte checked and cut off by the database, as the stores read it (built from
# constants only); a body of another version comes back as NULL.
_SQLITE_PAYLOADS = (
    "SELECT seq, CASE WHEN substr(CAST(body AS BLOB), 1, 1) = x'"  # noqa: S608
    f"{codec.VERSION:02x}' THEN substr(CAST(body AS BLOB), 2) END "
    "FROM journal WHERE seq > ? ORDER BY seq LIMIT ?"
)
_PG_PAYLOADS = (
    f"SELECT seq, CASE WHEN get_byte(body, 0) = {codec.VERSION:d} "  # noqa: S608
    "THEN substring(body FROM 2) END FROM tradeguard_journal "
    "WHERE profile = %s AND seq > %s ORDER BY seq LIMIT %s"
)


class JournalTail(ABC):
    location: str
    checkpoint_path: Path

    def __init__(self) -> None:
        self.rows_read = 0
        self.checkpoint_note: str | None = None  # why the last checkpoint was not used or kept
        self._checkpoint_seq = 0
        self._following: DashboardView | None = None  # the view start_view brought to the head

    @classmethod
    def open(cls, location: str | Path, *, profile: str = "default") -> JournalTail:
        """A tail of the journal at `location`: an SQLite file (a path or sqlite:/// URL) or a
        postgresql:// URL with the profile whose chain to read."""
        text = str(location)
        if text.startswith(("postgresql://", "postgres://")):
            return PostgresTail(text, profile)
        if text.startswith("sqlite://"):
            text = text.removeprefix("sqlite://")
            text = text[1:] if text.startswith("/~") else text
        return SqliteTail(Path(text).expanduser())

    # ── reading ──────────────────────────────────────────────────────────────────────────────

    def head(self) -> int:
        """The last committed record's seq (0: empty)."""
        return self._head()[0]

    def after(self, seq: int, limit: int = 1000) -> list[tuple[int, EventBase]]:
        """Up to `limit` records with a seq above `seq`, in order."""
        rows = self._payloads(seq, limit)
        self.rows_read += len(rows)
        view = self._following
        if view is not None and rows:
            self.note_chain(view)
            self.keep_checkpoint(view, every=checkpoint.FOLLOW_EVERY)
        out: list[tuple[int, EventBase]] = []
        expected = seq + 1
        decode = codec.payload_decoder
        for found, payload in rows:
            if found != expected:
                raise JournalCorrupt(
                    expected,
                    f"the journal {self.location} jumps from record {expected - 1} to {found}: "
                    f"record {expected} was removed or lost",
                )
            try:
                event = decode(payload) if payload is not None else self._undecodable(found)
            except msgspec.DecodeError as exc:
                raise codec.undecodable(found, exc) from None
            out.append((found, event))
            expected += 1
        return out

    def _undecodable(self, seq: int) -> EventBase:
        """A record of another codec version: decoding the whole body raises the precise error."""
        return codec.decode(self._body(seq), seq)

    def start_view(self, view: DashboardView) -> int:
        """Bring a fresh view to the head: from the checkpoint if it still fits this journal,
        then the records after it; a new checkpoint if many were folded. The seq reached."""
        self._following = None
        self._restore(view)
        seq = view.seq
        while batch := self.after(seq, CHUNK):
            seq = view.apply_all(batch)
        self.note_chain(view)
        self.keep_checkpoint(view)
        self._following = view
        return seq

    def note_chain(self, view: DashboardView) -> None:
        """Tell the view the journal's head and the last verified record (a start's or
        `journal verify`'s)."""
        head_seq, head_hash = self._head()
        view.note_chain(head_seq, head_hash, self._verified())

    def keep_checkpoint(self, view: DashboardView, *, every: int = checkpoint.EVERY) -> bool:
        """Write a checkpoint of the view if it folded `every` records past the last one
        (call it now and then while tailing). Whether one was written."""
        seq = view.seq
        if seq - self._checkpoint_seq < every or seq == 0:
            return False
        digest = self._hash_at(seq)
        if digest is None:
            return False
        problem = checkpoint.save(
            self.checkpoint_path,
            checkpoint.Checkpoint(
                checkpoint.FORMAT, seq, digest, view.image(), checkpoint.layout()
            ),
        )
        if problem is not None:
            self.checkpoint_note = problem
            return False
        self._checkpoint_seq = seq
        return True

    def _restore(self, view: DashboardView) -> None:
        found, problem = checkpoint.load(self.checkpoint_path)
        self.checkpoint_note = problem
        if found is None:
            return
        digest = self._hash_at(found.seq)
        if digest != found.hash:
            self.checkpoint_note = (
                f"the dashboard checkpoint at record {found.seq} is not of this journal "
                "(replaced, cut short or rewritten since); folding from the start"
            )
            return
        try:
            view.restore(found.view)
        except msgspec.DecodeError:
            self.checkpoint_note = (
                f"the dashboard checkpoint {self.checkpoint_path} is unreadable; folding from "
                "the start"
            )
            return
        self._checkpoint_seq = found.seq

    def _verified(self) -> tuple[int, bytes] | None:
        text = self._meta(CHECKPOINT_KEY)
        if text is None:
            return None
        seq, _, digest = text.partition(":")
        try:
            return int(seq), bytes.fromhex(digest)
        except ValueError:
            return None

    def __enter__(self) -> JournalTail:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ── what a backend provides ──────────────────────────────────────────────────────────────

    @abstractmethod
    def _head(self) -> tuple[int, bytes]: ...

    @abstractmethod
    def _payloads(self, after: int, limit: int) -> list[tuple[int, bytes | None]]:
        """(seq, body without its version byte, or None when the version is not the codec's)."""

    @abstractmethod
    def _body(self, seq: int) -> bytes: ...

    @abstractmethod
    def _hash_at(self, seq: int) -> bytes | None: ...

    @abstractmethod
    def _meta(self, key: str) -> str | None: ...

    @abstractmethod
    def close(self) -> None: ...


class SqliteTail(JournalTail):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.location = str(path)
        self.checkpoint_path = checkpoint.beside(path)
        if not path.is_file():
            raise ConfigError(
                f"no journal at {path}",
                hint="give the profile's journal (see `tradeguard doctor`), or run the bot once",
            )
        try:
            self._conn = sqlite3.connect(
                f"{path.absolute().as_uri()}?mode=ro", uri=True, isolation_level=None,
                check_same_thread=False,
            )  # fmt: skip
            self._conn.execute("PRAGMA busy_timeout = 5000")
            self._conn.execute("SELECT 1 FROM journal LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            raise JournalCorrupt(0, f"cannot read {path} as a tradeguard journal ({exc})") from None

    def _run(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise JournalCorrupt(0, f"cannot read the journal {self.path} ({exc})") from None

    def _head(self) -> tuple[int, bytes]:
        rows = self._run(
            "SELECT seq, CAST(hash AS BLOB) FROM journal ORDER BY seq DESC LIMIT 1", ()
        )
        return (0, b"") if not rows else (int(rows[0][0]), bytes(rows[0][1]))

    def _payloads(self, after: int, limit: int) -> list[tuple[int, bytes | None]]:
        return self._run(_SQLITE_PAYLOADS, (after, limit))

    def _body(self, seq: int) -> bytes:
        rows = self._run("SELECT CAST(body AS BLOB) FROM journal WHERE seq = ?", (seq,))
        return b"" if not rows else bytes(rows[0][0])

    def _hash_at(self, seq: int) -> bytes | None:
        rows = self._run("SELECT CAST(hash AS BLOB) FROM journal WHERE seq = ?", (seq,))
        return None if not rows else bytes(rows[0][0])

    def _meta(self, key: str) -> str | None:
        rows = self._run("SELECT value FROM journal_meta WHERE key = ?", (key,))
        return None if not rows else str(rows[0][0])

    def close(self) -> None:
        self._conn.close()


class PostgresTail(JournalTail):
    def __init__(self, dsn: str, profile: str) -> None:
        super().__init__()
        try:
            import psycopg
            from psycopg.conninfo import conninfo_to_dict
        except ImportError:
            raise ConfigError(
                "a PostgreSQL journal needs the psycopg package",
                hint="pip install 'tradeguard[postgres]'",
            ) from None
        self._errors: type[Exception] = psycopg.Error
        self.profile = profile
        info = conninfo_to_dict(dsn)
        server = (
            f"postgresql://{info.get('user', '')}@{info.get('host', 'localhost')}:"
            f"{info.get('port', '')}/{info.get('dbname', '')}"
        )
        self.location = f"{server} (profile {profile})"
        self.checkpoint_path = checkpoint.in_cache(server, profile)
        self._dsn = dsn
        self._psycopg: Any = psycopg
        self._conn: Any = None
        self._connection()

    def _connection(self) -> Any:
        """The connection, opened again after the last one broke (the server restarted)."""
        if self._conn is None or self._conn.closed:
            try:
                self._conn = self._psycopg.connect(self._dsn, autocommit=True)
            except self._errors as exc:
                raise unreachable(
                    self.location,
                    exc,
                    "check the server and the URL; the dashboard tries again at its next poll",
                ) from None
        return self._conn

    def _run(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        conn = self._connection()
        try:
            return list(conn.execute(sql, args).fetchall())
        except self._errors as exc:
            if conn.broken:
                self.close()
            raise StateError(
                f"cannot read the journal {self.location}: {exc}",
                hint="check the server; the dashboard reads again at its next poll",
            ) from None

    def _head(self) -> tuple[int, bytes]:
        rows = self._run(
            "SELECT seq, hash FROM tradeguard_journal WHERE profile = %s ORDER BY seq DESC LIMIT 1",
            (self.profile,),
        )
        return (0, b"") if not rows else (int(rows[0][0]), bytes(rows[0][1]))

    def _payloads(self, after: int, limit: int) -> list[tuple[int, bytes | None]]:
        rows = self._run(_PG_PAYLOADS, (self.profile, after, limit))
        return [(int(seq), None if p is None else bytes(p)) for seq, p in rows]

    def _body(self, seq: int) -> bytes:
        rows = self._run(
            "SELECT body FROM tradeguard_journal WHERE profile = %s AND seq = %s",
            (self.profile, seq),
        )
        return b"" if not rows else bytes(rows[0][0])

    def _hash_at(self, seq: int) -> bytes | None:
        rows = self._run(
            "SELECT hash FROM tradeguard_journal WHERE profile = %s AND seq = %s",
            (self.profile, seq),
        )
        return None if not rows else bytes(rows[0][0])

    def _meta(self, key: str) -> str | None:
        rows = self._run(
            "SELECT value FROM tradeguard_journal_meta WHERE key = %s", (f"{key}:{self.profile}",)
        )
        return None if not rows else str(rows[0][0])

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
