"""OKX's spot trade endpoints: place (batch and single), cancel, query by ordId or clOrdId,
pending and history lists, fills.

A failed order is not an HTTP error on OKX: the reply is HTTP 200 with top-level code "1" (all
failed) or "2" (some failed) and each entry's own sCode/sMsg, which ccxt reads to pick the
exception class. A query of an unknown order is {"code":"51603"}. A stop that has not triggered
is an algo order (rest_algo): these endpoints do not know it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tradeguard.sim.okx import orders, wire
from tradeguard.sim.okx.errors import OkxReject, from_engine, param_error
from tradeguard.sim.okx.pipeline import Call, Endpoint, Envelope
from tradeguard.sim.rejects import Reject

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.okx.state import OkxState
    from tradeguard.sim.records import SimOrder

MAX_BATCH = 20
PAGE_MAX = 100


def outcome(rows: list[dict[str, Any]], single: bool) -> object:
    """The envelope OKX puts around per-order results."""
    failed = [r for r in rows if r["sCode"] != "0"]
    if not failed:
        return rows
    if len(failed) == len(rows):
        return Envelope("1", "Operation failed." if single else "All operations failed", rows)
    return Envelope("2", "Batch operation partially succeeded", rows)


def _batch_cost(body: Any) -> int:
    return len(body) if isinstance(body, list) and body else 1


def page_limit(call: Call) -> int:
    text = call.text("limit")
    if text is None:
        return PAGE_MAX
    if not text.isdigit() or not 1 <= int(text) <= PAGE_MAX:
        raise param_error("limit")
    return int(text)


def _ms(call: Call, name: str) -> int | None:
    text = call.text(name)
    if text is not None and not text.isdigit():
        raise param_error(name)
    return None if text is None else int(text)


def _bill(call: Call, name: str) -> int | None:
    """fills-history pages by billId: `after` (older than) and `before` (newer than)."""
    text = call.text(name)
    if text is None:
        return None
    if not text.isdigit():
        raise param_error(name)
    return int(text)


def endpoints(sim: Sim, state: OkxState) -> list[Endpoint]:
    def place_one(call: Call, req: object) -> dict[str, Any]:
        cl = req.get("clOrdId") if isinstance(req, dict) else None
        tag = req.get("tag") if isinstance(req, dict) else None
        row: dict[str, Any] = {
            "clOrdId": cl if isinstance(cl, str) else "",
            "ordId": "",
            "tag": tag if isinstance(tag, str) else "",
            "ts": str(call.now_ms),
            "sCode": "0",
            "sMsg": "Order placed",
        }
        try:
            spec, new = orders.regular_order(sim, req)
            try:
                placed = sim.engine.place_order(call.account, new, call.now_ms)
            except Reject as rej:
                raise from_engine(rej, spec, new.side, new.quantity) from None
        except OkxReject as rej:
            return row | {"sCode": rej.code, "sMsg": rej.msg}
        if new.new_client_order_id is None:
            state.no_client_id.add((spec.symbol, placed.order.order_id))
        return row | {"ordId": str(placed.order.order_id)}

    def batch_orders(call: Call) -> object:
        if not isinstance(call.body, list) or not call.body:
            raise OkxReject("50002", "The body must be a JSON array of orders")
        if len(call.body) > MAX_BATCH:
            raise OkxReject("51000", f"Parameter orders error: at most {MAX_BATCH} per batch")
        return outcome([place_one(call, req) for req in call.body], single=False)

    def place_order(call: Call) -> object:
        return outcome([place_one(call, call.body)], single=True)

    def _ref(req: dict[str, Any]) -> tuple[str | None, str | None]:
        ord_id = orders.field(req, "ordId")
        cl = orders.field(req, "clOrdId")
        if ord_id is None and cl is None:
            raise param_error("ordId")
        if ord_id is not None and not ord_id.isdigit():
            raise param_error("ordId")
        return ord_id, cl

    def _regular(account: str, symbol: str, ord_id: str | None, cl: str | None) -> SimOrder:
        """The order the regular endpoints know by this ordId or clOrdId (Reject if none): not
        an untriggered algo order, and a triggered one only by its child's ordId."""
        engine_id = None if ord_id is None else wire.engine_id(int(ord_id))
        found = sim.engine.get_order(account, symbol, engine_id, cl)
        if wire.untriggered(found) or (ord_id is not None and wire.ord_id(found) != ord_id):
            raise Reject(-2011, "Unknown order sent.")
        if cl is not None and wire.names_algo(found):  # an algo's child has no clOrdId
            raise Reject(-2011, "Unknown order sent.")
        return found

    def cancel_order(call: Call) -> object:
        req = call.body
        if not isinstance(req, dict):
            raise OkxReject("50002", "The body must be a JSON object")
        row = {
            "clOrdId": req.get("clOrdId") or "",
            "ordId": req.get("ordId") or "",
            "ts": str(call.now_ms),
            "sCode": "0",
            "sMsg": "",
        }
        spec = orders.spec_for(sim, req.get("instId"))
        ord_id, cl = _ref(req)
        try:
            found = _regular(call.account, spec.symbol, ord_id, cl)
            done = sim.engine.cancel_order(
                call.account, spec.symbol, found.order_id, None, None, call.now_ms
            )
        except Reject:
            return outcome([row | {"sCode": "51400", "sMsg": OkxReject("51400").msg}], single=True)
        own = done.orig_client_order_id or ""
        row["ordId"] = wire.ord_id(found)
        child = wire.names_algo(found)  # an algo order's child: no clOrdId
        row["clOrdId"] = "" if child else state.cl_ord_id(spec.symbol, done.order_id, own)
        return [row]

    def get_order(call: Call) -> object:
        spec = orders.spec_for(sim, call.text("instId", required=True))
        ord_id, cl = _ref(dict(call.query))
        try:
            found = _regular(call.account, spec.symbol, ord_id, cl)
        except Reject:
            raise OkxReject("51603") from None
        return [orders.order_json(sim, state, found)]

    def _listed(call: Call) -> list[str]:
        inst = call.text("instId")
        if inst is not None:
            return [orders.spec_for(sim, inst).symbol]
        return list(sim.symbols())

    def pending(call: Call) -> object:
        kind = call.text("ordType")
        out = []
        for symbol in _listed(call):
            for o in sim.engine.open_orders(call.account, symbol):
                if wire.untriggered(o):
                    continue
                row = orders.order_json(sim, state, o)
                if kind is None or row["ordType"] == kind:
                    out.append(row)
        out.sort(key=lambda r: -int(r["ordId"]))  # newest first, as OKX lists them
        return out[: page_limit(call)]

    def history(call: Call) -> object:
        out = []
        for symbol in _listed(call):
            for o in sim.engine.all_orders(call.account, symbol, limit=orders.ALL):
                if wire.STATES.get(o.status) in ("filled", "canceled") and not wire.untriggered(o):
                    out.append(orders.order_json(sim, state, o))
        out.sort(key=lambda r: -int(r["uTime"]))
        return out[: page_limit(call)]

    def fills(call: Call) -> object:
        begin, end = _ms(call, "begin"), _ms(call, "end")
        ord_id = call.text("ordId")
        out = []
        for symbol in _listed(call):
            spec = sim.symbols()[symbol]
            for t in sim.engine.my_trades(call.account, symbol, limit=orders.ALL):
                if (begin is not None and t.time < begin) or (end is not None and t.time > end):
                    continue
                o = sim.engine.get_order(call.account, symbol, t.order_id, None)
                if ord_id is not None and wire.ord_id(o) != ord_id:
                    continue
                cl = state.cl_ord_id(symbol, o.order_id, o.client_order_id)
                out.append(wire.fill(t, spec, o, cl))
        out.sort(key=lambda r: -int(r["tradeId"]))
        after, before = _bill(call, "after"), _bill(call, "before")
        if after is not None:  # older than this billId: the next page back
            out = [r for r in out if int(r["billId"]) < after]
        if before is not None:  # newer than this billId
            out = [r for r in out if int(r["billId"]) > before]
        return out[: page_limit(call)]

    return [
        Endpoint(
            "POST", "/api/v5/trade/batch-orders", batch_orders, needs="trade", cost=_batch_cost
        ),
        Endpoint("POST", "/api/v5/trade/order", place_order, needs="trade"),
        Endpoint("POST", "/api/v5/trade/cancel-order", cancel_order, needs="trade"),
        Endpoint("GET", "/api/v5/trade/order", get_order),
        Endpoint("GET", "/api/v5/trade/orders-pending", pending),
        Endpoint("GET", "/api/v5/trade/orders-history", history),
        Endpoint("GET", "/api/v5/trade/fills", fills),
        Endpoint("GET", "/api/v5/trade/fills-history", fills),
    ]
