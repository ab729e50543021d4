"""Bybit's spot order requests in the engine's terms, and finding orders the way Bybit names them.

POST /v5/order/create (category=spot) becomes a `NewOrder`:

    orderType Limit, timeInForce GTC/IOC/FOK      LIMIT with that timeInForce
    orderType Limit, timeInForce PostOnly         LIMIT_MAKER (one that would take: 170218)
    orderType Market, Buy                         quoteOrderQty = qty (Bybit's default unit for a
                                                  market buy), or quantity with marketUnit=baseCoin
    orderType Market, Sell                        quantity = qty, or quoteOrderQty with
                                                  marketUnit=quoteCoin
    orderFilter StopOrder or tpslOrder + triggerPrice
                                                  a stop: STOP_LOSS(_LIMIT) when the trigger is on
                                                  the losing side of the last price (above it for a
                                                  buy, below for a sell), else TAKE_PROFIT(_LIMIT)
    orderLinkId                                   the client id; one the account used before on any
                                                  order is refused (170141), as Bybit does

What Bybit spot has and the simulator does not (refused with 10001): attached take-profit /
stop-loss on an order, margin (isLeverage=1), a quote-sized market stop buy.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

from tradeguard.sim.bybit.errors import DUPLICATE_LINK_ID, BybitError, params_error, unknown_symbol
from tradeguard.sim.bybit.pipeline import Params
from tradeguard.sim.engine import Engine
from tradeguard.sim.records import NewOrder, SimOrder
from tradeguard.sim.rejects import Reject

LINK_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,36}")
SIDES: Final = {"Buy": "BUY", "Sell": "SELL"}
TIME_IN_FORCE: Final = ("GTC", "IOC", "FOK", "PostOnly")
STOP_FILTERS: Final = ("StopOrder", "tpslOrder")
UNSUPPORTED: Final = ("takeProfit", "stopLoss", "tpslMode", "slOrderType", "tpOrderType")


def check_category(p: Params) -> None:
    category = p.text("category")
    if category != "spot":
        raise params_error(
            f"category must be spot here (got {category!r}); the simulator is spot only"
        )


def symbol_of(p: Params, engine: Engine, required: bool = True) -> str | None:
    symbol = p.text("symbol")
    if symbol is None:
        if required:
            raise params_error("symbol is required")
        return None
    if symbol not in engine.symbols:
        raise unknown_symbol()
    return symbol


def link_id(p: Params) -> str | None:
    value = p.text("orderLinkId")
    if value is not None and not LINK_ID.fullmatch(value):
        raise params_error("orderLinkId must be 1-36 of A-Z a-z 0-9 _ -")
    return value


def _stop_type(buy: bool, trigger: Decimal, last: Decimal, limit: bool) -> str:
    losing = trigger > last if buy else trigger < last
    base = "STOP_LOSS" if losing else "TAKE_PROFIT"
    return f"{base}_LIMIT" if limit else base


def parse_create(p: Params, engine: Engine) -> NewOrder:
    """POST /v5/order/create's body as the engine's order: the format is checked here, what
    the order means (filters, funds) by the engine."""
    check_category(p)
    symbol = symbol_of(p, engine)
    assert symbol is not None
    side = SIDES.get(p.text("side") or "")
    if side is None:
        raise params_error("side must be Buy or Sell")
    kind = p.text("orderType")
    if kind not in ("Limit", "Market"):
        raise params_error("orderType must be Limit or Market")
    for name in UNSUPPORTED:
        if p.text(name) is not None:
            raise params_error(
                f"{name} (an order's attached TP/SL) is not supported by the simulator"
            )
    if p.flag("isLeverage"):
        raise params_error("isLeverage: margin trading is not supported by the simulator")
    qty = p.decimal("qty")
    if qty is None:
        raise params_error("qty is required")
    tif = p.text("timeInForce") or "GTC"
    if tif not in TIME_IN_FORCE:
        raise params_error("timeInForce must be GTC, IOC, FOK or PostOnly")
    order = NewOrder(symbol=symbol, side=side, type="LIMIT", new_client_order_id=link_id(p))
    buy = side == "BUY"
    trigger = p.decimal("triggerPrice")
    order_filter = p.text("orderFilter") or "Order"
    if order_filter not in ("Order", *STOP_FILTERS):
        raise params_error("orderFilter must be Order, StopOrder or tpslOrder")
    if (trigger is not None) != (order_filter in STOP_FILTERS):
        raise params_error(
            "a conditional order needs both orderFilter StopOrder/tpslOrder and triggerPrice"
        )
    if kind == "Limit":
        order.price = p.decimal("price")
        if order.price is None:
            raise params_error("price is required for a Limit order")
        order.quantity = qty
        if tif == "PostOnly":
            if trigger is not None:
                raise params_error("a conditional order cannot be PostOnly here")
            order.type = "LIMIT_MAKER"
        else:
            order.time_in_force = tif
    else:
        unit = p.text("marketUnit")
        in_quote = unit == "quoteCoin" if not buy else unit != "baseCoin"
        order.type = "MARKET"
        if in_quote:
            order.quote_order_qty = qty
        else:
            order.quantity = qty
    if trigger is not None:
        if order.type == "MARKET" and order.quantity is None:
            raise params_error("a market stop buy is sized in base here: send marketUnit=baseCoin")
        order.type = _stop_type(buy, trigger, engine.last_price(symbol), order.type == "LIMIT")
        order.stop_price = trigger
        if order.type.endswith("_LIMIT"):
            order.time_in_force = "GTC" if tif == "GTC" else tif
    return order


def find(
    engine: Engine, account: str, symbol: str | None, order_id: str | None, link: str | None
) -> SimOrder | None:
    """The order named by orderId or orderLinkId (on `symbol`, or on any symbol), or None."""
    symbols = [symbol] if symbol is not None else list(engine.symbols)
    if order_id is not None and not order_id.isdigit():
        return None
    for name in symbols:
        try:
            return engine.get_order(
                account, name, None if order_id is None else int(order_id), link
            )
        except Reject:
            continue
    return None


def refuse_reused_link_id(engine: Engine, account: str, link: str | None) -> None:
    """Bybit refuses an orderLinkId the account has used before, open or not (170141)."""
    if link is not None and find(engine, account, None, None, link) is not None:
        raise BybitError(DUPLICATE_LINK_ID)
