"""The engine's user events as OKX's private-channel pushes.

An executionReport becomes one `orders` channel row: the order as REST shows it at that moment,
plus the fill fields when the event is a trade (tradeId, fillPx, fillSz, fillTime, fillFee
negative for a charge as OKX sends it, execType M/T). A stop that has not triggered is an algo
order: its events go out on `orders-algo` instead (the row GET /trade/order-algo shows: live,
canceled), and so does its `effective` row once, when it fires (the engine's STOP_TRIGGERED);
the order it placed is `live` on `orders` then, under its own ordId, naming the algo by algoId
and algoClOrdId, and its fills follow there. An iceberg is an algo order of `algo-advance`:
each of its events goes out there as its algo row (live, its actualSz, effective, canceled),
and on `orders` as its resting part's row (a limit order naming the iceberg by algoId and
algoClOrdId). An outboundAccountPosition becomes one `account` channel row with the changed
currencies.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tradeguard.sim.okx import rest_algo, wire
from tradeguard.sim.records import STOP_TRIGGERED, Balance, SimOrder

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.okx.state import OkxState

ALL = 1_000_000


def live_iceberg(sim: Sim, state: OkxState, o: SimOrder) -> wire.Json | None:
    """An open iceberg's `algo-advance` row as it stands (None for any other order)."""
    if o.iceberg_qty <= 0 or o.symbol not in sim.symbols():
        return None
    o = copy.copy(o)
    o.client_order_id = state.cl_ord_id(o.symbol, o.order_id, o.client_order_id)
    return rest_algo.algo_json(sim, state, o)


def _order_then(p: dict[str, Any], account: str, cl: str) -> SimOrder:
    """The order as the event saw it (the engine's record may have moved on since)."""
    return SimOrder(
        account=account,
        symbol=p["s"],
        order_id=p["i"],
        client_order_id=cl,
        side=p["S"],
        type=p["o"],
        time_in_force=p["f"],
        price=Decimal(p["p"]),
        orig_qty=Decimal(p["q"]),
        executed_qty=Decimal(p["z"]),
        cummulative_quote_qty=Decimal(p["Z"]),
        status=p["X"],
        time=p["O"],
        update_time=p["T"],
        working_time=p["W"],
        is_working=p["w"],
        stop_price=Decimal(p["P"]),
        iceberg_qty=Decimal(p["F"]),
        orig_quote_order_qty=Decimal(p["Q"]),
    )


def algo_push(
    sim: Sim, state: OkxState, account: str, p: dict[str, Any]
) -> tuple[str, wire.Json] | None:
    """An engine event as an algo order's row and the channel OKX pushes it on: a stop's events
    until it fires and its firing (`effective`) on `orders-algo`, an iceberg's every event on
    `algo-advance`; None for any other event."""
    iceberg = Decimal(p["F"]) > 0
    if (p["o"] not in wire.STOP_TYPES and not iceberg) or p["s"] not in sim.symbols():
        return None
    then = _order_then(p, account, p["c"])
    if not iceberg and not wire.untriggered(then) and p["e"] != STOP_TRIGGERED:
        return None  # the order a fired stop placed speaks on `orders`
    own = p["C"] if p["x"] == "CANCELED" and p["C"] else p["c"]
    then.client_order_id = state.cl_ord_id(p["s"], p["i"], own)
    row = rest_algo.algo_json(sim, state, then)
    row["uTime"] = str(p["E"])
    return ("algo-advance" if iceberg else "orders-algo"), row


def order_row(sim: Sim, state: OkxState, account: str, p: dict[str, Any]) -> wire.Json | None:
    """An executionReport as an `orders` row; None for a symbol the engine no longer has and
    for an untriggered stop's (an algo order's: `algo_row`)."""
    spec = sim.symbols().get(p["s"])
    if spec is None or (p["o"] in wire.STOP_TYPES and p["W"] < 0):
        return None
    own = p["C"] if p["x"] == "CANCELED" and p["C"] else p["c"]
    cl = state.cl_ord_id(p["s"], p["i"], own)
    traded = p["x"] == "TRADE"
    trades = [
        t
        for t in sim.engine.my_trades(account, p["s"], order_id=p["i"], limit=ALL)
        if (t.id <= p["t"] if traded else t.time <= p["E"])
    ]
    row = wire.order(_order_then(p, account, cl), spec, trades, cl)
    row["code"] = "0"
    row["msg"] = ""
    row["amendResult"] = ""
    row["reqId"] = ""
    if traded:
        commission = Decimal(p["n"])
        row["fillFee"] = wire.num(-commission)
        row["fillFeeCcy"] = p["N"] or ""
        row["execType"] = "M" if p["m"] else "T"
        row["tradeId"] = str(p["t"])
        row["fillPx"] = wire.num(Decimal(p["L"]))
        row["fillSz"] = wire.num(Decimal(p["l"]))
        row["fillTime"] = str(p["T"])
    else:
        row.update(
            fillFee="0", fillFeeCcy="", execType="", tradeId="", fillPx="", fillSz="0", fillTime=""
        )
    row["uTime"] = str(p["E"])
    return row


def account_row(p: dict[str, Any]) -> wire.Json:
    """An outboundAccountPosition as an `account` row (the currencies that changed)."""
    now = p["E"]
    details = [
        wire.balance_row(b["a"], Balance(Decimal(b["f"]), Decimal(b["l"])), now) for b in p["B"]
    ]
    return {"uTime": str(now), "totalEq": "", "details": details}
