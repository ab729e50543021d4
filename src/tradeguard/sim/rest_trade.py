"""Order endpoints: place, test, query, cancel, list orders and trades.

The HTTP layer checks each parameter's format in Binance's words (rest_params); the engine
checks what the order means (filters, balances, duplicates, LIMIT_MAKER that would take) and
raises Binance's rejections itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tradeguard.sim import wire
from tradeguard.sim.auth import Security
from tradeguard.sim.records import ORDER_TYPES, NewOrder
from tradeguard.sim.rest_params import (
    RESP_TYPES,
    SIDES,
    STP_MODES,
    TIME_IN_FORCE,
    Params,
    reject,
)
from tradeguard.sim.rest_pipeline import Call, Endpoint

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

DAY_MS = 86_400_000


def parse_new_order(p: Params) -> NewOrder:
    """POST /api/v3/order's parameters, format-checked in the order Binance checks them."""
    symbol = p.the_symbol()
    side = p.enum("side", SIDES, -1117, required=True)
    type_ = p.enum("type", ORDER_TYPES, -1116, required=True)
    assert side is not None and type_ is not None  # required=True
    # An order sends a few of the twelve optional parameters. One absent (or sent empty) reads
    # as None and is never refused, so only those sent go through their readers (in the table's
    # order, Binance's): the others cost a dict lookup instead of two calls each.
    sent = p.raw.get
    optional: dict[str, Any] = {
        field: read(p, name) for field, name, read in _OPTIONAL_ORDER_PARAMS if sent(name)
    }
    return NewOrder(symbol=symbol, side=side, type=type_, **optional)


# NewOrder's optional fields: (field, parameter, reader), read in this order
_OPTIONAL_ORDER_PARAMS: tuple[tuple[str, str, Callable[[Params, str], object]], ...] = (
    ("time_in_force", "timeInForce", lambda p, name: p.enum(name, TIME_IN_FORCE, -1115)),
    ("quantity", "quantity", Params.decimal),
    ("quote_order_qty", "quoteOrderQty", Params.decimal),
    ("price", "price", Params.decimal),
    ("new_client_order_id", "newClientOrderId", Params.client_id),
    ("stop_price", "stopPrice", Params.decimal),
    ("trailing_delta", "trailingDelta", Params.integer),
    ("iceberg_qty", "icebergQty", Params.decimal),
    ("new_order_resp_type", "newOrderRespType", lambda p, name: p.enum(name, RESP_TYPES, -1130)),
    (
        "self_trade_prevention_mode",
        "selfTradePreventionMode",
        lambda p, name: p.enum(name, STP_MODES, -1130),
    ),
    ("strategy_id", "strategyId", Params.integer),
    ("strategy_type", "strategyType", Params.integer),
)


def order_ref(
    p: Params, id_name: str = "orderId", client_name: str = "origClientOrderId"
) -> tuple[int | None, str | None]:
    """An order named by its id or its client id; Binance wants at least one (-1102)."""
    order_id = p.integer(id_name)
    client_id = p.text(client_name)
    if order_id is None and client_id is None:
        raise reject(-1102, id_name, client_name, variant=2)
    return order_id, client_id


def time_range(p: Params) -> tuple[int | None, int | None]:
    start, end = p.integer("startTime"), p.integer("endTime")
    if start is not None and end is not None and end - start > DAY_MS:
        raise reject(-1127, 24)
    return start, end


def _open_orders_weight(params: Params) -> int:
    return 6 if "symbol" in params else 80


def _my_trades_weight(params: Params) -> int:
    return 5 if "orderId" in params else 20


def endpoints(sim: Sim) -> list[Endpoint]:
    def place(call: Call) -> object:
        order = parse_new_order(call.params)
        result = sim.engine.place_order(call.account, order, call.now_ms)
        return wire.order_reply(result)

    def test_order(call: Call) -> object:
        order = parse_new_order(call.params)
        sim.engine.place_order(call.account, order, call.now_ms, test=True)
        if call.params.boolean("computeCommissionRates"):
            maker, taker = sim.config.maker_commission, sim.config.taker_commission
            zero = "0.00000000"
            return {
                "standardCommissionForOrder": {"maker": f"{maker:.8f}", "taker": f"{taker:.8f}"},
                "specialCommissionForOrder": {"maker": zero, "taker": zero},
                "taxCommissionForOrder": {"maker": zero, "taker": zero},
                "discount": {
                    "enabledForAccount": False,
                    "enabledForSymbol": False,
                    "discountAsset": "BNB",
                    "discount": zero,
                },
            }
        return {}

    def get_order(call: Call) -> object:
        p = call.params
        symbol = p.the_symbol()
        order_id, client_id = order_ref(p)
        return wire.order_json(sim.engine.get_order(call.account, symbol, order_id, client_id))

    def cancel(call: Call) -> object:
        p = call.params
        symbol = p.the_symbol()
        order_id, client_id = order_ref(p)
        canceled = sim.engine.cancel_order(
            call.account, symbol, order_id, client_id, p.client_id("newClientOrderId"), call.now_ms
        )
        return wire.cancel_json(canceled)

    def open_orders(call: Call) -> object:
        symbol = call.params.symbol(required=False)
        return [wire.order_json(o) for o in sim.engine.open_orders(call.account, symbol)]

    def cancel_open(call: Call) -> object:
        symbol = call.params.the_symbol()
        canceled = sim.engine.cancel_open_orders(call.account, symbol, call.now_ms)
        return [wire.cancel_json(o) for o in canceled]

    def all_orders(call: Call) -> object:
        p = call.params
        symbol = p.the_symbol()
        start, end = time_range(p)
        orders = sim.engine.all_orders(
            call.account, symbol, p.integer("orderId"), start, end, p.limit("limit", 500, 1000)
        )
        return [wire.order_json(o) for o in orders]

    def my_trades(call: Call) -> object:
        p = call.params
        symbol = p.the_symbol()
        start, end = time_range(p)
        from_id = p.integer("fromId")
        if from_id is not None and (start is not None or end is not None):
            raise reject(-1128)
        trades = sim.engine.my_trades(
            call.account,
            symbol,
            p.integer("orderId"),
            start,
            end,
            from_id,
            p.limit("limit", 500, 1000),
        )
        return [wire.trade_json(t) for t in trades]

    trade, user_data = Security.TRADE, Security.USER_DATA
    return [
        Endpoint("POST", "/api/v3/order", place, security=trade, needs="trade", orders=1),
        Endpoint(
            "POST",
            "/api/v3/order/test",
            test_order,
            weight=lambda p: 20 if p.text("computeCommissionRates") == "true" else 1,
            security=trade,
            needs="trade",
        ),
        Endpoint("GET", "/api/v3/order", get_order, weight=4, security=user_data),
        Endpoint("DELETE", "/api/v3/order", cancel, security=trade, needs="trade"),
        Endpoint(
            "GET", "/api/v3/openOrders", open_orders, weight=_open_orders_weight, security=user_data
        ),
        Endpoint("DELETE", "/api/v3/openOrders", cancel_open, security=trade, needs="trade"),
        Endpoint("GET", "/api/v3/allOrders", all_orders, weight=20, security=user_data),
        Endpoint(
            "GET", "/api/v3/myTrades", my_trades, weight=_my_trades_weight, security=user_data
        ),
    ]
