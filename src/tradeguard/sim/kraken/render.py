"""Kraken JSON for the engine's records: asset pairs, assets, balances, orders, trades.

Numbers go out as strings (Kraken's REST does so), with the precision Kraken uses for each
field; times are seconds as floats. The engine charges commission as Binance does (a buyer
pays in the base asset, a seller in the quote), so an order's `oflags` says which: `fcib` on
buys, `fciq` on sells, the flags Kraken uses to name the fee currency.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from tradeguard.sim.kraken.names import Names, Pair, altname, asset_id
from tradeguard.sim.records import Balance, SimOrder, SimTrade, SymbolSpec

Json = dict[str, Any]
ZERO: Final = Decimal(0)

ORDER_TYPES: Final = {
    "LIMIT": "limit",
    "LIMIT_MAKER": "limit",
    "MARKET": "market",
    "STOP_LOSS": "stop-loss",
    "STOP_LOSS_LIMIT": "stop-loss-limit",
    "TAKE_PROFIT": "take-profit",
    "TAKE_PROFIT_LIMIT": "take-profit-limit",
}
OPEN_STATUSES: Final = ("NEW", "PARTIALLY_FILLED", "PENDING_NEW")
GENERATED_ID_LENGTH: Final = 22  # the engine's own client ids; no Kraken cl_ord_id is 22 alnum


def d8(x: Decimal) -> str:
    return f"{x:.8f}"


def plain(x: Decimal) -> str:
    """A decimal without exponent or trailing zeros ("40000.1", "0.001")."""
    text = f"{x.normalize():f}"
    return text


def decimals(step: Decimal) -> int:
    """How many decimals a tick or step allows (0.01 -> 2)."""
    return max(0, -step.normalize().as_tuple().exponent)  # type: ignore[operator]


def seconds(ms: int) -> float:
    return ms / 1000


def given_client_id(client_order_id: str) -> str | None:
    """The order's cl_ord_id if the client gave one (the engine invents 22-letter ids)."""
    generated = len(client_order_id) == GENERATED_ID_LENGTH and client_order_id.isalnum()
    return None if generated or not client_order_id else client_order_id


# ── market data ─────────────────────────────────────────────────────────────────────────────


def asset_pair_json(pair: Pair, maker: Decimal, taker: Decimal) -> Json:
    spec = pair.spec
    return {
        "altname": pair.altname,
        "wsname": pair.wsname,
        "aclass_base": "currency",
        "base": asset_id(spec.base),
        "aclass_quote": "currency",
        "quote": asset_id(spec.quote),
        "lot": "unit",
        "cost_decimals": decimals(spec.tick_size) + decimals(spec.step_size),
        "pair_decimals": decimals(spec.tick_size),
        "lot_decimals": decimals(spec.step_size),
        "lot_multiplier": 1,
        "leverage_buy": [],
        "leverage_sell": [],
        "fees": [[0, float(taker * 100)]],
        "fees_maker": [[0, float(maker * 100)]],
        "fee_volume_currency": "ZUSD",
        "margin_call": 80,
        "margin_stop": 40,
        "ordermin": plain(spec.min_qty),
        "costmin": plain(spec.min_notional),
        "tick_size": plain(spec.tick_size),
        "status": "online" if spec.status == "TRADING" else "cancel_only",
    }


def assets_json(specs: list[SymbolSpec]) -> Json:
    out: Json = {}
    for spec in specs:
        for code, places in ((spec.base, spec.base_precision), (spec.quote, spec.quote_precision)):
            out.setdefault(
                asset_id(code),
                {
                    "aclass": "currency",
                    "altname": altname(code),
                    "decimals": places,
                    "display_decimals": min(places, 5),
                    "status": "enabled",
                },
            )
    return out


def balance_ex_json(balances: dict[str, Balance]) -> Json:
    return {
        asset_id(code): {"balance": d8(b.free + b.locked), "hold_trade": d8(b.locked)}
        for code, b in sorted(balances.items())
    }


def balance_json(balances: dict[str, Balance]) -> Json:
    return {asset_id(code): d8(b.free + b.locked) for code, b in sorted(balances.items())}


# ── orders and trades ───────────────────────────────────────────────────────────────────────


def status(o: SimOrder) -> str:
    if o.status in OPEN_STATUSES:
        return "open"
    if o.status == "FILLED":
        return "closed"
    if o.status in ("EXPIRED", "EXPIRED_IN_MATCH") and o.executed_qty > 0:
        return "closed"  # an IOC that filled in part is closed, its rest dropped
    return "canceled"


def _prices(o: SimOrder) -> tuple[Decimal, Decimal]:
    """(descr.price, descr.price2): the trigger then the limit for stop types, else the limit."""
    if o.type in ("STOP_LOSS", "TAKE_PROFIT"):
        return o.stop_price, ZERO
    if o.type in ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"):
        return o.stop_price, o.price
    return o.price, ZERO


def sentence(o: SimOrder, pair: Pair) -> str:
    """descr.order, which ccxt splits on spaces: "<side> <vol> <pair> @ <type words> ..."."""
    head = f"{o.side.lower()} {d8(o.orig_qty)} {pair.altname} @ "
    kind = ORDER_TYPES[o.type]
    if kind == "market":
        return head + "market"
    if kind == "limit":
        return head + f"limit {plain(o.price)}"
    words = kind.replace("-limit", "").replace("-", " ")
    text = head + f"{words} {plain(o.stop_price)}"
    if kind.endswith("-limit"):
        text += f" -> limit {plain(o.price)}"
    return text


def oflags(o: SimOrder) -> str:
    flags = ["fcib" if o.side == "BUY" else "fciq"]
    if o.type == "LIMIT_MAKER":
        flags.append("post")
    if o.orig_quote_order_qty > 0:
        flags.append("viqc")
    return ",".join(flags)


def order_json(o: SimOrder, pair: Pair, fee: Decimal, trade_ids: list[str] | None = None) -> Json:
    price, price2 = _prices(o)
    average = o.cummulative_quote_qty / o.executed_qty if o.executed_qty > 0 else ZERO
    state = status(o)
    out: Json = {
        "refid": None,
        "userref": o.strategy_id,
        "status": state,
        "opentm": seconds(o.time),
        "starttm": 0,
        "expiretm": 0,
        "descr": {
            "pair": pair.altname,
            "type": o.side.lower(),
            "ordertype": ORDER_TYPES[o.type],
            "price": plain(price),
            "price2": plain(price2),
            "leverage": "none",
            "order": sentence(o, pair),
            "close": "",
        },
        "vol": d8(o.orig_qty),
        "vol_exec": d8(o.executed_qty),
        "cost": plain(o.cummulative_quote_qty),
        "fee": plain(fee),
        "price": plain(average),
        "stopprice": plain(o.stop_price),
        "limitprice": plain(o.price if o.type != "MARKET" else ZERO),
        "misc": "",
        "oflags": oflags(o),
        "timeinforce": o.time_in_force or "GTC",
    }
    client_id = given_client_id(o.client_order_id)
    if client_id is not None:
        out["cl_ord_id"] = client_id
    if o.iceberg_qty > 0:
        out["displayvol"] = d8(o.iceberg_qty)
    if state != "open":
        out["closetm"] = seconds(o.update_time)
        out["reason"] = None if state == "closed" else "User requested"
    if trade_ids is not None:
        out["trades"] = trade_ids
    return out


def trade_json(t: SimTrade, names: Names, order_type: str) -> Json:
    return {
        "ordertxid": names.order_txid(t.symbol, t.order_id),
        "postxid": names.trade_txid(t.symbol, t.id, not t.is_buyer),
        "pair": names.of(t.symbol).key,
        "time": seconds(t.time),
        "type": "buy" if t.is_buyer else "sell",
        "ordertype": ORDER_TYPES.get(order_type, "limit"),
        "price": plain(t.price),
        "cost": plain(t.quote_qty),
        "fee": plain(t.commission),
        "vol": d8(t.qty),
        "margin": "0.00000",
        "misc": "",
        "trade_id": t.id,
        "maker": t.is_maker,
    }
