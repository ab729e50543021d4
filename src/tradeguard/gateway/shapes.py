"""The session's orders, fills and balances as the JSON Binance Spot answers with.

Pure. Amounts are written as Binance writes them (fixed point, 8 decimals), ids as integers,
statuses as Binance's enum: the local ones a bot's client does not know are shown as the
exchange's nearest (PENDING_NEW is Binance's own; UNKNOWN is never shown, the gateway resolves
it first or answers -1007). Executed quantities are the larger of what the journal has booked
and what the exchange has reported, so a reply never shows less than the exchange said.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from tradeguard.events import OrderFilled
from tradeguard.model import Balance, OrderIntent, OrderStatus, OrderType, Side
from tradeguard.orders import Order

Json = dict[str, Any]
NO_LIST = -1  # orderListId of an order in no list
STP_MODE = "EXPIRE_MAKER"  # the simulator's and Binance's default self-trade prevention

_SHOWN_STATUS = {
    OrderStatus.PENDING_CANCEL: "NEW",  # the cancel is in flight; Binance shows NEW until done
    OrderStatus.UNKNOWN: "PENDING_NEW",
}


def amount(value: Decimal | None) -> str:
    """Binance's notation: 8 decimals, "0.00000000" for nothing."""
    return f"{(value or Decimal(0)):.8f}"


def status(order: Order) -> str:
    return _SHOWN_STATUS.get(order.status, order.status.value)


def executed(order: Order) -> Decimal:
    return max(order.executed_qty, order.reported_qty)


def kind_of(order: Order, intent: OrderIntent | None) -> str:
    if intent is not None and intent.post_only and order.type is OrderType.LIMIT:
        return OrderType.LIMIT_MAKER.value
    return order.type.value


def tif_of(intent: OrderIntent | None) -> str:
    # Binance reports GTC for the kinds that take no time in force (MARKET, LIMIT_MAKER, ...)
    if intent is not None and intent.time_in_force is not None:
        return intent.time_in_force.value
    return "GTC"


def ack(order: Order, order_id: int, at_ms: int) -> Json:
    """newOrderRespType=ACK."""
    return {
        "symbol": order.symbol,
        "orderId": order_id,
        "orderListId": NO_LIST,
        "clientOrderId": order.client_order_id,
        "transactTime": at_ms,
    }


def result(order: Order, order_id: int, at_ms: int, intent: OrderIntent | None) -> Json:
    """newOrderRespType=RESULT: the order's state as the reply (and the fills booked) left it."""
    return ack(order, order_id, at_ms) | {
        "price": amount(order.price),
        "origQty": amount(order.qty),
        "executedQty": amount(executed(order)),
        "origQuoteOrderQty": amount(intent.quote_qty if intent else None),
        "cummulativeQuoteQty": amount(order.executed_quote),
        "status": status(order),
        "timeInForce": tif_of(intent),
        "type": kind_of(order, intent),
        "side": order.side.value,
        "workingTime": order.created_ms,
        "selfTradePreventionMode": STP_MODE,
    }


def full(order: Order, order_id: int, at_ms: int, intent: OrderIntent | None) -> Json:
    """newOrderRespType=FULL: RESULT and the fills booked for the order."""
    return result(order, order_id, at_ms, intent) | {"fills": [_fill(f) for f in order.fills]}


def _fill(fill: OrderFilled) -> Json:
    return {
        "price": amount(fill.price),
        "qty": amount(fill.qty),
        "commission": amount(fill.commission),
        "commissionAsset": fill.commission_asset or "",
        "tradeId": fill.trade_id,
    }


def queried(order: Order, order_id: int, intent: OrderIntent | None) -> Json:
    """GET /api/v3/order and openOrders: one order as Binance lists it."""
    return {
        "symbol": order.symbol,
        "orderId": order_id,
        "orderListId": NO_LIST,
        "clientOrderId": order.client_order_id,
        "price": amount(order.price),
        "origQty": amount(order.qty),
        "executedQty": amount(executed(order)),
        "cummulativeQuoteQty": amount(order.executed_quote),
        "status": status(order),
        "timeInForce": tif_of(intent),
        "type": kind_of(order, intent),
        "side": order.side.value,
        "stopPrice": amount(intent.stop_price if intent else None),
        "icebergQty": amount(intent.iceberg_qty if intent else None),
        "time": order.created_ms,
        "updateTime": order.updated_ms,
        "isWorking": order.is_open,
        "workingTime": order.created_ms,
        "origQuoteOrderQty": amount(intent.quote_qty if intent else None),
        "selfTradePreventionMode": STP_MODE,
    }


def cancelled(
    order: Order, order_id: int, cancel_id: str, at_ms: int, intent: OrderIntent | None
) -> Json:
    """DELETE /api/v3/order: the order as cancelled; `clientOrderId` is the cancel's own id."""
    return {
        "symbol": order.symbol,
        "origClientOrderId": order.client_order_id,
        "orderId": order_id,
        "orderListId": NO_LIST,
        "clientOrderId": cancel_id,
        "transactTime": at_ms,
        "price": amount(order.price),
        "origQty": amount(order.qty),
        "executedQty": amount(executed(order)),
        "cummulativeQuoteQty": amount(order.executed_quote),
        "status": status(order),
        "timeInForce": tif_of(intent),
        "type": kind_of(order, intent),
        "side": order.side.value,
        "selfTradePreventionMode": STP_MODE,
    }


def trade(fill: OrderFilled) -> Json:
    """GET /api/v3/myTrades: one fill the journal booked."""
    quote = fill.quote_qty if fill.quote_qty is not None else fill.price * fill.qty
    return {
        "symbol": fill.symbol,
        "id": fill.trade_id,
        "orderId": fill.order_id,
        "orderListId": NO_LIST,
        "price": amount(fill.price),
        "qty": amount(fill.qty),
        "quoteQty": amount(quote),
        "commission": amount(fill.commission),
        "commissionAsset": fill.commission_asset or "",
        "time": fill.exchange_ms or fill.at_ms,  # the exchange's trade time, where it gave one
        "isBuyer": fill.side is Side.BUY,
        "isMaker": fill.is_maker,
        "isBestMatch": True,
    }


def account(balances: Mapping[str, Balance], can_trade: bool, at_ms: int) -> Json:
    """GET /api/v3/account: the exchange's balances; canTrade False while the guard refuses
    every order (kill switch latched, read-only profile); canWithdraw always False here."""
    rates = {"maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000",
             "seller": "0.00000000"}  # fmt: skip
    return {
        "makerCommission": 10,
        "takerCommission": 10,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": rates,
        "canTrade": can_trade,
        "canWithdraw": False,
        "canDeposit": False,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": at_ms,
        "accountType": "SPOT",
        "balances": [
            {"asset": b.asset, "free": amount(b.free), "locked": amount(b.locked)}
            for b in sorted(balances.values(), key=lambda b: b.asset)
        ],
        "permissions": ["SPOT"],
        "uid": 0,
    }


def fills_of(orders: Iterable[Order], symbol: str) -> list[OrderFilled]:
    """Every fill booked for `symbol`'s orders, by trade id."""
    found = [f for o in orders if o.symbol == symbol for f in o.fills]
    return sorted(found, key=lambda f: f.trade_id)
