"""One runner per profile and journal: the lock `connect` takes and closing releases.

Two bots on one profile would each enforce the profile's order rate on its own (60 orders a
minute on a 30-a-minute profile), each fold its own idea of the open orders and the position,
and each cancel the other's orders on its way out. So a session that trades holds this lock for
its life, and a second `connect` (or `tradeguard run`) on the same profile and journal is
refused, naming the process that holds it. The rate limits the exchange counts per IP are
shared another way, across every process on the host (`hoststate`).

- SQLite journal: an exclusive `flock` on `<journal>.lock`, beside the journal file, which holds
  the holder's PID and host for the refusal to name. The kernel drops a flock when its process
  ends in any way, so a bot killed with SIGKILL never leaves its profile locked.
- PostgreSQL journal: a session-level advisory lock keyed by the profile, on a connection of its
  own that stays open for the session's life, its application_name naming the holder. The
  server drops the lock when that connection ends, a dead process's included (and also if the
  connection breaks while the bot runs: the lock protects against a second runner started by
  mistake, it is not a lease).

Only a trading session takes it: reading the journal, `tradeguard kill`, `account` and `doctor`
never do. (No Windows: fcntl is imported where it is used.)
"""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tradeguard.errors import ConfigError, GuardError, StateError

if TYPE_CHECKING:
    from tradeguard.journal.store import JournalStore

_HOLDER_MAX = 63  # PostgreSQL's application_name limit (NAMEDATALEN - 1)


class Held(Protocol):
    def release(self) -> None: ...


def take(journal: JournalStore) -> Held:
    """Lock the journal's profile for this process, or refuse with who holds it."""
    from tradeguard.journal.store_postgres import PostgresJournal
    from tradeguard.journal.store_sqlite import SqliteJournal

    if isinstance(journal, PostgresJournal):
        return _AdvisoryLock.take(journal)
    assert isinstance(journal, SqliteJournal), type(journal)
    return _FileLock.take(journal.path.with_name(journal.path.name + ".lock"), journal.profile)


def _me() -> str:
    return f"pid={os.getpid()} host={socket.gethostname()}"[:_HOLDER_MAX]


def _refused(profile: str, holder: str, where: str) -> GuardError:
    fields = dict(part.split("=", 1) for part in holder.split() if "=" in part)
    pid, host = fields.get("pid"), fields.get("host")
    here = host == socket.gethostname()
    if pid is None:
        who, stop = "another process", "stop that bot first"
    elif pid == str(os.getpid()) and here:
        who, stop = f"process {pid} (this one)", "close this process's other session first"
    else:
        who = f"process {pid}" + ("" if here or not host else f" on {host}")
        stop = f"stop that bot first (Ctrl-C in its terminal, or `kill {pid}`)"
    return GuardError(
        f"profile {profile} is already trading in {who} ({where})",
        hint=f"one runner per profile, so that its order rate and its orders stay its own: "
        f"{stop}, or give this bot a profile of its own",
    )


class _FileLock:
    def __init__(self, fd: int) -> None:
        self._fd = fd

    @classmethod
    def take(cls, path: Path, profile: str) -> _FileLock:
        import fcntl

        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise ConfigError(
                f"cannot open the profile's lock file {path}: {exc.strerror}",
                hint="it lives beside the journal: make that directory writable",
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 256, 0).decode(errors="replace")
            os.close(fd)
            raise _refused(profile, holder, f"lock file {path}") from None
        except OSError as exc:
            os.close(fd)
            raise StateError(f"cannot lock {path}: {exc.strerror}") from None
        mine = _me().encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, mine, 0)
        return cls(fd)

    def release(self) -> None:
        if self._fd < 0:
            return
        fd, self._fd = self._fd, -1
        try:
            os.ftruncate(fd, 0)  # so that no refusal ever names a process that is gone
        finally:
            os.close(fd)  # which drops the flock


def _advisory_key(profile: str) -> int:
    """The lock's key: 62 bits of a hash of the profile, distinct from the journal's own
    commit lock (a transaction lock in the same key space, see journal.store_postgres)."""
    digest = hashlib.sha256(b"tradeguard-runner:" + profile.encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 2


# pg_locks splits a bigint advisory key into classid (high half) and objid (low half)
_HOLDER = """SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.classid::bigint = %s AND l.objid::bigint = %s"""


class _AdvisoryLock:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    @classmethod
    def take(cls, journal: Any) -> _AdvisoryLock:
        pg = journal._pg  # the psycopg module the journal imported
        key = _advisory_key(journal.profile)
        try:
            conn = pg.connect(journal.dsn, autocommit=True, application_name=f"tradeguard {_me()}")
        except pg.Error as exc:
            from tradeguard.journal.store_postgres import UNREACHABLE_HINT, unreachable

            raise unreachable(journal.location, exc, UNREACHABLE_HINT) from None
        try:
            (got,) = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            if got:
                return cls(conn)
            row = conn.execute(_HOLDER, (key >> 32, key & 0xFFFF_FFFF)).fetchone()
        except pg.Error as exc:
            conn.close()
            raise StateError(f"cannot lock the profile in {journal.location}: {exc}") from None
        conn.close()
        holder = str(row[0]) if row is not None else ""
        raise _refused(journal.profile, holder, f"advisory lock in {journal.location}")

    def release(self) -> None:
        self._conn.close()  # the server drops a session's advisory locks with it


__all__ = ["Held", "take"]
