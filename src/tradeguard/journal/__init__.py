"""The journal: an append-only, hash-chained record of everything the guard did and saw.

    store = open_journal(None, profile="default")     # ~/.local/share/tradeguard/default.db
    store.append(OrderIntended(...))                   # survives a crash once it returns
    state = store.fold(until_ms=...)                   # what the bot held at that moment

Backends import lazily: SQLite (the default) and PostgreSQL (postgresql://..., needs psycopg).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from tradeguard.journal.store import JournalStore

# What a commit survives: the process's crash, or also a power loss (see journal.store).
Durability = Literal["crash", "power-loss"]
DURABILITIES: tuple[Durability, ...] = get_args(Durability)


def default_path(profile: str) -> Path:
    """Where a profile's SQLite journal lives: $XDG_DATA_HOME/tradeguard/<profile>.db."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tradeguard" / f"{profile}.db"


def open_journal(
    target: str | Path | None = None,
    *,
    profile: str = "default",
    create: bool = True,
    **options: Any,
) -> JournalStore:
    """Open (or create) a journal: None for the profile's default file, a path or a
    sqlite:/// URL for SQLite, a postgresql:// URL for PostgreSQL."""
    text = str(target) if target is not None else None
    if text is not None and text.startswith(("postgresql://", "postgres://")):
        from tradeguard.journal.store_postgres import PostgresJournal

        return PostgresJournal(text, profile=profile, create=create, **options)
    from tradeguard.journal.store_sqlite import SqliteJournal

    if text is None:
        return SqliteJournal(default_path(profile), profile=profile, create=create, **options)
    if text.startswith("sqlite://"):
        text = text.removeprefix("sqlite://")
        text = text[1:] if text.startswith("/~") else text  # sqlite:///~/x.db means ~/x.db
        if text.startswith("//"):  # SQLAlchemy's sqlite:////abs/x.db: the same file, one slash
            text = "/" + text.lstrip("/")
    return SqliteJournal(Path(text), profile=profile, create=create, **options)
