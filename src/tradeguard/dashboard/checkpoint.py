"""The dashboard's checkpoint: a folded view kept in a file, so that opening the page folds only
the records written since, not the whole journal.

Computed lazily on the dashboard's side (the session writes nothing for it): when a start has
folded `EVERY` records past the checkpoint it found, and then every `FOLLOW_EVERY` records the
running dashboard folds, it writes a new one. Where:
- an SQLite journal: beside it, `<journal file>.view` (0600, written whole then renamed over);
- a PostgreSQL journal: `$XDG_CACHE_HOME/tradeguard/dashboard/<server, database, profile>.view`,
  so the dashboard needs no write rights on the database.
A checkpoint is keyed by the record it was folded to: its seq and that record's chain hash. It
is used only if the journal still holds that record with that hash; a journal replaced,
restored from a backup, cut short or rewritten is folded from its first record again (and the
reason is said), never mixed with a checkpoint of another chain.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from pathlib import Path

import msgspec

from tradeguard.dashboard.tally import ViewImage

FORMAT = 1
EVERY = 10_000  # records a start folded past the last checkpoint before it writes a new one
FOLLOW_EVERY = 50_000  # while following: a checkpoint (about 15 MB at most) per this many


class Checkpoint(msgspec.Struct, frozen=True):
    format: int
    seq: int
    hash: bytes  # the chain hash of record `seq`
    view: bytes  # DashboardView.image()
    layout: str = ""  # layout() of the tradeguard that wrote it


@functools.cache
def layout() -> str:
    """A fingerprint of what a view image holds (its schema): a checkpoint written by a
    tradeguard whose view kept other fields is not restored, but folded again."""
    schema = msgspec.json.encode(msgspec.json.schema(ViewImage), order="sorted")
    return hashlib.sha256(schema).hexdigest()[:16]


def beside(journal: Path) -> Path:
    return journal.with_name(journal.name + ".view")


def in_cache(server: str, profile: str) -> Path:
    """Where a PostgreSQL journal's checkpoint goes: named by the server, database and profile
    (never the password: `server` is written without it)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    digest = hashlib.sha256(f"{server}\0{profile}".encode()).hexdigest()[:24]
    return Path(base) / "tradeguard" / "dashboard" / f"{digest}.view"


def load(path: Path) -> tuple[Checkpoint | None, str | None]:
    """The checkpoint in `path`, or None and why not (None and no reason: there is none)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"cannot read the dashboard checkpoint {path}: {exc.strerror}"
    try:
        found = msgspec.msgpack.decode(data, type=Checkpoint)
    except msgspec.DecodeError:
        return None, f"the dashboard checkpoint {path} is unreadable; folding from the start"
    if found.format != FORMAT or found.layout != layout():
        return None, f"the dashboard checkpoint {path} is of another tradeguard; folding again"
    return found, None


def save(path: Path, checkpoint: Checkpoint) -> str | None:
    """Write the checkpoint whole (a reader never sees half of one); why not, if it failed (the
    dashboard goes on without it)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # two dashboards never share one
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(msgspec.msgpack.encode(checkpoint))
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        return f"cannot write the dashboard checkpoint {path}: {exc.strerror}"
    return None
