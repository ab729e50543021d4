"""An error answer from Binance (status, headers, body) as one exception of the error tree. Pure.

Classified by HTTP status and Binance code through `codes.classify`, never by message text;
code, message and status are kept as sent. A body that is not Binance's JSON (an HTML 502 from a
proxy) is kept as a short excerpt.
"""

from __future__ import annotations

from collections.abc import Mapping

from tradeguard.errors import (
    AuthError,
    ClockSkewError,
    ExchangeError,
    OrderNotFound,
    OrderRejected,
    OutcomeUnknown,
    RateLimited,
    TradeguardError,
)
from tradeguard.venues.binance import codes, parse

NO_SUCH_ORDER = -2013  # "Order does not exist.": a lookup found nothing

_HINTS = {
    -1021: "the request's timestamp was outside recvWindow: tradeguard resyncs its clock; "
    "if this repeats, sync the host with NTP",
    -1022: "the signature did not verify: check that the secret belongs to this API key",
    -2014: "the API key is malformed: check the key you configured",
    -2015: "bad API key, this IP is not whitelisted for it, or the key lacks the permission; "
    "run `tradeguard doctor` to tell which",
}


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def from_reply(
    http_status: int, body: bytes, headers: Mapping[str, str], now_ms: int, *, request: str
) -> TradeguardError:
    """The exception for a non-2xx reply to `request` (e.g. "POST /api/v3/order")."""
    wire = parse.error_body(body)
    code = wire.code if wire is not None else None
    msg = wire.msg if wire is not None else _excerpt(body)
    kind = codes.classify(code, http_status)
    if kind == "RateLimited":
        after = retry_after_s(headers)
        banned_until = None
        if http_status == 418:
            banned_until = now_ms + int((after if after is not None else 120) * 1000)
        return RateLimited(
            code, msg, http_status, retry_after_s=after, banned_until_ms=banned_until
        )
    if kind == "OutcomeUnknown":
        return OutcomeUnknown(
            f"{request}: no trustworthy answer (HTTP {http_status}, code {code}): {msg}",
            # a read changes nothing: telling its caller to resolve an order sends it astray
            hint="a read: nothing was changed; try again shortly, or check the exchange's status"
            if request.startswith("GET ")
            else "the exchange may have executed it; resolve by client order id before acting",
            code=code,
            http_status=http_status,
        )
    if code == NO_SUCH_ORDER:
        return OrderNotFound(code, msg, http_status)
    cls: type[ExchangeError] = {
        "OrderRejected": OrderRejected,
        "AuthError": AuthError,
        "ClockSkewError": ClockSkewError,
    }.get(kind, ExchangeError)
    return cls(code, msg, http_status, hint=_HINTS.get(code) if code is not None else None)


def _excerpt(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return "(empty body)"
    one_line = " ".join(text.split())
    return one_line[:120] + ("…" if len(one_line) > 120 else "")
