"""The engine's user events (Binance's executionReport and outboundAccountPosition) as Kraken's
WebSocket v2 `executions` and `balances` data, and the snapshots sent on subscribe.

Kraken's order of executions for an order: `pending_new`, `new`, then per fill a `trade`
(order_status partially_filled or filled), and when the order completes a separate `filled`;
`canceled` / `expired` end it otherwise. Each goes in its own message, as ccxt routes a whole
message by its first item's exec_type. Numbers are JSON numbers written from the decimals
(msgspec.Raw), never through float.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

import msgspec

from tradeguard.sim.kraken import render
from tradeguard.sim.kraken.names import Names
from tradeguard.sim.records import Balance, SimOrder, SimTrade

Json = dict[str, Any]
ZERO: Final = Decimal(0)
_STATUS: Final = {
    "NEW": "new",
    "PARTIALLY_FILLED": "partially_filled",
    "FILLED": "filled",
    "CANCELED": "canceled",
    "EXPIRED": "expired",
    "EXPIRED_IN_MATCH": "expired",
    "REJECTED": "canceled",
    "PENDING_NEW": "pending_new",
}
_EXEC_TYPES: Final = {"CANCELED": "canceled", "EXPIRED": "expired", "TRADE_PREVENTION": "expired"}


def num(x: Decimal | str) -> msgspec.Raw:
    return msgspec.Raw(render.plain(Decimal(x)).encode())


def rfc3339(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _order_fields(
    names: Names, symbol: str, order_id: int, client_id: str, userref: int | None
) -> Json:
    out: Json = {
        "order_id": names.order_txid(symbol, order_id),
        "symbol": names.of(symbol).ws_symbol,
        "order_userref": userref or 0,
    }
    given = render.given_client_id(client_id)
    if given is not None:
        out["cl_ord_id"] = given
    return out


def _cumulative(cum_qty: Decimal, cum_cost: Decimal) -> Json:
    out: Json = {"cum_qty": num(cum_qty), "cum_cost": num(cum_cost)}
    if cum_qty > 0:
        out["avg_price"] = num(cum_cost / cum_qty)
    return out


def executions(names: Names, report: Json) -> list[Json]:
    """Kraken execution items for one executionReport (each to go in its own message)."""
    symbol, order_id = report["s"], report["i"]
    base = _order_fields(names, symbol, order_id, report["c"], report.get("j"))
    if report["x"] == "CANCELED" and report.get("C"):
        base = _order_fields(names, symbol, order_id, report["C"], report.get("j"))
    cum = _cumulative(Decimal(report["z"]), Decimal(report["Z"]))
    when = rfc3339(report["E"])
    status = _STATUS.get(report["X"], "new")
    order_type = render.ORDER_TYPES.get(report["o"], "limit")
    x = report["x"]
    if x == "NEW":
        item: Json = (
            base
            | {
                "exec_id": names.order_txid(symbol, order_id).replace("O", "E", 1),
                "exec_type": "new",
                "order_status": "new",
                "side": report["S"].lower(),
                "order_type": order_type,
                "order_qty": num(report["q"]),
                "time_in_force": report["f"] or "GTC",
                "timestamp": when,
            }
            | cum
        )
        if Decimal(report["p"]) > 0:
            item["limit_price"] = num(report["p"])
        if Decimal(report["P"]) > 0:
            item["stop_price"] = num(report["P"])
        if report.get("o") == "LIMIT_MAKER":
            item["post_only"] = True
        if Decimal(report.get("F", "0")) > 0:
            item["display_qty"] = num(report["F"])
        return [base | {"exec_type": "pending_new", "order_status": "pending_new",
                        "timestamp": when}, item]  # fmt: skip
    if x == "TRADE":
        last_qty, last_price = Decimal(report["l"]), Decimal(report["L"])
        trade: Json = (
            base
            | {
                "exec_id": names.trade_txid(symbol, report["t"], report["S"] == "BUY"),
                "exec_type": "trade",
                "trade_id": report["t"],
                "side": report["S"].lower(),
                "order_type": order_type,
                "last_qty": num(last_qty),
                "last_price": num(last_price),
                "cost": num(last_qty * last_price),
                "liquidity_ind": "m" if report["m"] else "t",
                "order_status": "partially_filled" if status == "partially_filled" else "filled",
                "timestamp": when,
                "fees": [{"asset": report["N"] or "", "qty": num(report["n"])}],
            }
            | cum
        )
        out = [trade]
        if status == "filled":
            out.append(
                base | {"exec_type": "filled", "order_status": "filled", "timestamp": when} | cum
            )
        return out
    if x in _EXEC_TYPES:
        return [
            base | {"exec_type": _EXEC_TYPES[x], "order_status": status, "timestamp": when} | cum
        ]
    return []  # REJECTED, REPLACED: nothing a Kraken client would see


def ledger_entries(balances: list[Json], before: dict[str, Decimal], now_ms: int) -> list[Json]:
    """outboundAccountPosition's balances ("B": [{"a","f","l"}]) as balances-channel updates:
    one ledger entry per asset whose total moved since `before` (updated here), as Kraken
    sends one per completed transaction; a change of what orders hold moves no total and
    sends nothing. The engine's position says no cause: every entry is a spot `trade`."""
    out: list[Json] = []
    for b in balances:
        asset, total = b["a"], Decimal(b["f"]) + Decimal(b["l"])
        moved = total - before.get(asset, ZERO)
        before[asset] = total
        if moved == 0:
            continue
        out.append(
            {
                "ledger_id": f"LSIM-{now_ms}-{asset}",
                "ref_id": "",
                "timestamp": rfc3339(now_ms),
                "type": "trade",
                "asset": asset,
                "asset_class": "currency",
                "category": "trade",
                "wallet_type": "spot",
                "wallet_id": "main",
                "amount": num(moved),
                "fee": num(ZERO),
                "balance": num(total),
            }
        )
    return out


def balance_snapshot(balances: dict[str, Balance]) -> list[Json]:
    return [
        {
            "asset": code,
            "asset_class": "currency",
            "balance": num(b.free + b.locked),
            "wallets": [{"type": "spot", "id": "main", "balance": num(b.free + b.locked)}],
        }
        for code, b in sorted(balances.items())
    ]


def order_snapshot(names: Names, o: SimOrder) -> Json:
    item = (
        _order_fields(names, o.symbol, o.order_id, o.client_order_id, o.strategy_id)
        | {
            "exec_type": "new",
            "order_status": _STATUS.get(o.status, "new"),
            "side": o.side.lower(),
            "order_type": render.ORDER_TYPES[o.type],
            "order_qty": num(o.orig_qty),
            "time_in_force": o.time_in_force or "GTC",
            "timestamp": rfc3339(o.update_time),
        }
        | _cumulative(o.executed_qty, o.cummulative_quote_qty)
    )
    if o.price > 0:
        item["limit_price"] = num(o.price)
    if o.stop_price > 0:
        item["stop_price"] = num(o.stop_price)
    return item


def trade_snapshot(names: Names, t: SimTrade, order: SimOrder) -> Json:
    return _order_fields(names, t.symbol, t.order_id, order.client_order_id, order.strategy_id) | {
        "exec_id": names.trade_txid(t.symbol, t.id, t.is_buyer),
        "exec_type": "trade",
        "trade_id": t.id,
        "side": "buy" if t.is_buyer else "sell",
        "order_type": render.ORDER_TYPES[order.type],
        "last_qty": num(t.qty),
        "last_price": num(t.price),
        "cost": num(t.quote_qty),
        "liquidity_ind": "m" if t.is_maker else "t",
        "timestamp": rfc3339(t.time),
        "fees": [{"asset": t.commission_asset, "qty": num(t.commission)}],
    }
