"""The SQLite journal: one file per profile, WAL, synchronous=NORMAL with an intent log beside
it (`<file>.intents/`), or FULL for the "power-loss" durability (see journal.store for what each
promises).

    journal(seq INTEGER PRIMARY KEY, at_ms, kind, client_order_id, body BLOB, hash BLOB)
    journal_meta(key, value)          format, profile, verified (the checkpoint)

The file and its directory are created private (0600 / 0700): a journal holds no secret, but
it does hold a trader's positions and orders. Reads use a second connection and see committed
records only.

Commits run on a thread of their own (journal.commit_thread, journal.sqlite_commits), which owns
the writing connection once it starts: the appender chains a batch and hands it over, and SQLite
inserts it, commits it and, every 1,000 pages of log, checkpoints, all without the GIL, off the
event loop. Each batch is one INSERT that checks the journal's head under SQLite's write lock
(and BEGIN IMMEDIATE when it must chain again after another writer), so several processes can
append to one file.

The same thread times the group commits (with the real clock): an append that leaves events
waiting where none waited asks it to wake when they have waited `DUE_SHARE` of `max_delay_s`,
and it chains and commits all that waits then. The session's timer did this on the event loop:
a wake-up of the loop (about 100 µs of CPU here) every other order at a bot's pace, besides
the thread's own wake-up to commit. A store on a fake clock leaves the timing to its owner
(`flush_due`), as PostgreSQL does.
"""

from __future__ import annotations

import os
import sqlite3
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tradeguard.errors import ConfigError, JournalCorrupt, NotAJournal, StateError
from tradeguard.journal import sqlite_commits
from tradeguard.journal.chain import Row
from tradeguard.journal.codec import VERSION
from tradeguard.journal.commit_thread import CommitThread
from tradeguard.journal.sqlite_commits import Batch, Head
from tradeguard.journal.store import DUE_SHARE, JournalStore
from tradeguard.net.clock import SystemClock

FORMAT = "1"
# events one INSERT takes at most: about 20 MB of bodies, far below SQLite's 1 GB per value
MAX_BATCH = 65_536
LOCK_RETRY_S = 0.002  # the commit thread's timer, finding the store's lock held, looks again
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS journal (
        seq INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        client_order_id TEXT,
        body BLOB NOT NULL,
        hash BLOB NOT NULL)""",
    # Only intents are indexed by client order id: the live path looks an intent up (a
    # cancel-replace), while an index over every record (fills are most of them) cost the fill
    # path 7 %; `journal show --order` scans instead, well under a second for a million records.
    """CREATE INDEX IF NOT EXISTS journal_intents ON journal(client_order_id)
        WHERE kind = 'OrderIntended'""",
    "DROP INDEX IF EXISTS journal_by_order",
    "CREATE TABLE IF NOT EXISTS journal_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
# SQLite cuts the version byte off in C; a body of another version comes back as NULL.
# Built from constants only (no input).
# Bodies and hashes are read CAST AS BLOB: a value someone rewrote as text must still come back
# as bytes, so that verify can say the record was edited, not that the file is unreadable.
_BODY = "CAST(body AS BLOB)"
_VERSIONED = f"CASE WHEN substr({_BODY}, 1, 1) = x'{VERSION:02x}' THEN substr({_BODY}, 2) END"
_ONE_BODY = f"SELECT seq, {_BODY} FROM journal WHERE seq = ?"  # noqa: S608
_ROWS = f"SELECT seq, at_ms, kind, client_order_id, {_BODY}, CAST(hash AS BLOB) FROM journal"  # noqa: S608
_PAYLOADS = f"SELECT seq, {_VERSIONED} FROM journal WHERE seq >= ? ORDER BY seq"  # noqa: S608
_RECOVER = (
    "`sqlite3 {path} .recover > saved.sql` saves the records that are still readable; then "
    "restore the journal from a backup, or start a new one and let reconciliation adopt the "
    "exchange's state"
)
_NOT_SQLITE = ", and it does not start like an SQLite file"
_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"
_CHECK_PATH = "check the path: --journal, or journal = in the profile"
_NOT_OURS = "it is an SQLite database without a tradeguard journal's tables"
# SQLite's errors that say it may not open or write the files, not that they are damaged
_NOT_ALLOWED = frozenset({"SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM"})


class SqliteJournal(JournalStore):
    def __init__(
        self,
        path: str | Path,
        *,
        profile: str = "default",
        create: bool = True,
        busy_timeout_s: float = 30.0,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.path = Path(path).expanduser()
        self.location = str(self.path)
        self.profile = profile
        self._timeout = busy_timeout_s
        if self.path.is_dir():
            raise ConfigError(
                f"the journal {self.path} is a folder, not a file",
                hint="name a file in it, like "
                f"{self.path / ((profile or 'default') + '.db')}, with --journal or journal = "
                "in the profile",
            )
        if not self.path.exists():
            if not create:
                raise ConfigError(
                    f"no journal at {self.path}",
                    hint="give the right file with --journal, or run the bot once to create it",
                )
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            except OSError as exc:
                reason = os.strerror(exc.errno) if exc.errno else str(exc)
                raise ConfigError(
                    f"cannot create the journal at {self.path}: {reason} ({exc.filename})",
                    hint="point journal = in the profile at a folder you can write",
                ) from None
        self._reader: sqlite3.Connection | None = None
        self._commits: CommitThread[Batch] | None = None  # started by the first commit
        self._commits_pid = 0  # the process that started it
        self._chain_head: Head = (0, b"")  # the head the next batch is chained after
        self._written_head: Head = (0, b"")  # the head the commit thread last left
        # the commit thread waits on the real clock: it can time the group commits only then
        self._self_timed = isinstance(self._clock, SystemClock)
        self._conn = self._connect()
        try:
            self._prepare(create)
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            if exc.sqlite_errorname in _NOT_ALLOWED:  # the folder, not the file
                raise ConfigError(
                    f"cannot open the journal {self.path} for writing ({exc}): its folder must "
                    "be writable too (SQLite keeps its -wal and -shm files beside it)",
                    hint=f"make {self.path.parent} writable, or point journal = in the profile "
                    "at a folder you can write; the journal itself is not damaged",
                ) from None
            if self._truncation() == _NOT_SQLITE:
                raise NotAJournal(
                    str(self.path),
                    f"SQLite cannot read it ({exc}), and it does not start like an SQLite file",
                    hint=f"{_CHECK_PATH}; if it is the journal, its first page is damaged: "
                    + _RECOVER.format(path=self.path),
                ) from None
            raise JournalCorrupt(0, self._damaged(exc)) from None
        self._keep_intent_log(self.path.with_name(self.path.name + ".intents"))

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=self._timeout
        )
        conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
        return conn

    def _prepare(self, create: bool) -> None:
        conn = self._conn
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StateError(f"cannot put the journal {self.path} in WAL mode (got {mode})")
        sync = "FULL" if self.durability == "power-loss" else "NORMAL"
        conn.execute(f"PRAGMA synchronous = {sync}")
        if create:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # another program's database is refused, never given a journal's tables
                tables = {row[0] for row in conn.execute(_TABLES)}
                if tables and "journal_meta" not in tables:
                    raise NotAJournal(str(self.path), _NOT_OURS, hint=_CHECK_PATH)
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute(
                    "INSERT OR IGNORE INTO journal_meta VALUES ('format', ?), ('profile', ?)",
                    (FORMAT, self.profile),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        try:
            meta = dict(conn.execute("SELECT key, value FROM journal_meta").fetchall())
        except sqlite3.OperationalError:
            meta = {}
        found = meta.get("format")
        if found is None:
            raise NotAJournal(str(self.path), _NOT_OURS, hint=_CHECK_PATH)
        if found != FORMAT:
            raise JournalCorrupt(
                0, f"{self.path} is journal format {found}; this tradeguard reads {FORMAT}"
            )
        self.profile = meta.get("profile", self.profile)

    def _damaged(self, exc: sqlite3.DatabaseError, after: int | None = None) -> str:
        where = " before its first record" if after is None else f" after record {after}"
        return (
            f"SQLite cannot read {self.path}{where} ({exc}{self._truncation()}); "
            + _RECOVER.format(path=self.path)
        )

    def _truncation(self) -> str:
        """ ", the file is cut short: ..." when the file is smaller than its own header says."""
        try:
            with self.path.open("rb") as f:
                header = f.read(100)
            size = self.path.stat().st_size
        except OSError:
            return ""
        if len(header) < 100 or not header.startswith(b"SQLite format 3\0"):
            return _NOT_SQLITE
        page = int.from_bytes(header[16:18], "big")
        page = 65536 if page == 1 else page
        expected = page * int.from_bytes(header[28:32], "big")
        if size < expected:
            return f", and the file is cut short: {size} of its {expected} bytes are there"
        return ""

    # ── writing ──────────────────────────────────────────────────────────────────────────────

    @property
    def waiting(self) -> int:
        queued = self._commits.queued() if self._commits is not None else []
        return len(self._pending) + sum(len(batch.pending) for batch in queued)

    @property
    def times_commits(self) -> bool:
        return self._self_timed

    def _now_waiting(self) -> None:
        if not self._self_timed:
            super()._now_waiting()
            return
        self._thread().wake_at(self._oldest + self.max_delay_s * DUE_SHARE)

    def _commit_when_due(self) -> None:
        """On the commit thread, at the time `_now_waiting` asked for: chain what waits and
        queue it for this thread (next), or ask again for when it is due. The store's lock is
        only tried: its holder may be waiting for this thread (a flush draining the queue, an
        append waiting for room), so the thread looks again a moment later instead."""
        commits = self._commits
        if commits is None:
            return
        if not self._lock.acquire(blocking=False):
            commits.wake_at(self._monotonic() + LOCK_RETRY_S)
            return
        try:
            if not self._pending:
                return
            due_at = self._oldest + self.max_delay_s * DUE_SHARE
            if self._monotonic() < due_at:  # woken early, or a later append's events
                commits.wake_at(due_at)
                return
            commits.resume()  # after a failure: its batches first, then these
            commits, batches = self._batches()
            for batch in batches:
                commits.submit(batch, wait=False)  # this thread makes the room: never wait
        finally:
            self._lock.release()

    def _group_commit(self) -> int | None:
        commits = self._own_commits()
        if commits is not None and commits.failed is not None:
            return self._commit_pending()  # try again now: raises while it cannot be written
        commits, batches = self._batches()
        for batch in batches:
            commits.submit(batch)
        return None

    def _commit_pending(self) -> int:
        commits = self._own_commits()
        if commits is not None:
            commits.resume()  # after a failure: its batches are tried again
        if self._pending:
            commits, batches = self._batches()
            for batch in batches[:-1]:
                commits.submit(batch)
            return self._settled(commits.commit_now(batches[-1]))
        return self.wait_committed()

    def wait_committed(self) -> int:
        commits = self._own_commits()
        return self.committed_seq if commits is None else self._settled(commits.drain())

    def _settled(self, failure: BaseException | None) -> int:
        """After waiting for the commit thread: its failure raised, or the seq it reached."""
        if failure is not None:
            raise failure
        self.committed_seq = self._written_head[0]
        return self.committed_seq

    def _own_commits(self) -> CommitThread[Batch] | None:
        """The commit thread, if started; a process forked from the one that started it has
        no such thread (threads do not survive fork), and waiting for it would hang."""
        if self._commits is not None and self._commits_pid != os.getpid():
            raise StateError(
                f"the journal {self.path} was opened in another process, before a fork",
                hint="open the journal again in the process that uses it",
            )
        return self._commits

    def _batches(self) -> tuple[CommitThread[Batch], list[Batch]]:
        """What is waiting, chained as the next batches (one statement each, at most
        `MAX_BATCH` events), and the thread to commit them (started by the first batch). The
        caller holds the store's lock."""
        started = self._commits is not None
        commits = self._thread()
        if started and commits.idle():
            self._chain_head = self._written_head  # exact, even after another process wrote
        log = self._intent_log.seal() if self._intent_log is not None else None
        pending, self._pending = self._encoded_pending(), []
        batches: list[Batch] = []
        for start in range(0, len(pending), MAX_BATCH):
            last = start + MAX_BATCH >= len(pending)  # its commit is the last: the log goes then
            part = pending[start : start + MAX_BATCH]
            batch = sqlite_commits.chain(self._chain_head, part, log if last else None)
            self._chain_head = batch.last
            batches.append(batch)
        return commits, batches

    def _thread(self) -> CommitThread[Batch]:
        """The commit thread, started at the first need (the caller holds the store's lock):
        it owns the writing connection from then on."""
        commits = self._own_commits()
        if commits is None:
            try:
                self._written_head = sqlite_commits.head(self._conn)
            except sqlite3.DatabaseError as exc:
                raise JournalCorrupt(0, self._damaged(exc)) from None
            self._chain_head = self._written_head
            commits = self._commits = CommitThread(
                self._commit_batch, abandon=_release_log, on_due=self._commit_when_due
            )
            self._commits_pid = os.getpid()
            weakref.finalize(self, commits.stop_soon)  # a store nobody closed ends its thread
        return commits

    def _commit_batch(self, batch: Batch) -> None:
        """On the commit thread: insert and commit one batch."""
        try:
            sqlite_commits.commit(self._conn, batch)
        except sqlite3.OperationalError as exc:
            raise StateError(
                f"cannot write the journal {self.path}: {exc}",
                hint="check the disk (space, permissions); the events not committed stay "
                "queued and are tried again",
            ) from None
        except sqlite3.DatabaseError as exc:
            raise JournalCorrupt(batch.after[0] + 1, self._damaged(exc)) from None
        self._written_head = batch.last
        if batch.log is not None:
            batch.log.discard()  # its intents are in the chain now

    # ── reading ──────────────────────────────────────────────────────────────────────────────

    def _read(self, sql: str, args: tuple[Any, ...], first: int) -> Iterator[Any]:
        if self._reader is None:
            self._reader = self._connect()
        last = first - 1
        try:
            for row in self._reader.execute(sql, args):
                last = row[0]
                yield row
        except sqlite3.DatabaseError as exc:
            raise JournalCorrupt(last + 1, self._damaged(exc, last)) from None

    def _rows(
        self,
        from_seq: int,
        client_order_id: str | None,
        unattributed_fills: bool = False,
        kinds: tuple[str, ...] = (),
    ) -> Iterator[Row]:
        if client_order_id is not None and kinds == ("OrderIntended",):
            # an intent by its client order id: the one lookup the live path makes
            sql = f"{_ROWS} INDEXED BY journal_intents WHERE kind = 'OrderIntended'"
            sql += " AND client_order_id = ? AND seq >= ?"
            return self._read(sql + " ORDER BY seq", (client_order_id, from_seq), from_seq)
        sql, args = f"{_ROWS} WHERE seq >= ?", list[object]([from_seq])
        if client_order_id is not None:
            sql += " AND client_order_id = ?"
            args.append(client_order_id)
        if unattributed_fills:
            sql += " AND kind = 'OrderFilled' AND client_order_id IS NULL"
        if kinds:
            sql += f" AND kind IN ({', '.join('?' for _ in kinds)})"
            args.extend(kinds)
        return self._read(sql + " ORDER BY seq", tuple(args), from_seq)

    _read_errors = (sqlite3.DatabaseError,)

    def _read_failed(self, exc: Exception, last_seq: int) -> JournalCorrupt:
        assert isinstance(exc, sqlite3.DatabaseError)
        return JournalCorrupt(last_seq + 1, self._damaged(exc, last_seq))

    def _payload_cursor(self, from_seq: int) -> sqlite3.Cursor:
        if self._reader is None:
            self._reader = self._connect()
        return self._reader.execute(_PAYLOADS, (from_seq,))

    def _body(self, seq: int) -> bytes:
        row = next(self._read(_ONE_BODY, (seq,), seq), None)
        return b"" if row is None else bytes(row[1])

    def _get_meta(self, key: str) -> str | None:
        row = next(self._read("SELECT 0, value FROM journal_meta WHERE key = ?", (key,), 0), None)
        return None if row is None else str(row[1])

    def _set_meta(self, key: str, value: str) -> None:
        # on the reading connection: the writing one belongs to the commit thread
        if self._reader is None:
            self._reader = self._connect()
        try:
            self._reader.execute("INSERT OR REPLACE INTO journal_meta VALUES (?, ?)", (key, value))
        except sqlite3.OperationalError as exc:
            raise StateError(
                f"cannot write the journal {self.path}: {exc}",
                hint="check the disk (space, permissions)",
            ) from None

    def commits_mark(self) -> int:
        """A mark that changes when a connection other than the reading one commits to the
        file: this store's own commits, or another process's (SQLite's `PRAGMA data_version`).
        The same mark as at the last look means nothing was committed since: far cheaper than
        reading the head (a few µs), for a watcher of what other processes write."""
        if self._reader is None:
            self._reader = self._connect()
        try:
            return int(self._reader.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise JournalCorrupt(0, self._damaged(exc)) from None

    def _head(self) -> tuple[int, bytes] | None:
        if self._reader is None:
            self._reader = self._connect()
        try:
            found = sqlite_commits.head(self._reader)
        except sqlite3.DatabaseError as exc:
            raise JournalCorrupt(0, self._damaged(exc)) from None
        return None if found[0] == 0 else found

    def _close(self) -> None:
        if self._commits is not None:  # first: it uses the writing connection
            self._commits.stop()
            self._commits = None
        if self._reader is not None:
            self._reader.close()
        self._conn.close()


def _release_log(batch: Batch) -> None:
    """A batch never committed (the journal closed after a failure): its intents stay in their
    log file for the next opening to recover."""
    if batch.log is not None:
        batch.log.release()
