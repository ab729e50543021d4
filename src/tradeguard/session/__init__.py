"""The guard a bot holds (`Session`), and how it connects, checks, sends, records, reconciles
and stops. `tradeguard.session.Session` is the class (defined in `session.guard`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tradeguard.session.guard import Session

__all__ = ["Session"]


def __getattr__(name: str) -> Any:
    # Lazy, so importing one of the session's modules does not import them all.
    if name == "Session":
        from tradeguard.session.guard import Session

        return Session
    raise AttributeError(f"module 'tradeguard.session' has no attribute {name!r}")
