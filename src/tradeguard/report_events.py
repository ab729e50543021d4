"""What a REST answer about an order or a trade says, as journal events. Pure.

Queries (GET order, openOrders, myTrades) are one of the three sources of order news, beside
the placement reply and the user stream; their events carry `source="query"` so the journal
shows where each piece of knowledge came from.
"""

from __future__ import annotations

from tradeguard.events import OrderAdopted, OrderFilled, OrderSource, OrderUpdated
from tradeguard.model import Fill, OrderReport


def order_updated(
    report: OrderReport, at_ms: int, profile: str, source: OrderSource = "query"
) -> OrderUpdated:
    return OrderUpdated(
        at_ms=at_ms,
        profile=profile,
        exchange_ms=report.update_time_ms,
        client_order_id=report.client_order_id,
        symbol=report.symbol,
        status=report.status,
        source=source,
        order_id=report.order_id,
        executed_qty=report.executed_qty,
        quote_qty=report.cummulative_quote_qty,
        orig_qty=report.orig_qty or None,
    )


def order_adopted(
    report: OrderReport, base: str, quote: str, at_ms: int, profile: str
) -> OrderAdopted:
    return OrderAdopted(
        at_ms=at_ms,
        profile=profile,
        exchange_ms=report.update_time_ms,
        report=report,
        base_asset=base,
        quote_asset=quote,
    )


def trade_filled(
    trade: Fill, client_order_id: str | None, base: str, quote: str, at_ms: int, profile: str
) -> OrderFilled:
    exact = trade.price * trade.qty
    return OrderFilled(
        at_ms=at_ms,
        profile=profile,
        exchange_ms=trade.time_ms,
        client_order_id=client_order_id,
        order_id=trade.order_id,
        symbol=trade.symbol,
        base_asset=base,
        quote_asset=quote,
        side=trade.side,
        trade_id=trade.trade_id,
        price=trade.price,
        qty=trade.qty,
        commission=trade.commission,
        commission_asset=trade.commission_asset,
        is_maker=trade.is_maker,
        quote_qty=None if trade.quote_qty == exact else trade.quote_qty,
        source="query",
    )
