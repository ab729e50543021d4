"""ccxt's unified orders and trades into tradeguard's `OrderReport` and `Fill`.

ccxt is run in string mode (`exchange.number = str`), so amounts and prices arrive as the
venue's decimal strings and become `Decimal` here, never through float.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeguard.model import Fill, OrderReport, OrderStatus, OrderType, Side, TimeInForce
from tradeguard.venues.ccxt.ids import IdMap, our_client_id, trade_int
from tradeguard.venues.ccxt.symbols import SymbolMap

ZERO = Decimal(0)
Raw = dict[str, Any]


def dec(value: object) -> Decimal:
    if value is None or value == "":
        return ZERO
    return Decimal(str(value))


# Venue statuses ccxt reports as "closed" though the order was cancelled after some fills:
# Bybit's spot PartiallyFilledCanceled (ccxt's bybit parse_order_status).
_CANCELLED_AFTER_FILLS = frozenset({"PartiallyFilledCanceled"})


def status_of(order: Raw) -> OrderStatus:
    status = order.get("status")
    filled = dec(order.get("filled"))
    if status == "open":
        return OrderStatus.PARTIALLY_FILLED if filled > ZERO else OrderStatus.NEW
    if status == "closed":
        raw = (order.get("info") or {}).get("orderStatus")
        return OrderStatus.CANCELED if raw in _CANCELLED_AFTER_FILLS else OrderStatus.FILLED
    if status == "canceled":
        return OrderStatus.CANCELED
    if status == "expired":
        return OrderStatus.EXPIRED
    if status == "rejected":
        return OrderStatus.REJECTED
    return OrderStatus.NEW  # None: only acknowledged (create_order's reply)


def type_of(order: Raw) -> OrderType:
    """The order's kind as the venue holds it. A stop and a take-profit differ in which way
    the price must cross the trigger; each venue says it its own way: Kraken by the order type
    ("take-profit"), OKX by which trigger a conditional order carries (tpTriggerPx, ccxt's
    takeProfitPrice), Bybit by the row's triggerDirection (1: rising to it) against the side."""
    kind = str(order.get("type") or "limit").lower()
    info = order.get("info") or {}
    trigger = order.get("triggerPrice") or order.get("stopPrice")
    stop = trigger or order.get("stopLossPrice") or "stop" in kind or kind in _TRIGGER_KINDS
    market = "market" in kind or kind in ("stop-loss", "take-profit") or _at_market(info)
    if "take-profit" in kind or order.get("takeProfitPrice") or _takes_profit(order, info):
        return OrderType.TAKE_PROFIT if market else OrderType.TAKE_PROFIT_LIMIT
    if stop:
        return OrderType.STOP_LOSS if market else OrderType.STOP_LOSS_LIMIT
    if market:
        return OrderType.MARKET
    return OrderType.LIMIT_MAKER if order.get("postOnly") else OrderType.LIMIT


_TRIGGER_KINDS = frozenset({"trigger", "conditional"})  # OKX's algo ordTypes, as ccxt keeps them
# OKX algo rows: the price the order goes out at once triggered, "-1" for at market
_ORDER_PRICES = ("ordPx", "slOrdPx", "tpOrdPx")


def _at_market(info: Raw) -> bool:
    return any(info.get(name) == "-1" for name in _ORDER_PRICES)


def _takes_profit(order: Raw, info: Raw) -> bool:
    """A trigger the price reaches by moving in the order's favour: rising for a sell, falling
    for a buy (Bybit's triggerDirection 1 = rising, 2 = falling)."""
    direction = str(info.get("triggerDirection") or "")
    if direction not in ("1", "2") or not order.get("triggerPrice"):
        return False
    return (direction == "1") == (order.get("side") == "sell")


def _limit_price(order: Raw) -> object:
    """The limit price: ccxt's `price`, or a conditional OKX order's slOrdPx / tpOrdPx."""
    if order.get("price"):
        return order.get("price")
    info = order.get("info") or {}
    for name in _ORDER_PRICES:
        if info.get(name) not in (None, "", "-1"):
            return info.get(name)
    return None


def order_report(
    order: Raw, symbols: SymbolMap, ids: IdMap, *, client_order_id: str | None = None
) -> OrderReport:
    tif = order.get("timeInForce")
    stop = (
        order.get("triggerPrice")
        or order.get("stopPrice")
        or order.get("stopLossPrice")
        or order.get("takeProfitPrice")
    )
    info = order.get("info") or {}
    client = order.get("clientOrderId") or info.get("algoClOrdId") or ""
    return OrderReport(
        symbol=symbols.to_compact(order.get("symbol")),
        order_id=ids.to_int(order["id"]),
        client_order_id=client_order_id or our_client_id(client),
        side=Side.SELL if order.get("side") == "sell" else Side.BUY,
        type=type_of(order),
        status=status_of(order),
        price=dec(_limit_price(order)),
        orig_qty=dec(order.get("amount")),
        executed_qty=dec(order.get("filled")),
        cummulative_quote_qty=dec(order.get("cost")),
        time_in_force=TimeInForce(tif) if tif in ("GTC", "IOC", "FOK") else None,
        stop_price=dec(stop) if stop else None,
        update_time_ms=order.get("lastUpdateTimestamp") or order.get("timestamp"),
    )


def trade_fill(trade: Raw, symbols: SymbolMap, ids: IdMap) -> Fill:
    fee = trade.get("fee") or {}
    price, qty = dec(trade.get("price")), dec(trade.get("amount"))
    info = trade.get("info") or {}
    client = info.get("orderLinkId") or info.get("clOrdId") or info.get("cl_ord_id")
    return Fill(
        symbol=symbols.to_compact(trade.get("symbol")),
        trade_id=trade_int(ids, trade),
        order_id=ids.to_int(trade["order"]),
        client_order_id=our_client_id(client) if client else None,
        side=Side.SELL if trade.get("side") == "sell" else Side.BUY,
        price=price,
        qty=qty,
        quote_qty=price * qty,
        commission=dec(
            fee.get("cost")
        ),  # ccxt's REST parsers: a charge positive, a rebate negative
        # Bybit names the fee's coin (feeCurrency) where ccxt guesses it from the fee's sign
        commission_asset=info.get("feeCurrency") or fee.get("currency"),
        time_ms=int(trade.get("timestamp") or 0),
        is_maker=trade.get("takerOrMaker") == "maker",
    )
