"""The intent log: how an order intent is in the journal before its request leaves, for the
price of one write() instead of a database transaction.

With the "crash" durability, an intent needs to survive the bot's process dying, nothing more.
A write() to a file does that the moment it returns: the bytes are the kernel's. So each intent
is written here (length-prefixed, encoded as the journal stores it), then waits with the other
events for the journal's next group commit, which chains it in order. A file holds the intents
of many group commits: only once it holds `ROLL_BYTES` is it sealed as its intents are handed to
a commit (`seal`), later intents go to a fresh file, and the sealed one is emptied once that
commit is done (`SealedLog.discard`). A process that dies in between leaves its logs behind, and
the next opening of the journal appends what they hold and the journal lacks (each intent is
looked up by its client order id, so those committed already are skipped: a log holds at most
`ROLL_BYTES` of them), in the order logged, before anything else
(`JournalStore._keep_intent_log`). Commits go in order, so what the journal lacks is the
log's last intents, and nothing after them was committed (a group commit takes everything
waiting, in order): the chain's order stays the order in which things happened.

Files of one process, under the journal's `<name>.intents/` directory, each held with an
exclusive flock while the process lives: recovery only takes the logs of processes that are
gone, so several bots on one journal never take each other's. A process's files are named
`<pid>-<token>-<n>.log`, n counting up, so that recovery reads them in the order written.

Why files are kept for many commits, and reused: at a bot's pace a group commit takes one or
two orders' events. A new file per commit (created, locked and named on the event loop, the
old one deleted) cost more CPU per order than the order's checks; emptying and renaming the
sealed file for reuse, on the commit thread, still cost about 120 µs per commit (inode work
under the journal's own writes). Now that happens once per `ROLL_BYTES` of intents (a few
hundred orders). A file whose commit is done is emptied and kept, still locked, as a spare:
truncated and renamed to the next n on the commit thread, so that every spare's name comes
after every file holding intents; the next seal takes the oldest spare with no file work at
all. A spare is an empty log: recovery reads nothing from one left by a dead process, and
deletes it as it deletes any log it has read.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from tradeguard.errors import StateError

_LENGTH = 4
# a log is sealed (its file set aside for a fresh one) at the first group commit after it
# holds this much: about 200 intents, each looked up once by a recovery
ROLL_BYTES = 64 * 1024


class SealedLog:
    """A log file whose intents were handed to a commit: emptied for its log to use again (or
    deleted) once that commit is done."""

    __slots__ = ("_fd", "_owner", "path")

    def __init__(self, path: Path, fd: int, owner: IntentLog | None = None) -> None:
        self.path, self._fd, self._owner = path, fd, owner

    def discard(self) -> None:
        """Its intents are in the journal: the file is emptied and handed back to its log as a
        spare, or goes when the log is closed (or the file cannot be emptied)."""
        owner, self._owner = self._owner, None
        if owner is not None and self._fd >= 0 and owner.take_back(self.path, self._fd):
            self._fd = -1
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        self.release()

    def release(self) -> None:
        """The commit did not happen: the file stays, unlocked, for the next opening to recover."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class IntentLog:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._stem = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._files = 0
        self._spares: deque[tuple[Path, int]] = deque()  # emptied files, locked, oldest first
        self._lock = threading.Lock()  # numbering and spares (taken back on the commit thread)
        self._closed = False
        self.path, self._fd = self._open()
        self._size = 0  # bytes logged in the current file

    def _next_path(self) -> Path:
        """The next name, n counting up (under `_lock`)."""
        self._files += 1
        return self._directory / f"{self._stem}-{self._files:08d}.log"

    def _open(self) -> tuple[Path, int]:
        """The next file: the oldest spare (named after every file in use when it was taken
        back, so after every file holding intents now), or a new one locked before it gets its
        *.log name: recovery never sees one unlocked while we live."""
        with self._lock:
            if self._spares:
                return self._spares.popleft()
            path = self._next_path()
        name = path.stem
        try:
            self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            making = self._directory / f".{name}.new"
            fd = os.open(making, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.rename(making, path)
        except OSError as exc:
            raise StateError(
                f"cannot create the intent log in {self._directory}: {exc.strerror}",
                hint="the journal's directory must be writable; the order was not sent",
            ) from None
        return path, fd

    def write(self, body: bytes) -> None:
        """Log one encoded intent; returns once the kernel has it (survives our crash)."""
        record = len(body).to_bytes(_LENGTH, "big") + body
        try:
            written = os.write(self._fd, record)
        except OSError as exc:
            raise StateError(
                f"cannot write the intent log {self.path}: {exc.strerror}",
                hint="check the disk (space, permissions); the order was not sent",
            ) from None
        if written != len(record):
            raise StateError(
                f"the intent log {self.path} took {written} of {len(record)} bytes (disk full?)",
                hint="free disk space; the order was not sent",
            )
        self._size += written

    def seal(self) -> SealedLog | None:
        """The intents logged so far are handed to a commit: once their file holds
        `ROLL_BYTES`, it is set aside for the commit to empty and later intents go to a new
        one; else None, and the file goes on taking intents (those committed already are
        skipped by a recovery)."""
        if self._size == 0 or self._size < ROLL_BYTES:
            return None
        fresh = self._open()
        sealed = SealedLog(self.path, self._fd, self)
        self.path, self._fd = fresh
        self._size = 0
        return sealed

    def take_back(self, path: Path, fd: int) -> bool:
        """A sealed file whose intents are committed (on the commit thread): emptied, renamed
        to the next n and kept as a spare; False when it cannot be (the log is closed, the file
        will not empty or rename)."""
        with self._lock:
            if self._closed:
                return False
            try:
                os.ftruncate(fd, 0)
            except OSError:
                return False
            spare = self._next_path()
            try:
                os.rename(path, spare)
            except OSError:
                return False  # an empty file under its old name: deleted by the caller
            self._spares.append((spare, fd))
        return True

    def close(self) -> None:
        """After a last commit: the log is not needed any more."""
        with self._lock:
            self._closed = True
            spares, self._spares = self._spares, deque()
        for path, fd in [*spares, (self.path, self._fd)]:
            with contextlib.suppress(OSError):
                path.unlink()
            os.close(fd)

    def release(self) -> None:
        """The journal closes without its last commit: the file in use stays, unlocked, for
        the next opening to recover (it may hold intents not yet in the chain); the spares,
        empty, go."""
        with self._lock:
            self._closed = True
            spares, self._spares = self._spares, deque()
        for path, fd in spares:
            with contextlib.suppress(OSError):
                path.unlink()
            os.close(fd)
        os.close(self._fd)


def orphans(directory: Path) -> Iterator[tuple[Path, list[bytes]]]:
    """Each log left by a process that is gone, with the intents it holds. The caller commits
    what the journal lacks, then deletes the file; until then the file stays locked by us."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*.log")):
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue  # its owner closed it just now
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live process's log
            yield path, list(_records(path.read_bytes()))
        finally:
            os.close(fd)


def _records(data: bytes) -> Iterator[bytes]:
    """The records in `data`; a torn last one (a write cut short) was never acknowledged."""
    at = 0
    while at + _LENGTH <= len(data):
        size = int.from_bytes(data[at : at + _LENGTH], "big")
        end = at + _LENGTH + size
        if end > len(data):
            return
        yield data[at + _LENGTH : end]
        at = end
