"""OKX's algo orders on spot, as far as the engine has them: `conditional` (a one-way
stop-loss or take-profit: slTriggerPx or tpTriggerPx), `trigger` (stop and stop-limit) and
`iceberg`; placed at POST /trade/order-algo, named by algoId and the client's algoClOrdId,
listed at orders-algo-pending and orders-algo-history, looked up at GET /trade/order-algo and
cancelled at cancel-algos.

Until it triggers, a conditional or trigger order lives only here: the regular endpoints
(/trade/order, orders-pending, orders-history, cancel-order) do not know it, as on OKX. Once the
last price crosses its trigger it places a regular order (market, or limit at its order price)
and the algo order is `effective`. The engine holds a conditional or trigger order as a stop
(STOP_LOSS(_LIMIT) or TAKE_PROFIT(_LIMIT)); that stop becomes the regular order, which goes by
an ordId of its own (`wire.ord_id`: the algoId moved up by `wire.CHILD_ID_BASE`), has no clOrdId
and names its algo order by algoId and algoClOrdId, as on OKX. An iceberg is a resting limit
order showing szLimit at a time, listed on both sides. oco, move_order_stop and twap are refused
(51000).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from tradeguard.sim.okx import orders, wire
from tradeguard.sim.okx.errors import OkxReject, from_engine, param_error
from tradeguard.sim.okx.pipeline import Call, Endpoint
from tradeguard.sim.okx.rest_trade import outcome, page_limit
from tradeguard.sim.records import NewOrder, SimOrder, SymbolSpec
from tradeguard.sim.rejects import Reject

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.okx.state import OkxState

AT_MARKET: Final = "-1"  # an order price of -1: the triggered order goes out at market
DONE_STATES: Final = frozenset({"effective", "canceled", "order_failed"})


def _conditional(sim: Sim, spec: SymbolSpec, req: dict[str, Any], side: str) -> NewOrder:
    """A conditional order: a stop-loss (slTriggerPx, slOrdPx) or a take-profit (tpTriggerPx,
    tpOrdPx); both at once is an oco, which is not offered here."""
    stop_loss = orders.decimal(req, "slTriggerPx")
    take_profit = orders.decimal(req, "tpTriggerPx")
    if (stop_loss is None) == (take_profit is None):
        raise param_error("slTriggerPx" if stop_loss is None else "ordType")
    prefix, base = ("tp", "TAKE_PROFIT") if take_profit is not None else ("sl", "STOP_LOSS")
    at_market = orders.field(req, f"{prefix}OrdPx", required=True) == AT_MARKET
    return NewOrder(
        symbol=spec.symbol,
        side=side,
        type=base if at_market else f"{base}_LIMIT",
        time_in_force=None if at_market else "GTC",
        quantity=orders.decimal(req, "sz", required=True),
        price=None if at_market else orders.decimal(req, f"{prefix}OrdPx", required=True),
        stop_price=take_profit if take_profit is not None else stop_loss,
        new_client_order_id=_client_id(req),
        new_order_resp_type="ACK",
    )


def _client_id(req: dict[str, Any]) -> str | None:
    """The algo order's client id: algoClOrdId (a clOrdId, as ccxt also sends, stands in)."""
    return orders.client_id(req, "algoClOrdId") or orders.client_id(req)


def algo_order(sim: Sim, req: object) -> tuple[SymbolSpec, NewOrder, str]:
    """An order-algo request as the engine's NewOrder, and its ordType."""
    if not isinstance(req, dict):
        raise OkxReject("50002", "The body must be a JSON object")
    spec = orders.spec_for(sim, req.get("instId"))
    if orders.field(req, "tdMode", required=True) not in ("cash", "cross"):
        raise param_error("tdMode")
    side = orders.side_of(req)
    kind = orders.field(req, "ordType", required=True)
    size = orders.decimal(req, "sz", required=True)
    if kind == "conditional":
        return spec, _conditional(sim, spec, req, side), kind
    if kind == "iceberg":
        return spec, NewOrder(
            symbol=spec.symbol,
            side=side,
            type="LIMIT",
            time_in_force="GTC",
            quantity=size,
            price=orders.decimal(req, "px") or orders.decimal(req, "pxLimit", required=True),
            iceberg_qty=orders.decimal(req, "szLimit", required=True),
            new_client_order_id=_client_id(req),
            new_order_resp_type="ACK",
        ), kind  # fmt: skip
    if kind != "trigger":
        raise param_error("ordType")
    trigger = orders.decimal(req, "triggerPx", required=True)
    assert trigger is not None
    at_market = orders.field(req, "orderPx", required=True) == AT_MARKET
    last = sim.engine.last_price(spec.symbol)
    stop = trigger > last if side == "BUY" else trigger < last
    base = "STOP_LOSS" if stop else "TAKE_PROFIT"
    return spec, NewOrder(
        symbol=spec.symbol,
        side=side,
        type=base if at_market else f"{base}_LIMIT",
        time_in_force=None if at_market else "GTC",
        quantity=size,
        price=None if at_market else orders.decimal(req, "orderPx", required=True),
        stop_price=trigger,
        new_client_order_id=_client_id(req),
        new_order_resp_type="ACK",
    ), kind  # fmt: skip


def algo_kind(state: OkxState, o: SimOrder) -> str | None:
    """The ordType an engine order was placed as on order-algo; None for a regular order."""
    if o.iceberg_qty > 0:
        return "iceberg"
    if o.type not in wire.STOP_TYPES:
        return None
    return "conditional" if (o.symbol, o.order_id) in state.conditional else "trigger"


def algo_json(sim: Sim, state: OkxState, o: SimOrder) -> wire.Json:
    """One algo order row (GET /trade/order-algo, orders-algo-pending, -history)."""
    row = orders.order_json(sim, state, o)
    kind = algo_kind(state, o) or "trigger"
    cl = row["algoClOrdId"] or row["clOrdId"]  # a stop's row carries it as algoClOrdId
    if kind == "iceberg":
        done = {"filled": "effective", "canceled": "canceled"}.get(row["state"], "live")
        return row | _identity(o, cl, cl, done) | {
            "ordType": kind,
            "szLimit": wire.num(o.iceberg_qty),
            "pxLimit": row["px"],
            "actualSz": row["accFillSz"],
            "actualPx": row["avgPx"],
        }  # fmt: skip
    triggered = not wire.untriggered(o)
    done = "effective" if triggered else ("canceled" if row["state"] == "canceled" else "live")
    order_px = AT_MARKET if o.type in ("STOP_LOSS", "TAKE_PROFIT") else wire.num(o.price)
    trigger = wire.num(o.stop_price)
    take_profit = o.type.startswith("TAKE_PROFIT")
    conditional = kind == "conditional"
    fields = {
        "ordType": kind,
        "px": "",
        "triggerPx": "" if conditional else trigger,
        "triggerPxType": "" if conditional else "last",
        "ordPx": "" if conditional else order_px,
        "tpTriggerPx": trigger if conditional and take_profit else "",
        "tpOrdPx": order_px if conditional and take_profit else "",
        "tpTriggerPxType": "last" if conditional and take_profit else "",
        "slTriggerPx": trigger if conditional and not take_profit else "",
        "slOrdPx": order_px if conditional and not take_profit else "",
        "slTriggerPxType": "last" if conditional and not take_profit else "",
        "actualSz": row["accFillSz"] if triggered else "",
        "actualPx": row["avgPx"] if triggered else "",
        "triggerTime": str(o.working_time) if triggered else "",
    }
    # the client's id is the algo's; the regular order it places carries it as its clOrdId
    return row | _identity(o, cl, cl if triggered else "", done) | fields


def _identity(o: SimOrder, algo_cl: str, cl: str, done: str) -> wire.Json:
    placed = done == "effective"
    return {
        "algoId": str(o.order_id),
        "algoClOrdId": algo_cl,
        "clOrdId": cl,
        "ordId": wire.ord_id(o) if placed else "",
        "ordIdList": [wire.ord_id(o)] if placed else [],
        "state": done,
        "tag": "",
    }


def endpoints(sim: Sim, state: OkxState) -> list[Endpoint]:
    def place(call: Call) -> object:
        req = call.body
        cl = None
        if isinstance(req, dict):
            cl = orders.field(req, "algoClOrdId") or orders.field(req, "clOrdId")
        row: dict[str, Any] = {"algoId": "", "clOrdId": "", "algoClOrdId": cl or ""}
        row |= {"tag": "", "sCode": "0", "sMsg": "Order placed"}
        try:
            spec, new, kind = algo_order(sim, req)
            try:
                placed = sim.engine.place_order(call.account, new, call.now_ms)
            except Reject as rej:
                raise from_engine(rej, spec, new.side, new.quantity) from None
        except OkxReject as rej:
            return outcome([row | {"sCode": rej.code, "sMsg": rej.msg}], single=True)
        key = (spec.symbol, placed.order.order_id)
        if new.new_client_order_id is None:
            state.no_client_id.add(key)
        if kind == "conditional":
            state.conditional.add(key)
        return [row | {"algoId": str(placed.order.order_id)}]

    def _symbols(call: Call) -> list[str]:
        inst = call.text("instId")
        return [orders.spec_for(sim, inst).symbol] if inst else list(sim.symbols())

    def _algo(call: Call, symbol: str | None, algo_id: str | None, cl: str | None) -> SimOrder:
        """The algo order named by algoId or algoClOrdId; 51603 if there is none."""
        if algo_id is not None and not algo_id.isdigit():
            raise param_error("algoId")
        for name in [symbol] if symbol is not None else list(sim.symbols()):
            try:
                found = sim.engine.get_order(
                    call.account, name, None if algo_id is None else int(algo_id), cl
                )
            except Reject:
                continue
            if algo_kind(state, found) is not None:
                return found
        raise OkxReject("51603")

    def get_algo(call: Call) -> object:
        algo_id, cl = call.text("algoId"), call.text("algoClOrdId")
        if algo_id is None and cl is None:
            raise param_error("algoId")
        return [algo_json(sim, state, _algo(call, None, algo_id, cl))]

    def _rows(call: Call, listing: Any) -> list[wire.Json]:
        kinds = set((call.text("ordType", required=True) or "").split(","))
        algo_id, cl = call.text("algoId"), call.text("algoClOrdId")
        rows = [
            algo_json(sim, state, o)
            for symbol in _symbols(call)
            for o in listing(call.account, symbol)
            if algo_kind(state, o) in kinds
        ]
        rows = [r for r in rows if algo_id is None or r["algoId"] == algo_id]
        rows = [r for r in rows if cl is None or r["algoClOrdId"] == cl]
        rows.sort(key=lambda r: -int(r["algoId"]))  # newest first
        return rows

    def pending(call: Call) -> object:
        rows = _rows(call, sim.engine.open_orders)
        return [r for r in rows if r["state"] == "live"][: page_limit(call)]

    def history(call: Call) -> object:
        wanted = call.text("state")
        if wanted is None and call.text("algoId") is None:
            raise param_error("state")  # OKX wants one of state and algoId
        if wanted is not None and wanted not in DONE_STATES:
            raise param_error("state")

        def every(account: str, symbol: str) -> list[SimOrder]:
            return sim.engine.all_orders(account, symbol, limit=orders.ALL)

        rows = [r for r in _rows(call, every) if r["state"] in DONE_STATES]
        rows = [r for r in rows if wanted is None or r["state"] == wanted]
        return rows[: page_limit(call)]

    def cancel(call: Call) -> object:
        if not isinstance(call.body, list) or not call.body:
            raise OkxReject("50002", "The body must be a JSON array")
        rows = []
        for req in call.body:
            req = req if isinstance(req, dict) else {}
            algo_id, cl = orders.field(req, "algoId"), orders.field(req, "algoClOrdId")
            row = {"algoId": algo_id or "", "algoClOrdId": cl or "", "sCode": "0", "sMsg": ""}
            try:
                spec = orders.spec_for(sim, req.get("instId"))
                if algo_id is None and cl is None:
                    raise param_error("algoId")
                found = _algo(call, spec.symbol, algo_id, cl)
                if algo_json(sim, state, found)["state"] != "live":
                    raise Reject(-2011, "Unknown order sent.")
                sim.engine.cancel_order(
                    call.account, spec.symbol, found.order_id, None, None, call.now_ms
                )
                row |= {"algoId": str(found.order_id), "algoClOrdId": found.client_order_id}
            except OkxReject as rej:
                code = "51400" if rej.code == "51603" else rej.code
                row |= {"sCode": code, "sMsg": OkxReject(code).msg if code == "51400" else rej.msg}
            except Reject:
                row |= {"sCode": "51400", "sMsg": OkxReject("51400").msg}
            rows.append(row)
        return outcome(rows, single=False)

    return [
        Endpoint("POST", "/api/v5/trade/order-algo", place, needs="trade"),
        Endpoint("POST", "/api/v5/trade/cancel-algos", cancel, needs="trade"),
        Endpoint("GET", "/api/v5/trade/order-algo", get_algo),
        Endpoint("GET", "/api/v5/trade/orders-algo-pending", pending),
        Endpoint("GET", "/api/v5/trade/orders-algo-history", history),
    ]
