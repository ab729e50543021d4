"""The requests the gateway never lets through, whatever the key: those that move funds.

A bot trades through the gateway; it never withdraws, transfers or converts. Every `/sapi/`
and `/wapi/` call (wallet, capital, sub-account, margin, asset dust, transfers, ...) and any
other path that names a funds operation is refused with Binance's -2015 (HTTP 401), the reply
Binance gives a key without that permission, so a client sees an ordinary permission error.
"""

from __future__ import annotations

from typing import Final

from tradeguard.gateway.wire_errors import WireError, refused_key

# Path prefixes of Binance's wallet and account-management APIs: all of SAPI, the retired WAPI,
# and anything else that reaches them.
_FUNDS_PREFIXES: Final = ("/sapi/", "/wapi/", "/api/v1/capital", "/api/v3/capital")
_FUNDS_WORDS: Final = (
    "withdraw",
    "transfer",
    "capital",
    "dust",
    "sub-account",
    "subaccount",
    "convert",
    "lending",
    "margin",
    "futures",
    "asset",
)


def funds_refusal(path: str) -> WireError | None:
    """The -2015 reply for a path that could move funds (None: the path may go on)."""
    lowered = path.lower()
    if lowered.startswith(_FUNDS_PREFIXES):
        return refused_key()
    if any(word in lowered for word in _FUNDS_WORDS):
        return refused_key()
    return None
