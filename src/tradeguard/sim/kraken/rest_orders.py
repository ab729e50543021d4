"""Kraken's order methods: AddOrder, CancelOrder, QueryOrders, OpenOrders, ClosedOrders,
TradesHistory. An order is named by its txid, by the cl_ord_id its client gave it (unique
among open orders), or by its userref (a number shared by any orders the client chooses).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from tradeguard.sim.kraken import errors, order_params, render
from tradeguard.sim.kraken.errors import KrakenError
from tradeguard.sim.kraken.pipeline import Call, Endpoint
from tradeguard.sim.records import SimOrder, SimTrade
from tradeguard.sim.rejects import Reject

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

PAGE = 50  # Kraken's ClosedOrders / TradesHistory page size


def endpoints(sim: Sim) -> list[Endpoint]:
    engine_symbols = [s.symbol for s in sim.config.symbols]

    def all_orders(account: str) -> list[SimOrder]:
        out: list[SimOrder] = []
        for symbol in engine_symbols:
            out.extend(sim.engine.all_orders(account, symbol, limit=1_000_000))
        return out

    def trades_of(account: str, o: SimOrder) -> list[SimTrade]:
        return sim.engine.my_trades(account, o.symbol, order_id=o.order_id, limit=1_000_000)

    def render_order(call: Call, o: SimOrder, with_trades: bool) -> dict[str, object]:
        names = call.state.names
        trades = trades_of(call.account, o)
        fee = sum((t.commission for t in trades), Decimal(0))
        ids = (
            [names.trade_txid(t.symbol, t.id, t.is_buyer) for t in trades] if with_trades else None
        )
        return render.order_json(o, names.of(o.symbol), fee, ids)

    def find(call: Call, txid: str) -> SimOrder | None:
        found = call.state.names.order_of(txid)
        if found is None:
            return None
        symbol, order_id = found
        try:
            return sim.engine.get_order(call.account, symbol, order_id, None)
        except Reject:
            return None

    def matching(call: Call, orders: Iterable[SimOrder]) -> list[SimOrder]:
        """Orders filtered by the call's userref and cl_ord_id, if given."""
        ref = order_params.userref(call.params.get("userref"))
        cid = call.params.get("cl_ord_id")
        return [
            o for o in orders
            if (ref is None or o.strategy_id == ref)
            and (cid is None or render.given_client_id(o.client_order_id) == cid)
        ]  # fmt: skip

    def in_window(call: Call, ms: int) -> bool:
        start, end = call.params.get("start"), call.params.get("end")
        try:
            return (start is None or ms / 1000 > float(start)) and (
                end is None or ms / 1000 <= float(end)
            )
        except ValueError:
            raise errors.invalid_argument("start" if start else "end") from None

    def offset(call: Call) -> int:
        raw = call.params.get("ofs", "0")
        if not raw.isdigit():
            raise errors.invalid_argument("ofs")
        return int(raw)

    # ── handlers ────────────────────────────────────────────────────────────────────────
    def add_order(call: Call) -> object:
        req = order_params.parse(call.params, call.state.names)
        order = req.order
        try:
            result = sim.engine.place_order(call.account, order, call.now_ms, test=req.validate)
        except Reject as rej:
            small = order.quantity is not None and order.quantity < req.pair.spec.min_qty
            raise errors.from_engine(rej, below_minimum=small) from None
        descr = {"order": render.sentence(result.order, req.pair)}
        if req.validate:
            return {"descr": descr}
        return {
            "descr": descr,
            "txid": [call.state.names.order_txid(order.symbol, result.order.order_id)],
        }

    def cancel_order(call: Call) -> object:
        p = call.params
        cid, txid = p.get("cl_ord_id"), p.get("txid")
        if cid is not None:
            targets = matching(
                call, (o for o in all_orders(call.account) if o.status in render.OPEN_STATUSES)
            )
        elif txid is None:
            raise errors.invalid_argument("txid")
        elif txid.lstrip("-").isdigit():  # a userref: every open order carrying it
            ref = order_params.userref(txid)
            targets = [
                o for o in all_orders(call.account)
                if o.strategy_id == ref and o.status in render.OPEN_STATUSES
            ]  # fmt: skip
        else:
            one = find(call, txid)
            targets = [one] if one is not None and one.status in render.OPEN_STATUSES else []
        if not targets:
            raise KrakenError(errors.UNKNOWN_ORDER)
        for o in targets:
            sim.engine.cancel_order(call.account, o.symbol, o.order_id, None, None, call.now_ms)
        return {"count": len(targets), "pending": False}

    def query_orders(call: Call) -> object:
        raw = call.params.get("txid")
        if not raw:
            raise errors.invalid_argument("txid")
        ids = raw.split(",")
        if len(ids) > PAGE:
            raise errors.invalid_argument("txid")
        with_trades = order_params.boolean(call.params.get("trades"))
        out: dict[str, object] = {}
        for txid in ids:
            if call.state.names.order_of(txid) is None:
                raise KrakenError("EOrder:Invalid order")
            o = find(call, txid)
            if o is not None and matching(call, [o]):
                out[txid] = render_order(call, o, with_trades)
        return out

    def open_orders(call: Call) -> object:
        with_trades = order_params.boolean(call.params.get("trades"))
        opened = [o for o in all_orders(call.account) if o.status in render.OPEN_STATUSES]
        names = call.state.names
        return {
            "open": {
                names.order_txid(o.symbol, o.order_id): render_order(call, o, with_trades)
                for o in matching(call, opened)
            }
        }

    def closed_orders(call: Call) -> object:
        with_trades = order_params.boolean(call.params.get("trades"))
        closed = [
            o for o in all_orders(call.account)
            if o.status not in render.OPEN_STATUSES and in_window(call, o.update_time)
        ]  # fmt: skip
        picked = sorted(matching(call, closed), key=lambda o: o.update_time, reverse=True)
        start = offset(call)
        names = call.state.names
        return {
            "closed": {
                names.order_txid(o.symbol, o.order_id): render_order(call, o, with_trades)
                for o in picked[start : start + PAGE]
            },
            "count": len(picked),
        }

    def trades_history(call: Call) -> object:
        trades: list[SimTrade] = []
        for symbol in engine_symbols:
            trades.extend(sim.engine.my_trades(call.account, symbol, limit=1_000_000))
        picked = sorted(
            (t for t in trades if in_window(call, t.time)),
            key=lambda t: (t.time, t.id),
            reverse=True,
        )
        start = offset(call)
        names = call.state.names
        types: dict[tuple[str, int], str] = {}
        out: dict[str, object] = {}
        for t in picked[start : start + PAGE]:
            ref = (t.symbol, t.order_id)
            if ref not in types:
                types[ref] = sim.engine.get_order(call.account, t.symbol, t.order_id, None).type
            out[names.trade_txid(t.symbol, t.id, t.is_buyer)] = render.trade_json(
                t, names, types[ref]
            )
        return {"trades": out, "count": len(picked)}

    return [
        Endpoint("AddOrder", add_order, needs="trade", cost=0, orders=1),
        Endpoint("CancelOrder", cancel_order, needs="trade", cost=0),
        Endpoint("QueryOrders", query_orders),
        Endpoint("OpenOrders", open_orders),
        Endpoint("ClosedOrders", closed_orders),
        Endpoint("TradesHistory", trades_history, cost=2),
    ]
