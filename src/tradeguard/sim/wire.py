"""Binance JSON for the simulator's records: REST bodies and user/public stream payloads.

Decimals go out as strings with 8 decimal places, as Binance Spot sends them ("0.10000000");
times are integers in milliseconds; field order follows Binance's documented examples.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeguard.sim.filters import (
    DEFAULT_STP,
    MAX_ALGO_ORDERS,
    STP_MODES,
    TRAILING_MAX,
    TRAILING_MIN,
)
from tradeguard.sim.records import Balance, PlaceResult, SimOrder, SimTrade, SymbolSpec

Json = dict[str, Any]
ZERO = Decimal(0)


def d8(x: Decimal) -> str:
    return f"{x:.8f}"


def _conditional(o: SimOrder, out: Json) -> Json:
    """Fields Binance adds only when the order uses them."""
    if o.stop_price > 0 and "stopPrice" not in out:
        out["stopPrice"] = d8(o.stop_price)
    if o.iceberg_qty > 0 and "icebergQty" not in out:
        out["icebergQty"] = d8(o.iceberg_qty)
    if o.trailing_delta is not None:
        out["trailingDelta"] = o.trailing_delta
        if o.trailing_time is not None:
            out["trailingTime"] = o.trailing_time
    if o.strategy_id is not None:
        out["strategyId"] = o.strategy_id
    if o.strategy_type is not None:
        out["strategyType"] = o.strategy_type
    return out


def _result(o: SimOrder, transact_time: int) -> Json:
    return {
        "symbol": o.symbol,
        "orderId": o.order_id,
        "orderListId": o.order_list_id,
        "clientOrderId": o.client_order_id,
        "transactTime": transact_time,
        "price": d8(o.price),
        "origQty": d8(o.orig_qty),
        "executedQty": d8(o.executed_qty),
        "origQuoteOrderQty": d8(o.orig_quote_order_qty),
        "cummulativeQuoteQty": d8(o.cummulative_quote_qty),
        "status": o.status,
        "timeInForce": o.time_in_force,
        "type": o.type,
        "side": o.side,
        "workingTime": o.working_time,
        "selfTradePreventionMode": o.self_trade_prevention_mode,
    }


def fill_json(t: SimTrade) -> Json:
    return {
        "price": d8(t.price),
        "qty": d8(t.qty),
        "commission": d8(t.commission),
        "commissionAsset": t.commission_asset,
        "tradeId": t.id,
    }


def order_reply(result: PlaceResult) -> Json:
    """POST /api/v3/order body: ACK, RESULT or FULL as `result.resp_type` says."""
    o = result.order
    if result.resp_type == "ACK":
        return {
            "symbol": o.symbol,
            "orderId": o.order_id,
            "orderListId": o.order_list_id,
            "clientOrderId": o.client_order_id,
            "transactTime": o.time,
        }
    out = _conditional(o, _result(o, o.time))
    if result.resp_type == "FULL":
        out["fills"] = [fill_json(t) for t in result.fills]
    return out


def order_json(o: SimOrder) -> Json:
    """GET /api/v3/order, openOrders, allOrders."""
    return _conditional(
        o,
        {
            "symbol": o.symbol,
            "orderId": o.order_id,
            "orderListId": o.order_list_id,
            "clientOrderId": o.client_order_id,
            "price": d8(o.price),
            "origQty": d8(o.orig_qty),
            "executedQty": d8(o.executed_qty),
            "cummulativeQuoteQty": d8(o.cummulative_quote_qty),
            "status": o.status,
            "timeInForce": o.time_in_force,
            "type": o.type,
            "side": o.side,
            "stopPrice": d8(o.stop_price),
            "icebergQty": d8(o.iceberg_qty),
            "time": o.time,
            "updateTime": o.update_time,
            "isWorking": o.is_working,
            "workingTime": o.working_time,
            "origQuoteOrderQty": d8(o.orig_quote_order_qty),
            "selfTradePreventionMode": o.self_trade_prevention_mode,
        },
    )


def cancel_json(o: SimOrder) -> Json:
    """DELETE /api/v3/order: `clientOrderId` is the cancel's id, `origClientOrderId` the order's."""
    out: Json = {"symbol": o.symbol, "origClientOrderId": o.orig_client_order_id}
    body = _result(o, o.update_time)
    del body["symbol"], body["workingTime"]
    out.update(body)
    return _conditional(o, out)


def trade_json(t: SimTrade) -> Json:
    """GET /api/v3/myTrades."""
    return {
        "symbol": t.symbol,
        "id": t.id,
        "orderId": t.order_id,
        "orderListId": t.order_list_id,
        "price": d8(t.price),
        "qty": d8(t.qty),
        "quoteQty": d8(t.quote_qty),
        "commission": d8(t.commission),
        "commissionAsset": t.commission_asset,
        "time": t.time,
        "isBuyer": t.is_buyer,
        "isMaker": t.is_maker,
        "isBestMatch": True,
    }


def balances_json(b: dict[str, Balance]) -> list[Json]:
    """GET /api/v3/account "balances"."""
    return [{"asset": a, "free": d8(x.free), "locked": d8(x.locked)} for a, x in sorted(b.items())]


def symbol_json(
    s: SymbolSpec, *, cancel_replace_allowed: bool = True, oto_allowed: bool = True
) -> Json:
    """One exchangeInfo "symbols" entry with its filters."""
    return {
        "symbol": s.symbol,
        "status": s.status,
        "baseAsset": s.base,
        "baseAssetPrecision": s.base_precision,
        "quoteAsset": s.quote,
        "quotePrecision": s.quote_precision,
        "quoteAssetPrecision": s.quote_precision,
        "baseCommissionPrecision": s.base_precision,
        "quoteCommissionPrecision": s.quote_precision,
        "orderTypes": list(s.order_types),
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": oto_allowed,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": cancel_replace_allowed,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": d8(s.min_price),
                "maxPrice": d8(s.max_price),
                "tickSize": d8(s.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": d8(s.min_qty),
                "maxQty": d8(s.max_qty),
                "stepSize": d8(s.step_size),
            },
            {"filterType": "ICEBERG_PARTS", "limit": s.iceberg_parts},
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": d8(s.market_min_qty),
                "maxQty": d8(s.market_max_qty),
                "stepSize": d8(s.market_step_size),
            },
            {
                "filterType": "TRAILING_DELTA",
                "minTrailingAboveDelta": TRAILING_MIN,
                "maxTrailingAboveDelta": TRAILING_MAX,
                "minTrailingBelowDelta": TRAILING_MIN,
                "maxTrailingBelowDelta": TRAILING_MAX,
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": d8(s.min_notional),
                "applyMinToMarket": s.apply_min_to_market,
                "maxNotional": d8(s.max_notional),
                "applyMaxToMarket": s.apply_max_to_market,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": s.max_num_orders},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": MAX_ALGO_ORDERS},
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": DEFAULT_STP,
        "allowedSelfTradePreventionModes": list(STP_MODES),
    }


def depth_json(
    last_update_id: int, bids: list[tuple[Decimal, Decimal]], asks: list[tuple[Decimal, Decimal]]
) -> Json:
    """GET /api/v3/depth."""
    return {
        "lastUpdateId": last_update_id,
        "bids": [[d8(p), d8(q)] for p, q in bids],
        "asks": [[d8(p), d8(q)] for p, q in asks],
    }


def _list_orders(orders: list[SimOrder]) -> list[Json]:
    return [
        {"symbol": o.symbol, "orderId": o.order_id, "clientOrderId": o.client_order_id}
        for o in orders
    ]


def oco_reply(
    results: list[PlaceResult],
    list_client_order_id: str,
    transaction_time: int | None = None,
    kind: str = "OCO",
) -> Json:
    """POST /api/v3/orderList/oco (oto, otoco: `kind` "OTO"): the list, its orders, and one
    report per leg."""
    first = results[0].order
    return {
        "orderListId": first.order_list_id,
        "contingencyType": kind,
        "listStatusType": "EXEC_STARTED",
        "listOrderStatus": "EXECUTING",
        "listClientOrderId": list_client_order_id,
        "transactionTime": first.time if transaction_time is None else transaction_time,
        "symbol": first.symbol,
        "orders": _list_orders([r.order for r in results]),
        "orderReports": [_conditional(r.order, _result(r.order, r.order.time)) for r in results],
    }


def order_list_json(
    orders: list[SimOrder],
    list_client_order_id: str,
    transaction_time: int,
    *,
    canceled: bool,
    kind: str = "OCO",
) -> Json:
    """DELETE /api/v3/orderList (canceled=True, reports in the cancel shape) or the list's state."""
    first = orders[0]
    done = canceled or all(
        o.status not in ("NEW", "PARTIALLY_FILLED", "PENDING_NEW") for o in orders
    )
    out: Json = {
        "orderListId": first.order_list_id,
        "contingencyType": kind,
        "listStatusType": "ALL_DONE" if done else "EXEC_STARTED",
        "listOrderStatus": "ALL_DONE" if done else "EXECUTING",
        "listClientOrderId": list_client_order_id,
        "transactionTime": transaction_time,
        "symbol": first.symbol,
        "orders": _list_orders(orders),
    }
    if canceled:
        out["orderReports"] = [cancel_json(o) for o in orders]
    return out


# ── stream payloads ─────────────────────────────────────────────────────────────────────────
def execution_report(
    o: SimOrder,
    *,
    event_time: int,
    exec_type: str,
    on_book: bool,
    exec_id: int,
    last_qty: Decimal = ZERO,
    last_price: Decimal = ZERO,
    commission: Decimal | None = None,
    commission_asset: str | None = None,
    trade_id: int = -1,
    is_maker: bool = False,
    orig_client_order_id: str = "",
    stp: dict[str, int | Decimal] | None = None,
) -> Json:
    """The user stream's executionReport, with Binance's field set and order. `stp` adds the
    self-trade-prevention fields (v, A, B, U) to a TRADE_PREVENTION report."""
    out: Json = {
        "e": "executionReport",
        "E": event_time,
        "s": o.symbol,
        "c": o.client_order_id,
        "S": o.side,
        "o": o.type,
        "f": o.time_in_force,
        "q": d8(o.orig_qty),
        "p": d8(o.price),
        "P": d8(o.stop_price),
        "F": d8(o.iceberg_qty),
        "g": o.order_list_id,
        "C": orig_client_order_id,
        "x": exec_type,
        "X": o.status,
        "r": "NONE",
        "i": o.order_id,
        "l": d8(last_qty),
        "z": d8(o.executed_qty),
        "L": d8(last_price),
        "n": "0" if commission is None else d8(commission),
        "N": commission_asset,
        "T": o.update_time,
        "t": trade_id,
        "I": exec_id,
        "w": on_book,
        "m": is_maker,
        "M": False,
        "O": o.time,
        "Z": d8(o.cummulative_quote_qty),
        "Y": d8(last_qty * last_price),
        "Q": d8(o.orig_quote_order_qty),
        "W": o.working_time,
        "V": o.self_trade_prevention_mode,
    }
    if o.trailing_delta is not None:
        out["d"] = o.trailing_delta
        if o.trailing_time is not None:
            out["D"] = o.trailing_time
    if o.strategy_id is not None:
        out["j"] = o.strategy_id
    if o.strategy_type is not None:
        out["J"] = o.strategy_type
    if stp:
        for key, value in stp.items():
            out[key] = d8(value) if isinstance(value, Decimal) else value
    return out


def account_position(event_time: int, balances: list[tuple[str, Balance]]) -> Json:
    return {
        "e": "outboundAccountPosition",
        "E": event_time,
        "u": event_time,
        "B": [{"a": a, "f": d8(b.free), "l": d8(b.locked)} for a, b in balances],
    }


def balance_update(event_time: int, asset: str, delta: Decimal) -> Json:
    return {"e": "balanceUpdate", "E": event_time, "a": asset, "d": d8(delta), "T": event_time}


def list_status(
    orders: list[SimOrder],
    list_client_order_id: str,
    event_time: int,
    *,
    done: bool,
    kind: str = "OCO",
) -> Json:
    first = orders[0]
    return {
        "e": "listStatus",
        "E": event_time,
        "s": first.symbol,
        "g": first.order_list_id,
        "c": kind,
        "l": "ALL_DONE" if done else "EXEC_STARTED",
        "L": "ALL_DONE" if done else "EXECUTING",
        "r": "NONE",
        "C": list_client_order_id,
        "T": event_time,
        "O": [{"s": o.symbol, "i": o.order_id, "c": o.client_order_id} for o in orders],
    }
