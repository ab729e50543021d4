"""OKX's algo orders on spot, as far as the engine has them: `trigger` (stop and stop-limit)
and `iceberg`, with their query, pending list and cancel.

A trigger order becomes the engine's STOP_LOSS(_LIMIT) or TAKE_PROFIT(_LIMIT), whichever fires
when the last price crosses triggerPx from where it is now (orderPx "-1": at market). An iceberg
is a resting limit order showing szLimit at a time. The algoId is the engine's order id; OKX's
separate child ordId is not simulated. conditional/oco/move_order_stop/twap are refused (51000).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tradeguard.sim.okx import orders, wire
from tradeguard.sim.okx.errors import OkxReject, from_engine, param_error
from tradeguard.sim.okx.pipeline import Call, Endpoint
from tradeguard.sim.okx.rest_trade import outcome, page_limit
from tradeguard.sim.records import NewOrder, SimOrder, SymbolSpec
from tradeguard.sim.rejects import Reject

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.okx.state import OkxState


def algo_order(sim: Sim, req: object) -> tuple[SymbolSpec, NewOrder]:
    if not isinstance(req, dict):
        raise OkxReject("50002", "The body must be a JSON object")
    spec = orders.spec_for(sim, req.get("instId"))
    if orders.field(req, "tdMode", required=True) not in ("cash", "cross"):
        raise param_error("tdMode")
    side = orders.side_of(req)
    kind = orders.field(req, "ordType", required=True)
    size = orders.decimal(req, "sz", required=True)
    cl = orders.client_id(req, "algoClOrdId") or orders.client_id(req)
    if kind == "iceberg":
        return spec, NewOrder(
            symbol=spec.symbol,
            side=side,
            type="LIMIT",
            time_in_force="GTC",
            quantity=size,
            price=orders.decimal(req, "px") or orders.decimal(req, "pxLimit", required=True),
            iceberg_qty=orders.decimal(req, "szLimit", required=True),
            new_client_order_id=cl,
            new_order_resp_type="ACK",
        )
    if kind != "trigger":
        raise param_error("ordType")
    trigger = orders.decimal(req, "triggerPx", required=True)
    assert trigger is not None
    at_market = orders.field(req, "orderPx", required=True) == "-1"
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
        new_client_order_id=cl,
        new_order_resp_type="ACK",
    )


def algo_json(sim: Sim, state: OkxState, o: SimOrder) -> wire.Json:
    row = orders.order_json(sim, state, o)
    kind = row["ordType"]
    if kind == "trigger":
        done = "effective" if o.working_time >= 0 or row["state"] == "filled" else "live"
    else:
        done = "effective" if row["state"] == "filled" else "live"
    state_ = "canceled" if row["state"] == "canceled" else done
    return row | {
        "algoId": str(o.order_id),
        "algoClOrdId": row["clOrdId"],
        "triggerPx": wire.num(o.stop_price) if o.stop_price else "",
        "orderPx": ("-1" if o.type in ("STOP_LOSS", "TAKE_PROFIT") else row["px"])
        if kind == "trigger"
        else "",
        "szLimit": wire.num(o.iceberg_qty) if o.iceberg_qty else "",
        "state": state_,
        "actualSz": row["accFillSz"],
        "actualPx": row["avgPx"],
        "ordId": str(o.order_id) if state_ == "effective" else "",
    }


def endpoints(sim: Sim, state: OkxState) -> list[Endpoint]:
    def place(call: Call) -> object:
        req = call.body
        cl = (
            orders.field(req, "algoClOrdId") or orders.field(req, "clOrdId")
            if isinstance(req, dict)
            else None
        )
        row: dict[str, Any] = {"algoId": "", "clOrdId": cl or "", "algoClOrdId": cl or ""}
        row |= {"tag": "", "sCode": "0", "sMsg": "Order placed"}
        try:
            spec, new = algo_order(sim, req)
            try:
                placed = sim.engine.place_order(call.account, new, call.now_ms)
            except Reject as rej:
                raise from_engine(rej, spec, new.side, new.quantity) from None
        except OkxReject as rej:
            return outcome([row | {"sCode": rej.code, "sMsg": rej.msg}], single=True)
        if new.new_client_order_id is None:
            state.no_client_id.add((spec.symbol, placed.order.order_id))
        return [row | {"algoId": str(placed.order.order_id)}]

    def _find(call: Call, symbol: str | None, algo_id: str) -> SimOrder:
        for name in [symbol] if symbol is not None else list(sim.symbols()):
            try:
                return sim.engine.get_order(call.account, name, int(algo_id), None)
            except Reject:
                continue
        raise OkxReject("51603")

    def get_algo(call: Call) -> object:
        algo_id = call.text("algoId", required=True)
        assert algo_id is not None
        if not algo_id.isdigit():
            raise param_error("algoId")
        found = _find(call, None, algo_id)
        return [algo_json(sim, state, found)]

    def pending(call: Call) -> object:
        kinds = set((call.text("ordType", required=True) or "").split(","))
        inst = call.text("instId")
        symbols = [orders.spec_for(sim, inst).symbol] if inst else list(sim.symbols())
        rows = [
            algo_json(sim, state, o)
            for symbol in symbols
            for o in sim.engine.open_orders(call.account, symbol)
        ]
        out = [r for r in rows if r["ordType"] in kinds]
        out.sort(key=lambda r: -int(r["algoId"]))
        return out[: page_limit(call)]

    def cancel(call: Call) -> object:
        if not isinstance(call.body, list) or not call.body:
            raise OkxReject("50002", "The body must be a JSON array")
        rows = []
        for req in call.body:
            algo_id = req.get("algoId") if isinstance(req, dict) else None
            row = {"algoId": algo_id or "", "sCode": "0", "sMsg": ""}
            try:
                spec = orders.spec_for(sim, req.get("instId") if isinstance(req, dict) else None)
                if not isinstance(algo_id, str) or not algo_id.isdigit():
                    raise param_error("algoId")
                sim.engine.cancel_order(
                    call.account, spec.symbol, int(algo_id), None, None, call.now_ms
                )
            except OkxReject as rej:
                row |= {"sCode": rej.code, "sMsg": rej.msg}
            except Reject:
                row |= {"sCode": "51400", "sMsg": OkxReject("51400").msg}
            rows.append(row)
        return outcome(rows, single=False)

    return [
        Endpoint("POST", "/api/v5/trade/order-algo", place, needs="trade"),
        Endpoint("POST", "/api/v5/trade/cancel-algos", cancel, needs="trade"),
        Endpoint("GET", "/api/v5/trade/order-algo", get_algo),
        Endpoint("GET", "/api/v5/trade/orders-algo-pending", pending),
    ]
