"""Many orders of one symbol by exchange order id, in as few requests as the ids allow.

A back-fill or a reconciliation on a fresh journal meets trades of orders the journal does not
know, often hundreds; one GET /api/v3/order each (weight 4) is a burst of requests at start,
the kind that ends in a 429 and an IP ban. GET /api/v3/allOrders (weight 20) returns up to
1,000 orders from an order id up, so a page starts at the smallest id still missing and skips
the gaps between them. A few ids are cheaper asked one by one; an id a page should have held
and did not (Binance archives some old orders) is asked by itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from tradeguard.errors import ExchangeError
from tradeguard.model import OrderReport
from tradeguard.venues.binance.client import BinanceTransport
from tradeguard.venues.binance.endpoints import ORDER_DOES_NOT_EXIST

PAGE = 1000
ONE_BY_ONE = 5  # up to this many ids, GET order each (4 weight each, under one page's 20)


async def orders_by_id(
    transport: BinanceTransport, symbol: str, order_ids: Iterable[int], *, max_requests: int = 50
) -> dict[int, OrderReport]:
    """The exchange's report of each order id it knows, within `max_requests` requests; ids it
    does not know, or not reached within the budget, are absent."""
    missing = sorted(set(order_ids))
    stray: list[int] = []  # ids a page covered and did not hold
    found: dict[int, OrderReport] = {}
    requests = 0
    while len(missing) > ONE_BY_ONE and requests < max_requests:
        page = await transport.all_orders(symbol, from_order_id=missing[0], limit=PAGE)
        requests += 1
        for report in page:
            found[report.order_id] = report
        # a full page reaches its last id; a short one reaches past every id asked for
        reached = page[-1].order_id if len(page) >= PAGE else None
        left = [i for i in missing if i not in found]
        stray += [i for i in left if reached is None or i <= reached]
        missing = [i for i in left if reached is not None and i > reached]
    for order_id in stray + missing:
        if requests >= max_requests:
            break
        requests += 1
        one = await _one(transport, symbol, order_id)
        if one is not None:
            found[order_id] = one
    return found


async def _one(transport: BinanceTransport, symbol: str, order_id: int) -> OrderReport | None:
    try:
        return await transport.get_order(symbol, order_id=order_id)
    except ExchangeError as exc:
        if exc.code == ORDER_DOES_NOT_EXIST:
            return None
        raise
