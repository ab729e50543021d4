"""POST /api/v3/order/cancelReplace: cancel one order and place another on the same symbol.

Binance's rules (binance-spot-api-docs rest-api.md, "Cancel an Existing Order and Send a New
Order"; errors.md -2021/-2022), played with the engine's own cancel and place:

- the new order's parameters and filters are checked first; a malformed or filter-failing
  request is a plain error and nothing happens;
- the cancel runs first; with `cancelReplaceMode=STOP_ON_FAILURE` a failed cancel stops there
  (400 -2022, `newOrderResult` NOT_ATTEMPTED), with `ALLOW_FAILURE` the new order is tried
  anyway;
- both done: 200 `{"cancelResult","newOrderResult","cancelResponse","newOrderResponse"}`;
  one half failed: 409 -2021 "Order cancel-replace partially failed." with the same four
  fields under `data` (a failed half's response is its `{"code","msg"}`); both failed: 400
  -2022 "Order cancel-replace failed.";
- weight 1, one order against the order-rate limits, counted even when the new order was not
  attempted or failed. The engine emits the cancel's and the new order's executionReports as
  it does for DELETE and POST /api/v3/order.

`orderRateLimitExceededMode=CANCEL_ONLY` is accepted but played as DO_NOTHING: the pipeline
refuses with 429 -1015 before the handler runs when the order limits are full.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tradeguard.sim import wire
from tradeguard.sim.auth import Security
from tradeguard.sim.rejects import Reject
from tradeguard.sim.rest_params import Params
from tradeguard.sim.rest_pipeline import Call, Endpoint
from tradeguard.sim.rest_trade import order_ref, parse_new_order
from tradeguard.venues.binance import codes

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

PATH = "/api/v3/order/cancelReplace"
MODES = ("STOP_ON_FAILURE", "ALLOW_FAILURE")
CANCEL_RESTRICTIONS = {"ONLY_NEW": "NEW", "ONLY_PARTIALLY_FILLED": "PARTIALLY_FILLED"}
RATE_LIMIT_MODES = ("DO_NOTHING", "CANCEL_ONLY")
PARTIALLY_FAILED = -2021
FAILED = -2022

Json = dict[str, Any]


class ReplaceFailed(Reject):
    """-2021 (409) or -2022 (400) with both halves' results under `data`."""

    def __init__(self, code: int, data: Json) -> None:
        entry = codes.CODES[code]
        super().__init__(code, entry.msg, entry.http_status)
        self.data = data

    def body(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg, "data": self.data}


def _result(ok: bool | None) -> str:
    return "NOT_ATTEMPTED" if ok is None else "SUCCESS" if ok else "FAILURE"


def _data(cancel_ok: bool, cancel: Json, new_ok: bool | None, new: Json | None) -> Json:
    return {
        "cancelResult": _result(cancel_ok),
        "newOrderResult": _result(new_ok),
        "cancelResponse": cancel,
        "newOrderResponse": new,
    }


def endpoints(sim: Sim) -> list[Endpoint]:
    def cancel_half(call: Call, p: Params, symbol: str) -> tuple[bool, Json]:
        order_id, client_id = order_ref(p, "cancelOrderId", "cancelOrigClientOrderId")
        cancel_id = p.client_id("cancelNewClientOrderId")
        restriction = p.text("cancelRestrictions")
        if restriction is not None and restriction not in CANCEL_RESTRICTIONS:
            raise Reject(-1145, "Invalid cancelRestrictions")
        try:
            if restriction is not None:
                found = sim.engine.get_order(call.account, symbol, order_id, client_id)
                if found.status != CANCEL_RESTRICTIONS[restriction]:
                    raise Reject(-2011, codes.CANCEL_RESTRICTED)
            canceled = sim.engine.cancel_order(
                call.account, symbol, order_id, client_id, cancel_id, call.now_ms
            )
        except Reject as exc:
            if exc.code == -2013:  # the order is not there at all: a cancel says -2011
                return False, {"code": -2011, "msg": codes.UNKNOWN_ORDER}
            return False, exc.body()
        return True, wire.cancel_json(canceled)

    def cancel_replace(call: Call) -> object:
        p = call.params
        order = parse_new_order(p)
        mode = p.enum("cancelReplaceMode", MODES, -1130, required=True)
        p.enum("orderRateLimitExceededMode", RATE_LIMIT_MODES, -1130)
        # Filters are evaluated before the cancel: a new order that could never be placed
        # is refused outright, and the old order stays as it was.
        sim.engine.place_order(call.account, order, call.now_ms, test=True)
        cancel_ok, cancel_json = cancel_half(call, p, order.symbol)
        if not cancel_ok and mode == "STOP_ON_FAILURE":
            sim.ledger.count_order(call.account, call.now_ms)  # counted though not attempted
            raise ReplaceFailed(FAILED, _data(False, cancel_json, None, None))
        try:
            placed = sim.engine.place_order(call.account, order, call.now_ms)
            new_ok, new_json = True, wire.order_reply(placed)
        except Reject as exc:
            new_ok, new_json = False, exc.body()
        data = _data(cancel_ok, cancel_json, new_ok, new_json)
        if cancel_ok and new_ok:
            return data  # the pipeline counts the order on success
        sim.ledger.count_order(call.account, call.now_ms)
        raise ReplaceFailed(PARTIALLY_FAILED if cancel_ok or new_ok else FAILED, data)

    return [
        Endpoint("POST", PATH, cancel_replace, security=Security.TRADE, needs="trade", orders=1)
    ]
