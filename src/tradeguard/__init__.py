"""tradeguard: connect trading code to crypto exchanges safely.

It stands between a trading bot and the exchange (Binance Spot; a Binance-compatible simulator
with fault injection ships inside) and makes the safe way the only way: trade-only keys, rate
limits respected, no order ever sent twice after a timeout, fills booked from fill messages,
every order checked against the exchange's filters and your risk limits, and an append-only,
hash-chained journal that rebuilds any past moment.

Two ways in, both on the embedded simulator until tradeguard.toml says otherwise:

    # a bot file, run with `tradeguard run bot.py` (a live panel, Ctrl-C cancels and stops)
    async def main(tg):
        order = await tg.limit_buy("BTC/USDT", qty="0.001", price="60000", post_only=True)
        done = await tg.wait_for(order.client_order_id)

    # or in your own program
    async with tradeguard.connect("default") as tg:
        ...

`tg` is a `tradeguard.session.guard.Session`: its order calls (market_buy/sell, limit_buy/sell,
limit, stop_loss, take_profit, bracket, cancel_replace, cancel, cancel_all, kill), what it
holds (order, open_orders, position, balance) and `tg.events()`, the feed of
`tradeguard.events`. Errors are `tradeguard.errors` (the tree is drawn at its top).

The docs are in the repository's docs/ folder: architecture.md (the map), profiles.md (every
tradeguard.toml key), simulator.md (`tradeguard sim`, sim.toml, the control API), faults.md
(the faults the simulator injects), and examples/ (one bot per order kind).

Linux and macOS only: on Windows, importing tradeguard raises ImportError (use WSL2).
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
    OrderNotFound,
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
    from tradeguard.profile.profiles import Profile
    from tradeguard.session.guard import Session

if sys.platform == "win32":
    # The journal's intent log and the host's shared rate-limit file take fcntl locks, and the
    # simulator's server stops on POSIX signals: refuse here, not halfway through a trade.
    raise ImportError(
        "tradeguard runs on Linux and macOS; on Windows use WSL2 "
        "(https://learn.microsoft.com/windows/wsl/install)"
    )

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
        from tradeguard.session.connect import connect as open_session

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
    "OrderNotFound",
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
