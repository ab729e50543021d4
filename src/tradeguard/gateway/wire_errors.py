"""What the gateway answers when it does not answer with data: Binance's error replies.

A bot's client classifies errors by Binance's code and HTTP status (ccxt, python-binance), so
every refusal keeps Binance's shape, `{"code": ..., "msg": ...}` with the status Binance would
use, and the message says why in tradeguard's words where the guard refused:

    an exchange filter failed (validate.py's check)    -1013, HTTP 400, "Filter failure: NAME"
    other guard refusal (risk, caps, kill switch)      -2010, HTTP 400, "tradeguard: ..."
    exchange's own error                               its code, message and status, as sent
    ban or pause (here or met upstream)                -1003, HTTP 418 / 429, Retry-After
    outcome still unknown                              -1007, HTTP 503, Binance's 503 text
    nothing sent (network)                             -1001, HTTP 503
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tradeguard.errors import (
    ConfigError,
    ExchangeError,
    GuardError,
    NotSent,
    OutcomeUnknown,
    RateLimited,
    TradeguardError,
)
from tradeguard.validate import OrderRefused
from tradeguard.venues.binance import codes

GUARD_REFUSED = -2010  # NEW_ORDER_REJECTED: what a client maps to "invalid order"
UNKNOWN_STATUS_503 = codes.UNKNOWN_ERROR_503


@dataclass(frozen=True)
class WireError(Exception):
    """One Binance error reply: its code, message, HTTP status and, for a limit, Retry-After."""

    code: int
    msg: str
    http_status: int
    retry_after_s: int | None = None
    data: dict[str, object] | None = None  # cancelReplace's halves, when one failed

    def body(self) -> dict[str, object]:
        if self.data is not None:
            return {"code": self.code, "msg": self.msg, "data": self.data}
        return {"code": self.code, "msg": self.msg}

    def headers(self) -> dict[str, str]:
        if self.retry_after_s is None:
            return {}
        return {"Retry-After": str(self.retry_after_s)}


def binance(
    code: int, *args: object, variant: int = 0, http_status: int | None = None
) -> WireError:
    """Binance's own reply for `code` (its text and usual status)."""
    entry = codes.CODES[code]
    return WireError(
        code, codes.msg(code, *args, variant=variant), http_status or entry.http_status
    )


def refused_key() -> WireError:
    """-2015: what Binance answers for an unknown key or a right the key lacks."""
    return binance(-2015)


def from_error(exc: TradeguardError, now_ms: int) -> WireError:
    """A tradeguard error as the reply Binance would have sent in its place."""
    if isinstance(exc, RateLimited):
        return _limited(exc, now_ms)
    if isinstance(exc, OrderRefused) and exc.checks and exc.checks[0] in codes.FILTERS:
        # what Binance itself answers for the first filter it finds failing, to the letter
        return binance(-1013, exc.checks[0])
    if isinstance(exc, GuardError):
        return WireError(GUARD_REFUSED, f"tradeguard: {exc.message}", 400)
    if isinstance(exc, ExchangeError) and exc.code is not None:
        return WireError(exc.code, exc.msg, exc.http_status or 400)
    if isinstance(exc, OutcomeUnknown):
        return WireError(-1007, UNKNOWN_STATUS_503, 503)
    if isinstance(exc, NotSent):
        return WireError(-1001, codes.msg(-1001), 503)
    if isinstance(exc, ConfigError):
        return WireError(GUARD_REFUSED, f"tradeguard: {exc.message}", 400)
    return WireError(-1000, codes.msg(-1000), 500)


def _limited(exc: RateLimited, now_ms: int) -> WireError:
    banned = exc.http_status == 418 or (exc.banned_until_ms or 0) > now_ms
    wait_s = exc.retry_after_s
    if exc.banned_until_ms is not None and exc.banned_until_ms > now_ms:
        wait_s = max(wait_s or 0.0, (exc.banned_until_ms - now_ms) / 1000)
    retry_after = max(1, math.ceil(wait_s)) if wait_s else 1
    if banned:
        until = exc.banned_until_ms or now_ms + retry_after * 1000
        msg = codes.msg(-1003, until, variant=codes.IP_BANNED)
        return WireError(-1003, msg, 418, retry_after)
    return WireError(exc.code or -1003, exc.msg, 429, retry_after)
