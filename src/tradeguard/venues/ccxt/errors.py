"""ccxt's exceptions into tradeguard's error tree, with whether the request left.

ccxt raises one class per meaning (its `errors.py`); the guard acts on its own classes: an
order refused for good (`OrderRejected`), a lookup of an order the venue does not hold
(`OrderNotFound`), a rate limit (`RateLimited`, which pauses every request), a refused key
(`AuthError`), a timestamp or nonce refused (`ClockSkewError`), and no trustworthy answer
(`OutcomeUnknown`) against a request that never left (`NotSent`). Whether a request left is
not in ccxt's exception: the venue's fetch hook says whether a reply came (`answered`) and
whether a connection was even opened (`NotSent` when it was not).
"""

from __future__ import annotations

import socket
from typing import Any

from tradeguard.errors import (
    AuthError,
    ClockSkewError,
    ExchangeError,
    NotSent,
    OrderNotFound,
    OrderRejected,
    OutcomeUnknown,
    RateLimited,
    TradeguardError,
)
from tradeguard.venues.binance.codes import WOULD_MATCH_AND_TAKE

RATE_PAUSE_S = 1.0  # no venue here says how long: pause a second, then the caller backs off
# Venue refusals ccxt leaves a plain ExchangeError, as the seam's (Binance's) error: a bot
# handles a post-only order that would take once, whatever the venue
_AS_BINANCE: dict[str, tuple[int, str]] = {
    "EOrder:Post only order": (-2010, WOULD_MATCH_AND_TAKE),  # Kraken
}


def translate(
    exc: BaseException, *, what: str, sent: bool, answered: bool, status: int | None = None
) -> TradeguardError:
    """The tradeguard error for a ccxt exception raised by `what` (e.g. "create_order").

    `sent`: the request was handed to the HTTP client; `answered`: a reply came back;
    `status`: its HTTP status. A transport error keeps a 5xx status, so that `connect` can
    say "maintenance" rather than "could not be reached" (ccxt keeps it only in its text)."""
    import ccxt

    msg = _short(exc)
    if isinstance(exc, ccxt.RateLimitExceeded | ccxt.DDoSProtection):
        return RateLimited(None, f"{what}: {msg}", 429, retry_after_s=RATE_PAUSE_S)
    if isinstance(exc, ccxt.InvalidNonce):
        return ClockSkewError(
            None, f"{what}: {msg}", None,
            hint="sync this host's clock with NTP; on Kraken, one key per process (nonces)",
        )  # fmt: skip
    if isinstance(exc, ccxt.NetworkError):  # timeouts, connections, 5xx, maintenance
        if not sent or (not answered and _never_connected(exc)):
            return NotSent(
                f"{what}: nothing sent: {msg}",
                hint="nothing was sent; check the network and the exchange's status",
            )
        return OutcomeUnknown(
            f"{what}: no trustworthy reply ({msg})",
            hint="the request may have reached the exchange; resolve before acting",
            http_status=status if answered else None,
        )
    local = not sent  # ccxt refused the call itself (its own argument checks)
    if isinstance(exc, ccxt.OrderNotFound):
        return OrderNotFound(None, f"{what}: {msg}", None, local=local)
    if isinstance(exc, ccxt.AuthenticationError):  # PermissionDenied, AccountSuspended too
        return AuthError(
            None, f"{what}: {msg}", None, local=local,
            hint="check the key, its permissions and its IP whitelist at the exchange",
        )  # fmt: skip
    if isinstance(exc, ccxt.InsufficientFunds | ccxt.InvalidOrder | ccxt.BadRequest):
        return OrderRejected(None, f"{what}: {msg}", None, local=local)
    for text, (code, binance_msg) in _AS_BINANCE.items():
        if text in msg:
            return OrderRejected(code, f"{what}: {binance_msg} ({text})", 400, local=local)
    if isinstance(exc, ccxt.NotSupported | ccxt.ArgumentsRequired):
        return OrderRejected(None, f"{what}: {msg}", None, local=True)
    return ExchangeError(None, f"{what}: {msg}", None, local=local)


def _never_connected(exc: BaseException) -> bool:
    """The connection was never opened (refused, DNS): nothing reached the exchange."""
    import aiohttp

    cause: Any = exc.__cause__
    return isinstance(cause, aiohttp.ClientConnectorError | socket.gaierror)


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
