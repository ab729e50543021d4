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
    kind = str(order.get("type") or "limit").lower()
    stop = order.get("triggerPrice") or order.get("stopPrice") or order.get("stopLossPrice")
    market = "market" in kind or kind in ("stop-loss", "take-profit")
    if "take-profit" in kind or order.get("takeProfitPrice"):
        return OrderType.TAKE_PROFIT if market else OrderType.TAKE_PROFIT_LIMIT
    if stop or "stop" in kind:
        return OrderType.STOP_LOSS if market else OrderType.STOP_LOSS_LIMIT
    if market:
        return OrderType.MARKET
    return OrderType.LIMIT_MAKER if order.get("postOnly") else OrderType.LIMIT


def order_report(
    order: Raw, symbols: SymbolMap, ids: IdMap, *, client_order_id: str | None = None
) -> OrderReport:
    tif = order.get("timeInForce")
    stop = order.get("triggerPrice") or order.get("stopPrice")
    return OrderReport(
        symbol=symbols.to_compact(order.get("symbol")),
        order_id=ids.to_int(order["id"]),
        client_order_id=client_order_id or our_client_id(order.get("clientOrderId") or ""),
        side=Side.SELL if order.get("side") == "sell" else Side.BUY,
        type=type_of(order),
        status=status_of(order),
        price=dec(order.get("price")),
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
        commission=abs(dec(fee.get("cost"))),  # OKX's stream says a charge as negative
        commission_asset=fee.get("currency"),
        time_ms=int(trade.get("timestamp") or 0),
        is_maker=trade.get("takerOrMaker") == "maker",
    )
