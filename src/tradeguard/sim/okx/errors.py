"""OKX's refusals: `{"code": "<n>", "msg": "...", "data": []}`, and the engine's in OKX's words.

The engine refuses in Binance's codes (`Reject`); `from_engine` says the same thing as OKX does
for the spot order cases the reference lists, so ccxt raises the class it raises against OKX
(51008 InsufficientFunds, 51603/51400 OrderNotFound, 51020/51121 InvalidOrder, ...).
"""

from __future__ import annotations

from typing import Final

from tradeguard.sim.filters import DUPLICATE_ORDER, INSUFFICIENT_BALANCE
from tradeguard.sim.records import SymbolSpec
from tradeguard.sim.rejects import Reject

# Texts as OKX's v5 error table words them [D okx.com/docs-v5/en/#error-code].
TEXTS: Final[dict[str, str]] = {
    "50001": "Service temporarily unavailable. Try again later",
    "50004": "API endpoint request timeout. Please try again later.",
    "50011": "Too Many Requests",
    "50026": "System error. Try again later.",
    "50101": "APIKey does not match current environment.",
    "50102": "Timestamp request expired.",
    "50103": "Request header OK-ACCESS-KEY cannot be empty.",
    "50104": "Request header OK-ACCESS-PASSPHRASE cannot be empty.",
    "50105": "Request header OK-ACCESS-PASSPHRASE incorrect.",
    "50106": "Request header OK-ACCESS-SIGN cannot be empty.",
    "50107": "Request header OK-ACCESS-TIMESTAMP cannot be empty.",
    "50111": "Invalid OK-ACCESS-KEY.",
    "50112": "Invalid OK-ACCESS-TIMESTAMP.",
    "50113": "Invalid Sign.",
    "50120": "API key doesn't have permission to use this function.",
    "51001": "Instrument ID doesn't exist.",
    "51006": "Order price is not within the price limit.",
    "51016": "Duplicated clOrdId.",
    "51020": "Your order should meet or exceed the minimum order amount.",
    "51121": "Order quantity must be a multiple of the lot size.",
    "51400": "Order cancellation failed as the order has been filled, canceled or does not exist.",
    "51603": "Order does not exist.",
}


class OkxReject(Exception):
    """A refusal in OKX's shape; `http_status` is what OKX sends with it."""

    def __init__(self, code: str, msg: str | None = None, http_status: int = 200) -> None:
        text = TEXTS.get(code, "") if msg is None else msg
        super().__init__(f"{code}: {text}")
        self.code = code
        self.msg = text
        self.http_status = http_status

    def body(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg, "data": []}


def param_error(name: str) -> OkxReject:
    return OkxReject("51000", f"Parameter {name} error")


def auth_error(code: str, msg: str | None = None) -> OkxReject:
    return OkxReject(code, msg, 401)


def from_engine(rej: Reject, spec: SymbolSpec | None, side: str, qty: object) -> OkxReject:
    """An order the engine refused, as OKX refuses it (`side` BUY/SELL, `qty` as sent)."""
    if rej.code == -1121:
        return OkxReject("51001")
    if rej.code in (-2011, -2013):
        return OkxReject("51603")
    if rej.code == -2010 and rej.msg == INSUFFICIENT_BALANCE:
        ccy = "" if spec is None else (spec.quote if side == "BUY" else spec.base)
        return OkxReject("51008", f"Order failed. Insufficient {ccy} balance in account.")
    if rej.code == -2010 and rej.msg == DUPLICATE_ORDER:
        return OkxReject("51016")
    if rej.code == -1013:
        failed = rej.msg.removeprefix("Filter failure: ")
        if failed == "PRICE_FILTER":
            return OkxReject("51006")
        if failed in ("LOT_SIZE", "MARKET_LOT_SIZE"):
            below = spec is not None and isinstance(qty, type(spec.min_qty)) and qty < spec.min_qty
            return OkxReject("51020" if below else "51121")
        if failed == "NOTIONAL":
            return OkxReject("51020")
    return OkxReject("51000", f"Order failed: {rej.msg}")
