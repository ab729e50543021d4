"""Kraken's refusals: the error strings of its `{"error": [...], "result": ...}` envelope, and
the translation of the engine's (Binance-worded) rejections into them.

Kraken answers almost every refusal with HTTP 200 and the reason in `error`; ccxt reads the
strings before the status (exact match, then a broad one), so the string decides the class.
"""

from __future__ import annotations

from typing import Final

from tradeguard.sim import filters
from tradeguard.sim.rejects import Reject

INVALID_KEY: Final = "EAPI:Invalid key"
INVALID_SIGNATURE: Final = "EAPI:Invalid signature"
INVALID_NONCE: Final = "EAPI:Invalid nonce"
RATE_LIMIT: Final = "EAPI:Rate limit exceeded"
ORDER_RATE_LIMIT: Final = "EOrder:Rate limit exceeded"
LOCKOUT: Final = "EGeneral:Temporary lockout"
PERMISSION_DENIED: Final = "EGeneral:Permission denied"
INVALID_ARGUMENTS: Final = "EGeneral:Invalid arguments"
INTERNAL_ERROR: Final = "EGeneral:Internal error"
UNAVAILABLE: Final = "EService:Unavailable"
UNKNOWN_PAIR: Final = "EQuery:Unknown asset pair"
UNKNOWN_ORDER: Final = "EOrder:Unknown order"
INSUFFICIENT_FUNDS: Final = "EOrder:Insufficient funds"
ORDER_MINIMUM: Final = "EOrder:Order minimum not met"
COST_MINIMUM: Final = "EOrder:Cost minimum not met"
INVALID_PRICE: Final = "EOrder:Invalid price:Invalid price argument"
POST_ONLY: Final = "EOrder:Post only order"
ORDERS_LIMIT: Final = "EOrder:Orders limit exceeded"
# Kraken enforces cl_ord_id uniqueness across open orders; the exact string is not published
# (third-party clients match this one) [I].
DUPLICATE_ORDER: Final = "EOrder:Duplicate order"
CANCEL_ONLY: Final = "EService:Market in cancel_only mode"


class KrakenError(Exception):
    """A refusal in Kraken's words; `http_status` is 200 unless a fault asks otherwise."""

    def __init__(
        self, error: str, http_status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(error)
        self.error = error
        self.http_status = http_status
        self.headers = headers or {}


def invalid_argument(name: str) -> KrakenError:
    return KrakenError(f"{INVALID_ARGUMENTS}:{name}")


_FILTERS: Final = {
    "PRICE_FILTER": INVALID_PRICE,
    "NOTIONAL": COST_MINIMUM,
    "MAX_NUM_ORDERS": ORDERS_LIMIT,
    "MAX_NUM_ALGO_ORDERS": ORDERS_LIMIT,
    "ICEBERG_PARTS": f"{INVALID_ARGUMENTS}:displayvol",
    "TRAILING_DELTA": f"{INVALID_ARGUMENTS}:price",
}
_ENGINE_TEXTS: Final = {
    filters.INSUFFICIENT_BALANCE: INSUFFICIENT_FUNDS,
    filters.WOULD_TAKE: POST_ONLY,
    filters.WOULD_TRIGGER: f"{INVALID_ARGUMENTS}:price",
    filters.DUPLICATE_ORDER: DUPLICATE_ORDER,
    filters.UNKNOWN_ORDER: UNKNOWN_ORDER,
    filters.NO_SUCH_ORDER: UNKNOWN_ORDER,
    filters.MARKET_CLOSED: CANCEL_ONLY,
    filters.ICEBERG_EXCEEDS_QTY: f"{INVALID_ARGUMENTS}:displayvol",
    filters.UNSUPPORTED_COMBINATION: INVALID_ARGUMENTS,
}


def from_engine(rej: Reject, below_minimum: bool = False) -> KrakenError:
    """The Kraken refusal for an engine rejection. `below_minimum`: the order's volume is under
    the pair's ordermin, which Kraken names apart from other size faults."""
    if rej.msg.startswith("Filter failure: "):
        name = rej.msg.removeprefix("Filter failure: ")
        if name in ("LOT_SIZE", "MARKET_LOT_SIZE"):
            return KrakenError(ORDER_MINIMUM if below_minimum else f"{INVALID_ARGUMENTS}:volume")
        return KrakenError(_FILTERS.get(name, INVALID_ARGUMENTS))
    if rej.code == -1121:
        return KrakenError(UNKNOWN_PAIR)
    return KrakenError(_ENGINE_TEXTS.get(rej.msg, INVALID_ARGUMENTS))
