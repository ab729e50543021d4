"""OKX v5 JSON for the engine's records: instruments, orders, fills, balances.

The engine names pairs as Binance does ("BTCUSDT", base and quote on each `SymbolSpec`); OKX
names them "BTC-USDT". Every number goes out as a string, times as strings of ms, and an absent
value as "" (what OKX sends and ccxt reads as missing).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from tradeguard.sim.records import Balance, SimOrder, SimTrade, SymbolSpec

Json = dict[str, Any]
ZERO: Final = Decimal(0)

# Engine status -> OKX state.
STATES: Final[dict[str, str]] = {
    "NEW": "live",
    "PARTIALLY_FILLED": "partially_filled",
    "FILLED": "filled",
    "CANCELED": "canceled",
    "EXPIRED": "canceled",
    "EXPIRED_IN_MATCH": "canceled",
    "REJECTED": "canceled",
}


def num(x: Decimal) -> str:
    """A decimal as OKX writes it: no exponent, no trailing zeros ("0.001", "60000")."""
    if x == 0:
        return "0"
    text = f"{x:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def inst_id(spec: SymbolSpec) -> str:
    return f"{spec.base}-{spec.quote}"


def instrument(spec: SymbolSpec, list_time_ms: int) -> Json:
    """One GET /api/v5/public/instruments row, from the engine's filters.

    OKX publishes no minimum notional: the engine's NOTIONAL filter still applies (51020).
    """
    return {
        "instType": "SPOT",
        "instId": inst_id(spec),
        "uly": "",
        "instFamily": "",
        "baseCcy": spec.base,
        "quoteCcy": spec.quote,
        "settleCcy": "",
        "ctVal": "",
        "ctMult": "",
        "ctValCcy": "",
        "optType": "",
        "stk": "",
        "listTime": str(list_time_ms),
        "expTime": "",
        "lever": "",
        "tickSz": num(spec.tick_size),
        "lotSz": num(spec.step_size),
        "minSz": num(spec.min_qty),
        "ctType": "",
        "alias": "",
        "state": "live" if spec.status == "TRADING" else "suspend",
        "ruleType": "normal",
        "maxLmtSz": num(spec.max_qty),
        "maxMktSz": num(spec.max_notional),
        "maxLmtAmt": "",
        "maxMktAmt": "",
        "maxTwapSz": "",
        "maxIcebergSz": num(spec.max_qty),
        "maxTriggerSz": num(spec.max_qty),
        "maxStopSz": "",
    }


STOP_TYPES: Final = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})


def untriggered(o: SimOrder) -> bool:
    """A stop (an OKX conditional or trigger algo order) that has not placed its order yet:
    only the algo endpoints know it."""
    return o.type in STOP_TYPES and o.working_time < 0


# A triggered algo order places a regular order with an ordId of its own (OKX's ids are far
# apart): here the algo's engine id moved up by this much, so either names the other.
CHILD_ID_BASE: Final = 10**12


def placed_by_algo(o: SimOrder) -> bool:
    """A stop that triggered: the engine order now stands for the regular order it placed."""
    return o.type in STOP_TYPES and o.working_time >= 0


def ord_id(o: SimOrder) -> str:
    """The ordId the regular endpoints and the `orders` channel name an engine order by."""
    return str(o.order_id + CHILD_ID_BASE if placed_by_algo(o) else o.order_id)


def names_algo(o: SimOrder) -> bool:
    """An order an algo order placed (a stop's, once triggered; an iceberg's resting part) or
    that algo order itself: no clOrdId of its own, it names the algo by algoId, algoClOrdId."""
    return o.type in STOP_TYPES or o.iceberg_qty > 0


def engine_id(ord_id: int) -> int:
    """The engine's order id behind a regular ordId (a triggered algo's child: the algo's)."""
    return ord_id - CHILD_ID_BASE if ord_id >= CHILD_ID_BASE else ord_id


def ord_type(o: SimOrder) -> str:
    """The OKX ordType an engine order was placed as. A stop is an algo order ("trigger") until
    it triggers; then the order it placed, at market or at its limit."""
    if o.type == "LIMIT_MAKER":
        return "post_only"
    if o.type in ("MARKET", "STOP_LOSS", "TAKE_PROFIT"):
        return "trigger" if untriggered(o) else "market"
    if o.type != "LIMIT":
        return "trigger" if untriggered(o) else "limit"
    if o.iceberg_qty > 0:
        return "limit"  # an iceberg's resting part (the algo order is "iceberg": rest_algo)
    return {"IOC": "ioc", "FOK": "fok"}.get(o.time_in_force, "limit")


def order(o: SimOrder, spec: SymbolSpec, trades: list[SimTrade], cl_ord_id: str) -> Json:
    """GET /api/v5/trade/order's row for an engine order and its fills so far."""
    quote_sized = o.type == "MARKET" and o.orig_quote_order_qty > 0
    avg = o.cummulative_quote_qty / o.executed_qty if o.executed_qty else None
    fee = sum((t.commission for t in trades), ZERO)
    last = trades[-1] if trades else None
    return {
        "instType": "SPOT",
        "instId": inst_id(spec),
        "ordId": ord_id(o),
        # the order an algo order placed has no clOrdId: it names the algo's (algoClOrdId)
        "clOrdId": "" if names_algo(o) else cl_ord_id,
        "tag": "",
        "px": "" if o.type == "MARKET" or o.price == 0 else num(o.price),
        "sz": num(o.orig_quote_order_qty if quote_sized else o.orig_qty),
        "tgtCcy": "quote_ccy" if quote_sized else ("base_ccy" if o.type == "MARKET" else ""),
        "ordType": ord_type(o),
        # an order an algo order placed names it (the algoId is the engine's id)
        "algoId": str(o.order_id) if names_algo(o) else "",
        "algoClOrdId": cl_ord_id if names_algo(o) else "",
        "side": o.side.lower(),
        "posSide": "net",
        "tdMode": "cash",
        "accFillSz": num(o.executed_qty),
        "fillPx": "" if last is None else num(last.price),
        "fillSz": "" if last is None else num(last.qty),
        "fillTime": "" if last is None else str(last.time),
        "tradeId": "" if last is None else str(last.id),
        "avgPx": "" if avg is None else num(avg),
        "state": STATES.get(o.status, "canceled"),
        "fee": num(-fee),
        "feeCcy": last.commission_asset if last is not None else fee_ccy(o, spec),
        "rebate": "0",
        "rebateCcy": fee_ccy(o, spec),
        "category": "normal",
        "reduceOnly": "false",
        "stpMode": "cancel_maker",
        "cancelSource": "",
        "cTime": str(o.time),
        "uTime": str(o.update_time),
    }


def fee_ccy(o: SimOrder, spec: SymbolSpec) -> str:
    """The currency a fill's fee is charged in: what the order receives."""
    return spec.base if o.side == "BUY" else spec.quote


def fill(t: SimTrade, spec: SymbolSpec, o: SimOrder, cl_ord_id: str) -> Json:
    """One GET /api/v5/trade/fills-history row of order `o` (OKX reports a fee charged as
    negative; an algo order's fill is its child order's, which has no clOrdId)."""
    side = o.side
    return {
        "instType": "SPOT",
        "instId": inst_id(spec),
        "tradeId": str(t.id),
        "ordId": ord_id(o),
        "clOrdId": "" if names_algo(o) else cl_ord_id,
        "billId": str(t.id),
        "tag": "",
        "fillPx": num(t.price),
        "fillSz": num(t.qty),
        "side": side.lower(),
        "posSide": "net",
        "execType": "M" if t.is_maker else "T",
        "feeCcy": t.commission_asset,
        "fee": num(-t.commission),
        "ts": str(t.time),
        "fillTime": str(t.time),
    }


def balance_row(ccy: str, b: Balance, now_ms: int) -> Json:
    """One `details[]` row of GET /api/v5/account/balance (a spot-mode account: availEq "")."""
    total = b.free + b.locked
    return {
        "ccy": ccy,
        "eq": num(total),
        "cashBal": num(total),
        "availBal": num(b.free),
        "availEq": "",
        "frozenBal": num(b.locked),
        "ordFrozen": num(b.locked),
        "uTime": str(now_ms),
    }
