"""Binance Spot requests as data: method, path, parameters, weight, and how they may be retried.

Pure. A builder returns a `Request`; the client signs it, the limiter prices it by `weight` and
`orders`, and `retry` tells the transport what it may do when no trustworthy answer came back:
an order placement is never sent twice by the transport (`Retry.NEVER`) after an answer that
leaves its outcome open, reads and cancels may be (`Retry.SAFE`). The one resend of an order is
after -1021, which the exchange answers before matching (nothing executed): once, after the
clock is re-synced, under the same client order id. Weights are Binance's published ones
(exchange-wire.md, "Weights").
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import msgspec

from tradeguard.model import OrderType, Side, TimeInForce


class Retry(enum.Enum):
    NEVER = "never"  # placing an order: an unknown outcome is resolved, never resent
    SAFE = "safe"  # reads and cancels: resending cannot create anything


class Request(msgspec.Struct, frozen=True, gc=False):
    """One REST request as the transport sends it. A Struct, not a dataclass: every order
    builds one, and a frozen dataclass's __init__ sets each field through object.__setattr__
    (about 1 µs more an order)."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    signed: bool = False
    api_key: bool = False  # send X-MBX-APIKEY without a signature (legacy user-stream calls)
    weight: int = 1
    orders: int = 0  # counts against the ORDERS limits
    retry: Retry = Retry.SAFE
    # Error codes whose body is the answer, not a failure: cancelReplace's -2021 (409) and
    # -2022 (400) carry both halves' results under `data`, and the caller must read them.
    answers: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def number(value: Decimal | int | str) -> str:
    """A quantity or price as Binance wants it: plain digits, never an exponent."""
    if isinstance(value, Decimal):
        text = format(value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text or "0"
    return str(value)


def _params(**values: object) -> tuple[tuple[str, str], ...]:
    """Keyword arguments as wire parameters, skipping the ones left as None."""
    out: list[tuple[str, str]] = []
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out.append((key, "true" if value else "false"))
        elif isinstance(value, Decimal | int):
            out.append((key, number(value)))
        else:
            out.append((key, str(value)))
    return tuple(out)


# ── market data ──────────────────────────────────────────────────────────────────────────────


def ping() -> Request:
    return Request("GET", "/api/v3/ping")


def server_time() -> Request:
    return Request("GET", "/api/v3/time")


def exchange_info(symbols: tuple[str, ...] = ()) -> Request:
    if len(symbols) == 1:
        return Request("GET", "/api/v3/exchangeInfo", _params(symbol=symbols[0]), weight=20)
    if symbols:
        listed = "[" + ",".join(f'"{s}"' for s in symbols) + "]"
        return Request("GET", "/api/v3/exchangeInfo", _params(symbols=listed), weight=20)
    return Request("GET", "/api/v3/exchangeInfo", weight=20)


def depth(symbol: str, limit: int = 100) -> Request:
    weight = 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250
    return Request("GET", "/api/v3/depth", _params(symbol=symbol, limit=limit), weight=weight)


def ticker_price(symbol: str | None = None) -> Request:
    return Request("GET", "/api/v3/ticker/price", _params(symbol=symbol), weight=2 if symbol else 4)


def ticker_24hr(symbol: str) -> Request:
    return Request("GET", "/api/v3/ticker/24hr", _params(symbol=symbol), weight=2)


def klines(symbol: str, interval: str, limit: int = 500) -> Request:
    return Request(
        "GET", "/api/v3/klines", _params(symbol=symbol, interval=interval, limit=limit), weight=2
    )


def recent_trades(symbol: str, limit: int = 500) -> Request:
    return Request("GET", "/api/v3/trades", _params(symbol=symbol, limit=limit), weight=25)


# ── account ──────────────────────────────────────────────────────────────────────────────────


def account() -> Request:
    return Request("GET", "/api/v3/account", signed=True, weight=20)


def api_restrictions() -> Request:
    return Request("GET", "/sapi/v1/account/apiRestrictions", signed=True, weight=1)


def my_trades(
    symbol: str, *, order_id: int | None = None, from_id: int | None = None, limit: int = 1000
) -> Request:
    return Request(
        "GET",
        "/api/v3/myTrades",
        _params(symbol=symbol, orderId=order_id, fromId=from_id, limit=limit),
        signed=True,
        weight=5 if order_id is not None else 20,
    )


# ── orders ───────────────────────────────────────────────────────────────────────────────────


class NewOrder(msgspec.Struct, frozen=True, gc=False):
    """What POST /api/v3/order carries. `client_order_id` is required: tradeguard always sets
    its own before sending, so an unknown outcome can be resolved by it."""

    symbol: str
    side: Side
    type: OrderType
    client_order_id: str
    quantity: Decimal | None = None
    quote_order_qty: Decimal | None = None
    price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    stop_price: Decimal | None = None
    trailing_delta: int | None = None
    iceberg_qty: Decimal | None = None
    resp_type: str = "RESULT"  # fills come from the stream, not from the placement reply


def new_order(order: NewOrder, *, test: bool = False) -> Request:
    # `_params` written out for the one request every order builds: the same pairs in the
    # same order, without a keyword dict and a type test per parameter
    pairs = [("symbol", order.symbol), ("side", order.side.value), ("type", order.type.value)]
    if order.time_in_force:
        pairs.append(("timeInForce", order.time_in_force.value))
    for name, value in (
        ("quantity", order.quantity),
        ("quoteOrderQty", order.quote_order_qty),
        ("price", order.price),
        ("stopPrice", order.stop_price),
        ("trailingDelta", order.trailing_delta),
        ("icebergQty", order.iceberg_qty),
    ):
        if value is not None:
            pairs.append((name, number(value)))
    pairs.append(("newClientOrderId", order.client_order_id))
    pairs.append(("newOrderRespType", order.resp_type))
    params = tuple(pairs)
    if test:
        return Request("POST", "/api/v3/order/test", params, signed=True, weight=1)
    return Request("POST", "/api/v3/order", params, signed=True, orders=1, retry=Retry.NEVER)


def _order_ref(order_id: int | None, client_order_id: str | None) -> dict[str, object]:
    if (order_id is None) == (client_order_id is None):
        raise ValueError("give exactly one of order_id and client_order_id")
    return {"orderId": order_id, "origClientOrderId": client_order_id}


def get_order(
    symbol: str, *, order_id: int | None = None, client_order_id: str | None = None
) -> Request:
    ref = _order_ref(order_id, client_order_id)
    return Request("GET", "/api/v3/order", _params(symbol=symbol, **ref), signed=True, weight=4)


def cancel_order(
    symbol: str, *, order_id: int | None = None, client_order_id: str | None = None
) -> Request:
    ref = _order_ref(order_id, client_order_id)
    return Request("DELETE", "/api/v3/order", _params(symbol=symbol, **ref), signed=True)


def open_orders(symbol: str | None = None) -> Request:
    return Request(
        "GET",
        "/api/v3/openOrders",
        _params(symbol=symbol),
        signed=True,
        weight=6 if symbol else 80,
    )


def cancel_open_orders(symbol: str) -> Request:
    return Request("DELETE", "/api/v3/openOrders", _params(symbol=symbol), signed=True)


def all_orders(symbol: str, *, order_id: int | None = None, limit: int = 500) -> Request:
    return Request(
        "GET",
        "/api/v3/allOrders",
        _params(symbol=symbol, orderId=order_id, limit=limit),
        signed=True,
        weight=20,
    )


class CancelReplaceMode(enum.StrEnum):
    STOP_ON_FAILURE = "STOP_ON_FAILURE"  # a failed cancel stops there: no new order
    ALLOW_FAILURE = "ALLOW_FAILURE"  # the new order is placed even if the cancel fails


# "Order does not exist.": an answer, not a refusal (an unknown outcome, a look-up by id)
ORDER_DOES_NOT_EXIST = -2013
CANCEL_REPLACE_PARTIALLY_FAILED = -2021
CANCEL_REPLACE_FAILED = -2022


def cancel_replace(
    order: NewOrder,
    mode: CancelReplaceMode,
    *,
    cancel_order_id: int | None = None,
    cancel_client_order_id: str | None = None,
    cancel_new_client_order_id: str | None = None,
    cancel_only_over_limit: bool = False,
) -> Request:
    """POST /api/v3/order/cancelReplace: cancel one order and place `order` on its symbol.

    Weight 1 and one order against the order limits (counted even when the new order is not
    attempted); never resent (it places an order). Its -2021 and -2022 replies are answers
    (see `Request.answers`). `cancel_only_over_limit` sends orderRateLimitExceededMode
    CANCEL_ONLY: cancel even when the unfilled-order count is full (default DO_NOTHING).
    """
    if (cancel_order_id is None) == (cancel_client_order_id is None):
        raise ValueError("give exactly one of cancel_order_id and cancel_client_order_id")
    params = _params(
        symbol=order.symbol,
        side=order.side.value,
        type=order.type.value,
        cancelReplaceMode=mode.value,
        timeInForce=order.time_in_force.value if order.time_in_force else None,
        quantity=order.quantity,
        quoteOrderQty=order.quote_order_qty,
        price=order.price,
        cancelNewClientOrderId=cancel_new_client_order_id,
        cancelOrigClientOrderId=cancel_client_order_id,
        cancelOrderId=cancel_order_id,
        newClientOrderId=order.client_order_id,
        stopPrice=order.stop_price,
        trailingDelta=order.trailing_delta,
        icebergQty=order.iceberg_qty,
        newOrderRespType=order.resp_type,
        orderRateLimitExceededMode="CANCEL_ONLY" if cancel_only_over_limit else None,
    )
    return Request(
        "POST",
        "/api/v3/order/cancelReplace",
        params,
        signed=True,
        orders=1,
        retry=Retry.NEVER,
        answers=(CANCEL_REPLACE_PARTIALLY_FAILED, CANCEL_REPLACE_FAILED),
    )


# ── order lists (OCO) ─────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class OcoLeg:
    """One leg of an OCO: LIMIT_MAKER / TAKE_PROFIT[_LIMIT] above the price, STOP_LOSS[_LIMIT]
    below it (for a sell; mirrored for a buy)."""

    type: OrderType
    client_order_id: str
    price: Decimal | None = None
    stop_price: Decimal | None = None
    trailing_delta: int | None = None
    time_in_force: TimeInForce | None = None


@dataclass(frozen=True, slots=True)
class NewOco:
    symbol: str
    side: Side
    quantity: Decimal
    list_client_order_id: str
    above: OcoLeg
    below: OcoLeg


def new_oco(oco: NewOco) -> Request:
    """POST /api/v3/orderList/oco: two orders, each counted against the order limits."""
    legs: dict[str, object] = {}
    for name, leg in (("above", oco.above), ("below", oco.below)):
        legs[f"{name}Type"] = leg.type.value
        legs[f"{name}ClientOrderId"] = leg.client_order_id
        legs[f"{name}Price"] = leg.price
        legs[f"{name}StopPrice"] = leg.stop_price
        legs[f"{name}TrailingDelta"] = leg.trailing_delta
        legs[f"{name}TimeInForce"] = leg.time_in_force.value if leg.time_in_force else None
    params = _params(
        symbol=oco.symbol,
        side=oco.side.value,
        quantity=oco.quantity,
        listClientOrderId=oco.list_client_order_id,
        newOrderRespType="RESULT",
        **legs,
    )
    return Request(
        "POST", "/api/v3/orderList/oco", params, signed=True, orders=2, retry=Retry.NEVER
    )


# a leg's parameters of POST /api/v3/order, as an OTO / OTOCO leg names them after its prefix
_LEG_NAMES: Final = {
    "type": "Type", "side": "Side", "newClientOrderId": "ClientOrderId", "price": "Price",
    "stopPrice": "StopPrice", "trailingDelta": "TrailingDelta", "quantity": "Quantity",
    "icebergQty": "IcebergQty", "timeInForce": "TimeInForce",
}  # fmt: skip
_PAIR_SHARED: Final = ("side", "quantity")  # an OTOCO's pending pair sends these once


def new_oto(
    symbol: str, list_client_order_id: str, working: NewOrder, pending: Sequence[NewOrder]
) -> Request:
    """POST /api/v3/orderList/oto (one pending order) or /otoco (an OCO pair, the one above
    the market first): each leg counted against the order limits."""
    params: list[tuple[str, str]] = [
        ("symbol", symbol),
        ("listClientOrderId", list_client_order_id),
    ]
    params += _prefixed("working", working)
    if len(pending) == 1:
        params += _prefixed("pending", pending[0])
        path = "/api/v3/orderList/oto"
    else:
        above, below = pending
        params += [
            ("pending" + _LEG_NAMES[name], value)
            for name, value in new_order(above).params
            if name in _PAIR_SHARED
        ]
        params += _prefixed("pendingAbove", above, skip=_PAIR_SHARED)
        params += _prefixed("pendingBelow", below, skip=_PAIR_SHARED)
        path = "/api/v3/orderList/otoco"
    params.append(("newOrderRespType", "RESULT"))
    return Request(
        "POST", path, tuple(params), signed=True, orders=1 + len(pending), retry=Retry.NEVER
    )


def _prefixed(prefix: str, leg: NewOrder, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [
        (prefix + _LEG_NAMES[name], value)
        for name, value in new_order(leg).params
        if name in _LEG_NAMES and name not in skip
    ]


def get_order_list(list_client_order_id: str) -> Request:
    """GET /api/v3/orderList by the list's client id (Binance finds it without a symbol)."""
    params = _params(origClientOrderId=list_client_order_id)
    return Request("GET", "/api/v3/orderList", params, signed=True, weight=4)


def cancel_order_list(symbol: str, list_client_order_id: str) -> Request:
    return Request(
        "DELETE",
        "/api/v3/orderList",
        _params(symbol=symbol, listClientOrderId=list_client_order_id),
        signed=True,
    )
