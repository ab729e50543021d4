"""Bybit v5 JSON for the engine's records: instruments, orders, executions, wallet coins.

The engine keeps Binance's vocabulary (BUY/SELL, LIMIT_MAKER, STOP_LOSS_LIMIT, PARTIALLY_FILLED
...); this module says the same things in Bybit's words. Numbers travel as plain decimal strings
("0.001", never "1E-3"), absent values as "" (Bybit's habit, which ccxt reads as missing).
Spot rows never carry `tpslMode`: ccxt takes a row with that key for a contract.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tradeguard.sim.records import Balance, SimOrder, SimTrade, SymbolSpec

Json = dict[str, Any]
ZERO = Decimal(0)

SIDES = {"BUY": "Buy", "SELL": "Sell"}
STOP_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
MARKET_TYPES = frozenset({"MARKET", "STOP_LOSS", "TAKE_PROFIT"})


def num(value: Decimal) -> str:
    """A plain decimal string without exponent or trailing zeros: 0.00100 -> "0.001"."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def opt(value: Decimal) -> str:
    """A number that is absent when zero (trigger prices, averages): "" as Bybit sends."""
    return "" if value == 0 else num(value)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def instrument(spec: SymbolSpec) -> Json:
    """One row of GET /v5/market/instruments-info?category=spot, from the engine's rules."""
    return {
        "symbol": spec.symbol,
        "baseCoin": spec.base,
        "quoteCoin": spec.quote,
        "innovation": "0",
        "status": "Trading" if spec.status == "TRADING" else "Closed",
        "marginTrading": "none",
        "stTag": "0",
        "lotSizeFilter": {
            "basePrecision": num(spec.step_size),
            "quotePrecision": num(Decimal(1).scaleb(-spec.quote_precision)),
            "minOrderQty": num(spec.min_qty),
            "maxOrderQty": num(spec.max_qty),
            "minOrderAmt": num(spec.min_notional),
            "maxOrderAmt": num(spec.max_notional),
        },
        "priceFilter": {"tickSize": num(spec.tick_size)},
        "riskParameters": {"priceLimitRatioX": "0.05", "priceLimitRatioY": "0.05"},
    }


def order_status(o: SimOrder) -> str:
    """Bybit's orderStatus for the engine's order."""
    status = o.status
    if status == "NEW":
        return "New" if o.is_working else "Untriggered"
    if status == "PARTIALLY_FILLED":
        return "PartiallyFilled"
    if status == "FILLED":
        return "Filled"
    if status == "REJECTED":
        return "Rejected"
    # CANCELED, EXPIRED (an IOC/FOK remainder), EXPIRED_IN_MATCH: Bybit spot says whether
    # anything had filled.
    return "PartiallyFilledCanceled" if o.executed_qty > 0 else "Cancelled"


def order_type(binance_type: str) -> str:
    return "Market" if binance_type in MARKET_TYPES else "Limit"


def time_in_force(o: SimOrder) -> str:
    if o.type == "LIMIT_MAKER":
        return "PostOnly"
    if o.type in MARKET_TYPES:
        return "IOC"
    return o.time_in_force or "GTC"


def market_unit(o: SimOrder) -> tuple[str, Decimal]:
    """(marketUnit, qty) as Bybit shows a market order: a buy sized in quote shows its quote
    amount with no unit (Bybit's default for market buys), a sell sized in quote says so."""
    if o.type != "MARKET":
        return "", o.orig_qty
    if o.orig_quote_order_qty > 0:
        return (
            ("", o.orig_quote_order_qty)
            if o.side == "BUY"
            else (
                "quoteCoin",
                o.orig_quote_order_qty,
            )
        )
    return ("baseCoin", o.orig_qty) if o.side == "BUY" else ("", o.orig_qty)


def trigger_direction(o: SimOrder) -> int:
    """Which way the price crosses a stop's trigger: 1 rising to it, 2 falling to it (0: not
    a stop). A sell's stop-loss falls to it and its take-profit rises; a buy's the reverse."""
    if o.type not in STOP_TYPES:
        return 0
    rises = o.type.startswith("TAKE_PROFIT") == (o.side == "SELL")
    return 1 if rises else 2


def order_row(o: SimOrder, fees: dict[str, Decimal]) -> Json:
    """One order as GET /v5/order/realtime and /history list it (and the `order` topic)."""
    unit, qty = market_unit(o)
    open_ = o.status in ("NEW", "PARTIALLY_FILLED")
    leaves = o.orig_qty - o.executed_qty if open_ else ZERO
    avg = o.cummulative_quote_qty / o.executed_qty if o.executed_qty else ZERO
    return {
        "orderId": str(o.order_id),
        "orderLinkId": o.client_order_id,
        "blockTradeId": "",
        "symbol": o.symbol,
        "price": num(o.price),
        "qty": num(qty),
        "side": SIDES[o.side],
        "isLeverage": "0",
        "positionIdx": 0,
        "orderStatus": order_status(o),
        "cancelType": "CancelByUser" if o.status == "CANCELED" else "UNKNOWN",
        "rejectReason": "EC_NoError",
        "avgPrice": opt(avg),
        "leavesQty": num(leaves),
        "leavesValue": num(leaves * o.price),
        "cumExecQty": num(o.executed_qty),
        "cumExecValue": num(o.cummulative_quote_qty),
        "cumExecFee": num(sum(fees.values(), ZERO)),
        "cumFeeDetail": {asset: num(fee) for asset, fee in fees.items()},
        "timeInForce": time_in_force(o),
        "orderType": order_type(o.type),
        "stopOrderType": "Stop" if o.type in STOP_TYPES else "",
        "orderIv": "",
        "marketUnit": unit,
        "triggerPrice": opt(o.stop_price),
        "takeProfit": "",
        "stopLoss": "",
        "tpTriggerBy": "",
        "slTriggerBy": "",
        "triggerDirection": trigger_direction(o),
        "triggerBy": "LastPrice" if o.type in STOP_TYPES else "",
        "lastPriceOnCreated": "",
        "reduceOnly": False,
        "closeOnTrigger": False,
        "placeType": "",
        "smpType": "None",
        "smpGroup": 0,
        "smpOrderId": "",
        "createdTime": str(o.time),
        "updatedTime": str(o.update_time),
    }


def execution_row(t: SimTrade, o: SimOrder, fee_rate: Decimal) -> Json:
    """One fill as GET /v5/execution/list lists it (and the `execution` topic pushes it)."""
    return {
        "symbol": t.symbol,
        "orderId": str(t.order_id),
        "orderLinkId": o.client_order_id,
        "side": "Buy" if t.is_buyer else "Sell",
        "orderPrice": num(o.price),
        "orderQty": num(o.orig_qty),
        "leavesQty": num(o.orig_qty - o.executed_qty),
        "createType": "CreateByUser",
        "orderType": order_type(o.type),
        "stopOrderType": "Stop" if o.type in STOP_TYPES else "",
        "execFee": num(t.commission),
        "feeCurrency": t.commission_asset,
        "execId": str(t.id),
        "execPrice": num(t.price),
        "execQty": num(t.qty),
        "execType": "Trade",
        "execValue": num(t.quote_qty),
        "execTime": str(t.time),
        "isMaker": t.is_maker,
        "feeRate": num(fee_rate),
        "tradeIv": "",
        "markIv": "",
        "markPrice": "",
        "indexPrice": "",
        "underlyingPrice": "",
        "blockTradeId": "",
        "closedSize": "",
        "seq": t.id,
    }


def coin_row(asset: str, b: Balance) -> Json:
    """One coin of a UNIFIED wallet. `availableToWithdraw` is "" as on a unified account, so a
    client derives free from `walletBalance - locked`."""
    total = b.free + b.locked
    return {
        "coin": asset,
        "equity": num(total),
        "usdValue": "",
        "walletBalance": num(total),
        "free": "",
        "locked": num(b.locked),
        "spotHedgingQty": "0",
        "borrowAmount": "0",
        "availableToWithdraw": "",
        "accruedInterest": "0",
        "totalOrderIM": "0",
        "totalPositionIM": "0",
        "totalPositionMM": "0",
        "unrealisedPnl": "0",
        "cumRealisedPnl": "0",
        "bonus": "0",
        "marginCollateral": True,
        "collateralSwitch": True,
    }


def wallet(balances: dict[str, Balance]) -> Json:
    """The UNIFIED account's entry of GET /v5/account/wallet-balance (and the `wallet` topic)."""
    return {
        "accountType": "UNIFIED",
        "accountIMRate": "0",
        "accountMMRate": "0",
        "totalEquity": "",
        "totalWalletBalance": "",
        "totalMarginBalance": "",
        "totalAvailableBalance": "",
        "totalPerpUPL": "0",
        "totalInitialMargin": "0",
        "totalMaintenanceMargin": "0",
        "coin": [coin_row(asset, b) for asset, b in sorted(balances.items())],
    }
