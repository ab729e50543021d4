"""tradeguard: connect trading code to crypto exchanges safely.

    async with tradeguard.connect("default") as tg:     # profile from tradeguard.toml
        order = await tg.limit_buy("BTC/USDT", qty="0.010", price="60000", post_only=True)

Importing tradeguard is cheap: the session and its I/O load on the first `connect`.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from tradeguard.errors import (
    AuthError,
    BreakerOpen,
    ClockSkewError,
    ConfigError,
    CredentialsError,
    ExchangeError,
    GuardError,
    KeyAuditFailed,
    NotSent,
    OrderRejected,
    OutcomeUnknown,
    RateLimited,
    RiskDenied,
    StageLimitExceeded,
    StateError,
    TradeguardError,
    TradingHalted,
    TransportError,
)
from tradeguard.model import OrderStatus, OrderType, Side, TimeInForce

if TYPE_CHECKING:
    from tradeguard.profile import Profile
    from tradeguard.session import Session

__version__ = "0.1.0"


class _Connecting:
    """What `connect()` returns: await it for a Session, or use it with `async with`, which
    closes the session on the way out as `async with session` does (open orders cancelled
    unless the profile sets cancel_on_exit = false; the shutdown's reason is the exception that
    ended the block, if any)."""

    def __init__(self, profile: str | Profile | None, options: dict[str, Any]) -> None:
        self._profile = profile
        self._options = options
        self._session: Session | None = None

    async def _open(self) -> Session:
        from tradeguard.connect import connect as open_session

        return await open_session(self._profile, **self._options)

    def __await__(self) -> Generator[Any, None, Session]:
        return self._open().__await__()

    async def __aenter__(self) -> Session:
        self._session = await self._open()
        return self._session

    async def __aexit__(self, *exc: Any) -> None:
        if self._session is not None:
            await self._session.__aexit__(*exc)


def connect(profile: str | Profile | None = None, **options: Any) -> _Connecting:
    """Connect with a profile from tradeguard.toml (None: $TRADEGUARD_PROFILE or "default";
    with no tradeguard.toml at all, the embedded simulator). See tradeguard.connect."""
    return _Connecting(profile, options)


class _Package(types.ModuleType):
    """Keeps `tradeguard.connect` the function: importing the module `tradeguard.connect`
    binds it to the package's attribute of the same name, and the next `tradeguard.connect(...)`
    would call a module."""

    def __setattr__(self, name: str, value: object) -> None:
        if name == "connect" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = [
    "AuthError",
    "BreakerOpen",
    "ClockSkewError",
    "ConfigError",
    "CredentialsError",
    "ExchangeError",
    "GuardError",
    "KeyAuditFailed",
    "NotSent",
    "OrderRejected",
    "OrderStatus",
    "OrderType",
    "OutcomeUnknown",
    "RateLimited",
    "RiskDenied",
    "Side",
    "StageLimitExceeded",
    "StateError",
    "TimeInForce",
    "TradeguardError",
    "TradingHalted",
    "TransportError",
    "__version__",
    "connect",
]
