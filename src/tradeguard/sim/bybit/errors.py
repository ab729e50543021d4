"""Bybit's refusals: one exception carrying a v5 `retCode`/`retMsg`, and the translation of the
engine's Binance-coded `Reject`s into the codes Bybit answers for the same cause.

Bybit answers almost every refusal with HTTP 200 and a non-zero `retCode` in the usual envelope;
ccxt reads the code before the status. The codes and texts are Bybit's (v5 error page, as ccxt
4.5.90's `exceptions` table lists them), so ccxt raises the matching class:

    170131  Insufficient balance.                     InsufficientFunds
    170136  Order quantity lower than the minimum.    InvalidOrder (also 170135 / 170137)
    170134  Order price decimal too long.             InvalidOrder (also 170132 / 170133)
    170140  Order value lower than the minimum.       InvalidOrder (also 170124)
    170141  Duplicate clientOrderId.                  InvalidOrder
    170218  The LIMIT-MAKER order is rejected ...     InvalidOrder
    170213  Order does not exist.                     OrderNotFound
    10001   params error / Not supported symbols      BadRequest / BadSymbol
"""

from __future__ import annotations

from decimal import Decimal

from tradeguard.sim.filters import (
    DUPLICATE_ORDER,
    INSUFFICIENT_BALANCE,
    MARKET_CLOSED,
    WOULD_TAKE,
    WOULD_TRIGGER,
)
from tradeguard.sim.records import NewOrder, SymbolSpec
from tradeguard.sim.rejects import Reject

# The texts Bybit sends with each code [C ccxt bybit `exceptions` comments; D v5 error page].
PARAMS_ERROR = 10001
BAD_TIMESTAMP = 10002
INVALID_KEY = 10003
INVALID_SIGN = 10004
PERMISSION_DENIED = 10005
TOO_MANY_VISITS = 10006
IP_MISMATCH = 10010
PATH_NOT_FOUND = 10017
INSUFFICIENT = 170131
QTY_TOO_SMALL = 170136
QTY_TOO_LARGE = 170135
QTY_DECIMALS = 170137
PRICE_DECIMALS = 170134
PRICE_TOO_HIGH = 170132
PRICE_TOO_LOW = 170133
VALUE_TOO_SMALL = 170140
VALUE_TOO_LARGE = 170124
DUPLICATE_LINK_ID = 170141
MAKER_WOULD_TAKE = 170218
ORDER_NOT_FOUND = 170213
NEW_ORDER_REJECTED = 170210
PAIR_NOT_OPEN = 170151
TOO_MANY_OPEN = 170005

TEXTS: dict[int, str] = {
    PARAMS_ERROR: "params error",
    INVALID_KEY: "API key is invalid.",
    INVALID_SIGN: "Error sign, please check your signature generation algorithm.",
    PERMISSION_DENIED: "Permission denied, please check your API key permissions.",
    TOO_MANY_VISITS: "Too many visits!",
    IP_MISMATCH: "Unmatched IP, please check your API key's bound IP addresses.",
    PATH_NOT_FOUND: "request path not found or request method is invalid",
    INSUFFICIENT: "Insufficient balance.",
    QTY_TOO_SMALL: "Order quantity lower than the minimum.",
    QTY_TOO_LARGE: "Order quantity too large.",
    QTY_DECIMALS: "Order volume decimal too long",
    PRICE_DECIMALS: "Order price decimal too long.",
    PRICE_TOO_HIGH: "Order price too high.",
    PRICE_TOO_LOW: "Order price lower than the minimum.",
    VALUE_TOO_SMALL: "Order value lower than the minimum.",
    VALUE_TOO_LARGE: "Order amount too large.",
    DUPLICATE_LINK_ID: "Duplicate clientOrderId.",
    MAKER_WOULD_TAKE: "The LIMIT-MAKER order is rejected due to invalid price.",
    ORDER_NOT_FOUND: "Order does not exist.",
    NEW_ORDER_REJECTED: "New order rejected.",
    PAIR_NOT_OPEN: "The trading pair is not open yet.",
    TOO_MANY_OPEN: "Too many new orders; current limit is %s orders per %s.",
}


class BybitError(Exception):
    """A Bybit refusal: `retCode`, `retMsg`, and the HTTP status and headers it travels with."""

    def __init__(
        self,
        ret_code: int,
        ret_msg: str | None = None,
        http_status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        text = TEXTS.get(ret_code, "") if ret_msg is None else ret_msg
        super().__init__(f"{ret_code}: {text}")
        self.ret_code = ret_code
        self.ret_msg = text
        self.http_status = http_status
        self.headers = headers or {}


def params_error(detail: str) -> BybitError:
    return BybitError(PARAMS_ERROR, f"params error: {detail}")


def unknown_symbol() -> BybitError:
    # ccxt's broad match turns this text into BadSymbol.
    return BybitError(PARAMS_ERROR, "Not supported symbols")


def from_reject(
    rej: Reject, spec: SymbolSpec | None = None, order: NewOrder | None = None
) -> BybitError:
    """The Bybit refusal for what the engine refused in Binance's words.

    With the order and its symbol at hand, a filter failure names the bound it broke, as
    Bybit's codes do (too small, too large, too many decimals).
    """
    code, msg = rej.code, rej.msg
    if code == -1121:
        return unknown_symbol()
    if code in (-2011, -2013):
        return BybitError(ORDER_NOT_FOUND)
    if code == -2010:
        return BybitError(_ENGINE_REFUSALS.get(msg, NEW_ORDER_REJECTED))
    if code == -1013 and msg.startswith("Filter failure: "):
        return _filter(msg.removeprefix("Filter failure: "), spec, order)
    return params_error(msg)


_ENGINE_REFUSALS: dict[str, int] = {
    INSUFFICIENT_BALANCE: INSUFFICIENT,
    DUPLICATE_ORDER: DUPLICATE_LINK_ID,
    WOULD_TAKE: MAKER_WOULD_TAKE,
    WOULD_TRIGGER: NEW_ORDER_REJECTED,
    MARKET_CLOSED: PAIR_NOT_OPEN,
}


def _filter(name: str, spec: SymbolSpec | None, order: NewOrder | None) -> BybitError:
    if name in ("LOT_SIZE", "MARKET_LOT_SIZE"):
        return BybitError(_qty_code(spec, order))
    if name == "PRICE_FILTER":
        return BybitError(_price_code(spec, order))
    if name == "NOTIONAL":
        return BybitError(_value_code(spec, order))
    if name in ("MAX_NUM_ORDERS", "MAX_NUM_ALGO_ORDERS"):
        limit = spec.max_num_orders if spec is not None else 0
        return BybitError(TOO_MANY_OPEN, TEXTS[TOO_MANY_OPEN] % (limit, "symbol"))
    return BybitError(NEW_ORDER_REJECTED)


def _qty_code(spec: SymbolSpec | None, order: NewOrder | None) -> int:
    qty = None if order is None else order.quantity
    if spec is None or qty is None:
        return QTY_TOO_SMALL
    if qty < spec.min_qty or qty <= 0:
        return QTY_TOO_SMALL
    if spec.max_qty and qty > spec.max_qty:
        return QTY_TOO_LARGE
    return QTY_DECIMALS


def _price_code(spec: SymbolSpec | None, order: NewOrder | None) -> int:
    if spec is None or order is None:
        return PRICE_DECIMALS
    for price in (order.price, order.stop_price):
        if price is None:
            continue
        if price <= 0 or (spec.min_price and price < spec.min_price):
            return PRICE_TOO_LOW
        if spec.max_price and price > spec.max_price:
            return PRICE_TOO_HIGH
    return PRICE_DECIMALS


def _value_code(spec: SymbolSpec | None, order: NewOrder | None) -> int:
    if spec is None or order is None or not spec.max_notional:
        return VALUE_TOO_SMALL
    value = order.quote_order_qty
    if value is None and order.quantity is not None:
        value = order.quantity * (order.price or order.stop_price or Decimal(0))
    return VALUE_TOO_LARGE if value is not None and value > spec.max_notional else VALUE_TOO_SMALL
