"""Order lists: OCO (the current and the legacy endpoint), OTO and OTOCO; query, list open,
cancel.

A list places two orders at once (an OTOCO three), and counts as many against the order-rate
limits. An OTO's parameters name its working order `working*` and its pending one
`pending*`; an OTOCO's pending pair shares `pendingSide` and `pendingQuantity` and names each
leg `pendingAbove*` / `pendingBelow*`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from tradeguard.sim import wire
from tradeguard.sim.auth import Security
from tradeguard.sim.engine_lists import WORKING_TYPES
from tradeguard.sim.records import ORDER_TYPES, NewOco, NewOrder, NewOto, SimOrder
from tradeguard.sim.rejects import Reject
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

LEG_TYPES = ("STOP_LOSS_LIMIT", "STOP_LOSS", "LIMIT_MAKER", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")


def _side_and_qty(p: Params) -> tuple[str, str]:
    side = p.enum("side", SIDES, -1117, required=True)
    assert side is not None
    return p.the_symbol(), side


def parse_oco(p: Params) -> NewOco:
    """POST /api/v3/orderList/oco."""
    symbol, side = _side_and_qty(p)
    quantity = p.decimal("quantity", required=True)
    above = p.enum("aboveType", LEG_TYPES, -1116, required=True)
    below = p.enum("belowType", LEG_TYPES, -1116, required=True)
    assert quantity is not None and above is not None and below is not None
    return NewOco(
        symbol=symbol,
        side=side,
        quantity=quantity,
        above_type=above,
        below_type=below,
        above_price=p.decimal("abovePrice"),
        above_stop_price=p.decimal("aboveStopPrice"),
        above_trailing_delta=p.integer("aboveTrailingDelta"),
        above_time_in_force=p.enum("aboveTimeInForce", TIME_IN_FORCE, -1115),
        above_client_order_id=p.client_id("aboveClientOrderId"),
        below_price=p.decimal("belowPrice"),
        below_stop_price=p.decimal("belowStopPrice"),
        below_trailing_delta=p.integer("belowTrailingDelta"),
        below_time_in_force=p.enum("belowTimeInForce", TIME_IN_FORCE, -1115),
        below_client_order_id=p.client_id("belowClientOrderId"),
        list_client_order_id=p.client_id("listClientOrderId"),
        new_order_resp_type=p.enum("newOrderRespType", RESP_TYPES, -1130),
    )


def _list_leg(p: Params, prefix: str, side: str, quantity: str, types: tuple[str, ...]) -> NewOrder:
    """One leg of an OTO/OTOCO as a new order, from its prefixed parameters."""
    type_ = p.enum(f"{prefix}Type", types, -1116, required=True)
    side_ = p.enum(side, SIDES, -1117, required=True)
    qty = p.decimal(quantity, required=True)
    assert type_ is not None and side_ is not None and qty is not None  # required=True
    return NewOrder(
        symbol=p.the_symbol(),
        side=side_,
        type=type_,
        time_in_force=p.enum(f"{prefix}TimeInForce", TIME_IN_FORCE, -1115),
        quantity=qty,
        price=p.decimal(f"{prefix}Price"),
        new_client_order_id=p.client_id(f"{prefix}ClientOrderId"),
        stop_price=p.decimal(f"{prefix}StopPrice"),
        trailing_delta=p.integer(f"{prefix}TrailingDelta"),
        iceberg_qty=p.decimal(f"{prefix}IcebergQty"),
        strategy_id=p.integer(f"{prefix}StrategyId"),
        strategy_type=p.integer(f"{prefix}StrategyType"),
    )


def parse_oto(p: Params) -> NewOto:
    """POST /api/v3/orderList/oto."""
    working = _list_leg(p, "working", "workingSide", "workingQuantity", WORKING_TYPES)
    pending = _list_leg(p, "pending", "pendingSide", "pendingQuantity", ORDER_TYPES)
    return _oto(p, working, [pending])


def parse_otoco(p: Params) -> NewOto:
    """POST /api/v3/orderList/otoco."""
    working = _list_leg(p, "working", "workingSide", "workingQuantity", WORKING_TYPES)
    above = _list_leg(p, "pendingAbove", "pendingSide", "pendingQuantity", LEG_TYPES)
    below = _list_leg(p, "pendingBelow", "pendingSide", "pendingQuantity", LEG_TYPES)
    return _oto(p, working, [above, below])


def _oto(p: Params, working: NewOrder, pending: list[NewOrder]) -> NewOto:
    stp = p.enum("selfTradePreventionMode", STP_MODES, -1130)
    for leg in (working, *pending):
        leg.self_trade_prevention_mode = stp
    return NewOto(
        symbol=p.the_symbol(),
        working=working,
        pending=pending,
        list_client_order_id=p.client_id("listClientOrderId"),
        new_order_resp_type=p.enum("newOrderRespType", RESP_TYPES, -1130),
    )


@dataclass(frozen=True, slots=True)
class _Leg:
    type: str
    price: Decimal | None
    stop_price: Decimal | None = None
    trailing_delta: int | None = None
    time_in_force: str | None = None
    client_id: str | None = None


def parse_legacy_oco(p: Params) -> NewOco:
    """POST /api/v3/order/oco: a LIMIT_MAKER leg and a stop leg, placed by side."""
    symbol, side = _side_and_qty(p)
    quantity = p.decimal("quantity", required=True)
    price = p.decimal("price", required=True)
    assert quantity is not None and price is not None
    stop_price = p.decimal("stopPrice")
    trailing = p.integer("trailingDelta")
    if stop_price is None and trailing is None:
        raise reject(-1102, "stopPrice", "trailingDelta", variant=2)
    stop_limit_price = p.decimal("stopLimitPrice")
    limit_leg = _Leg("LIMIT_MAKER", price, client_id=p.client_id("limitClientOrderId"))
    stop_leg = _Leg(
        "STOP_LOSS_LIMIT" if stop_limit_price is not None else "STOP_LOSS",
        stop_limit_price,
        stop_price,
        trailing,
        p.enum("stopLimitTimeInForce", TIME_IN_FORCE, -1115),
        p.client_id("stopClientOrderId"),
    )
    # A SELL OCO takes profit above the market and stops out below; a BUY the other way round.
    above, below = (limit_leg, stop_leg) if side == "SELL" else (stop_leg, limit_leg)
    return NewOco(
        symbol=symbol,
        side=side,
        quantity=quantity,
        above_type=above.type,
        below_type=below.type,
        above_price=above.price,
        above_stop_price=above.stop_price,
        above_trailing_delta=above.trailing_delta,
        above_time_in_force=above.time_in_force,
        above_client_order_id=above.client_id,
        below_price=below.price,
        below_stop_price=below.stop_price,
        below_trailing_delta=below.trailing_delta,
        below_time_in_force=below.time_in_force,
        below_client_order_id=below.client_id,
        list_client_order_id=p.client_id("listClientOrderId"),
        new_order_resp_type=p.enum("newOrderRespType", RESP_TYPES, -1130),
    )


def endpoints(sim: Sim) -> list[Endpoint]:
    def place(call: Call, oco: NewOco) -> object:
        results = sim.engine.place_oco(call.account, oco, call.now_ms)
        list_id = results[0].order.order_list_id
        client_id = sim.engine.list_client_order_id(oco.symbol, list_id)
        return wire.oco_reply(results, client_id, call.now_ms)

    def place_legacy(call: Call, oco: NewOco) -> object:
        # Binance's legacy reply shows the stop leg first, whichever side of the market it is
        results = sim.engine.place_oco(call.account, oco, call.now_ms)
        results.sort(key=lambda r: not r.order.type.startswith("STOP_"))
        list_id = results[0].order.order_list_id
        client_id = sim.engine.list_client_order_id(oco.symbol, list_id)
        return wire.oco_reply(results, client_id, call.now_ms)

    def place_oto(call: Call, oto: NewOto) -> object:
        results = sim.engine.place_oto(call.account, oto, call.now_ms)
        list_id = results[0].order.order_list_id
        client_id = sim.engine.list_client_order_id(oto.symbol, list_id)
        return wire.oco_reply(results, client_id, call.now_ms, kind="OTO")

    def find_list(account: str, list_id: int | None, client_id: str | None) -> list[SimOrder]:
        # Binance finds an order list without its symbol; the engine keys lists by symbol.
        last: Reject | None = None
        for symbol in sim.symbols():
            try:
                return sim.engine.order_list(account, symbol, list_id, client_id)[1]
            except Reject as exc:
                if exc.code != -2011:
                    raise
                last = exc
        raise last or reject(-2011)

    def list_json(orders: list[SimOrder]) -> object:
        first = orders[0]
        client_id = sim.engine.list_client_order_id(first.symbol, first.order_list_id)
        placed = min(o.time for o in orders)
        kind = sim.engine.list_kind(first.symbol, first.order_list_id)
        return wire.order_list_json(orders, client_id, placed, canceled=False, kind=kind)

    def get_list(call: Call) -> object:
        p = call.params
        list_id, client_id = p.integer("orderListId"), p.text("origClientOrderId")
        if list_id is None and client_id is None:
            raise reject(-1102, "orderListId", "origClientOrderId", variant=2)
        return list_json(find_list(call.account, list_id, client_id))

    def open_lists(call: Call) -> object:
        seen: dict[tuple[str, int], None] = {}
        for o in sim.engine.open_orders(call.account, None):
            if o.order_list_id != -1:
                seen[(o.symbol, o.order_list_id)] = None
        return [
            list_json(sim.engine.order_list(call.account, symbol, list_id, None)[1])
            for symbol, list_id in seen
        ]

    def cancel_list(call: Call) -> object:
        p = call.params
        symbol = p.the_symbol()
        list_id, client_id = p.integer("orderListId"), p.text("listClientOrderId")
        if list_id is None and client_id is None:
            raise reject(-1102, "orderListId", "listClientOrderId", variant=2)
        canceled = sim.engine.cancel_order_list(
            call.account, symbol, list_id, client_id, call.now_ms
        )
        list_id = canceled[0].order_list_id
        list_client_id = sim.engine.list_client_order_id(symbol, list_id)
        kind = sim.engine.list_kind(symbol, list_id)
        return wire.order_list_json(canceled, list_client_id, call.now_ms, canceled=True, kind=kind)

    trade, user_data = Security.TRADE, Security.USER_DATA
    return [
        Endpoint(
            "POST",
            "/api/v3/orderList/oco",
            lambda call: place(call, parse_oco(call.params)),
            security=trade,
            needs="trade",
            orders=2,
        ),
        Endpoint(
            "POST",
            "/api/v3/order/oco",
            lambda call: place_legacy(call, parse_legacy_oco(call.params)),
            security=trade,
            needs="trade",
            orders=2,
        ),
        Endpoint(
            "POST",
            "/api/v3/orderList/oto",
            lambda call: place_oto(call, parse_oto(call.params)),
            security=trade,
            needs="trade",
            orders=2,
        ),
        Endpoint(
            "POST",
            "/api/v3/orderList/otoco",
            lambda call: place_oto(call, parse_otoco(call.params)),
            security=trade,
            needs="trade",
            orders=3,
        ),
        Endpoint("GET", "/api/v3/orderList", get_list, weight=4, security=user_data),
        Endpoint("GET", "/api/v3/openOrderList", open_lists, weight=6, security=user_data),
        Endpoint("DELETE", "/api/v3/orderList", cancel_list, security=trade, needs="trade"),
    ]
