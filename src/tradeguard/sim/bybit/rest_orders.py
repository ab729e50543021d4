"""Bybit's spot order endpoints: create, cancel, open and recent orders, history, executions.

    POST /v5/order/create       {orderId, orderLinkId}
    POST /v5/order/cancel       {orderId, orderLinkId}; by orderId or orderLinkId
    GET  /v5/order/realtime     by orderId or orderLinkId: that order in any state (the way a
                                client settles an unknown outcome); else the open orders
                                (orderFilter StopOrder/tpslOrder: the untriggered stops instead)
    GET  /v5/order/history      closed orders, newest first (limit 20, at most 50)
    GET  /v5/execution/list     fills, newest first (limit 50, at most 100); the next page by
                                the reply's nextPageCursor ("" on the last page)

Order ids are the engine's, unique per symbol (as are execution ids); an order-id query without
a symbol takes the first symbol that has the id.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from tradeguard.sim.bybit import shapes
from tradeguard.sim.bybit.errors import ORDER_NOT_FOUND, BybitError, from_reject, params_error
from tradeguard.sim.bybit.orders import (
    STOP_FILTERS,
    check_category,
    find,
    link_id,
    parse_create,
    refuse_reused_link_id,
    symbol_of,
)
from tradeguard.sim.bybit.pipeline import Call, Params, Route
from tradeguard.sim.engine import Engine
from tradeguard.sim.records import SimOrder
from tradeguard.sim.rejects import Reject

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

OPEN = ("NEW", "PARTIALLY_FILLED")
ZERO = Decimal(0)
ALL = 1_000_000  # "every row" for the engine's list calls, which keep the newest `limit`


def _limit(p: Params, default: int, most: int) -> int:
    limit = p.integer("limit")
    if limit is None:
        return default
    if not 1 <= limit <= most:
        raise params_error(f"limit must be 1 to {most}")
    return limit


def _cursor(p: Params) -> int:
    """The page a `cursor` names: the one a previous page's nextPageCursor gave (here the
    offset into the newest-first rows; opaque to the client, as Bybit's is)."""
    cursor = p.text("cursor")
    if cursor is None or cursor == "":
        return 0
    if not cursor.isdigit():
        raise params_error("cursor is not one this venue gave")
    return int(cursor)


def routes(sim: Sim) -> list[Route]:
    def engine() -> Engine:
        return sim.engine  # a reset replaces the engine: always read it anew

    def fees(o: SimOrder) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for t in engine().my_trades(o.account, o.symbol, order_id=o.order_id, limit=ALL):
            out[t.commission_asset] = out.get(t.commission_asset, ZERO) + t.commission
        return out

    def row(o: SimOrder) -> dict[str, object]:
        return shapes.order_row(o, fees(o))

    def page(rows: list[dict[str, object]], cursor: str = "") -> dict[str, object]:
        return {"category": "spot", "list": rows, "nextPageCursor": cursor}

    def create(call: Call) -> object:
        order = parse_create(call.params, engine())
        refuse_reused_link_id(engine(), call.account, order.new_client_order_id)
        spec = engine().symbols[order.symbol]
        try:
            placed = engine().place_order(call.account, order, call.now_ms).order
        except Reject as rej:
            raise from_reject(rej, spec, order) from None
        return {"orderId": str(placed.order_id), "orderLinkId": placed.client_order_id}

    def cancel(call: Call) -> object:
        p = call.params
        check_category(p)
        symbol = symbol_of(p, engine())
        assert symbol is not None
        order_id, link = p.text("orderId"), link_id(p)
        if order_id is None and link is None:
            raise params_error("orderId or orderLinkId is required")
        if order_id is not None and not order_id.isdigit():
            raise BybitError(ORDER_NOT_FOUND)
        try:
            canceled = engine().cancel_order(
                call.account,
                symbol,
                None if order_id is None else int(order_id),
                link,
                None,
                call.now_ms,
            )
        except Reject as rej:
            raise from_reject(rej) from None
        return {
            "orderId": str(canceled.order_id),
            "orderLinkId": canceled.orig_client_order_id or "",
        }

    def realtime(call: Call) -> object:
        p = call.params
        check_category(p)
        symbol = symbol_of(p, engine(), required=False)
        order_id, link = p.text("orderId"), link_id(p)
        if order_id is not None or link is not None:
            found = find(engine(), call.account, symbol, order_id, link)
            return page([] if found is None else [row(found)])
        stops = (p.text("orderFilter") or "Order") in STOP_FILTERS
        orders = [
            o for o in engine().open_orders(call.account, symbol) if (not o.is_working) == stops
        ]
        orders.sort(key=lambda o: (o.time, o.order_id), reverse=True)
        return page([row(o) for o in orders[: _limit(p, 20, 50)]])

    def history(call: Call) -> object:
        p = call.params
        check_category(p)
        symbol = symbol_of(p, engine(), required=False)
        order_id, link = p.text("orderId"), link_id(p)
        if order_id is not None or link is not None:
            found = find(engine(), call.account, symbol, order_id, link)
            return page([] if found is None or found.status in OPEN else [row(found)])
        start, end = p.integer("startTime"), p.integer("endTime")
        wanted = p.text("orderStatus")
        orders = [
            o
            for name in ([symbol] if symbol else list(engine().symbols))
            for o in engine().all_orders(call.account, name, None, start, end, ALL)
            if o.status not in OPEN
        ]
        rows = [row(o) for o in orders]
        if wanted is not None:
            rows = [r for r in rows if r["orderStatus"] == wanted]
        rows.sort(key=lambda r: (int(str(r["updatedTime"])), int(str(r["orderId"]))), reverse=True)
        return page(rows[: _limit(p, 20, 50)])

    def executions(call: Call) -> object:
        p = call.params
        check_category(p)
        symbol = symbol_of(p, engine(), required=False)
        exec_type = p.text("execType")
        if exec_type not in (None, "Trade"):
            return page([])  # spot fills are all execType Trade
        order_id = p.integer("orderId")
        start, end = p.integer("startTime"), p.integer("endTime")
        rates = {True: sim.config.maker_commission, False: sim.config.taker_commission}
        rows: list[dict[str, object]] = []
        for name in [symbol] if symbol else list(engine().symbols):
            for t in engine().my_trades(call.account, name, order_id, start, end, None, ALL):
                o = engine().get_order(call.account, name, t.order_id, None)
                if link_id(p) in (None, o.client_order_id):
                    rows.append(shapes.execution_row(t, o, rates[t.is_maker]))
        rows.sort(key=lambda r: (int(str(r["execTime"])), int(str(r["seq"]))), reverse=True)
        start, limit = _cursor(p), _limit(p, 50, 100)
        more = start + limit < len(rows)
        return page(rows[start : start + limit], str(start + limit) if more else "")

    return [
        Route("POST", "/v5/order/create", create, trade=True, group="trade"),
        Route("POST", "/v5/order/cancel", cancel, trade=True, group="trade"),
        Route("GET", "/v5/order/realtime", realtime),
        Route("GET", "/v5/order/history", history),
        Route("GET", "/v5/execution/list", executions),
    ]
