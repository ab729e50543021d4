"""The back-fill: what the exchange says happened while the user stream was away, as events.
I/O (the transport's REST calls); `UserStream` calls it after every subscription by default.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping

from tradeguard.errors import ExchangeError
from tradeguard.events import EventBase, OrderFilled
from tradeguard.model import OrderReport
from tradeguard.report_events import order_updated, trade_filled
from tradeguard.venues.binance.client import BinanceTransport
from tradeguard.venues.binance.endpoints import ORDER_DOES_NOT_EXIST
from tradeguard.venues.binance.order_lookup import orders_by_id
from tradeguard.venues.binance.userevents import Assets

__all__ = ["backfill"]


async def backfill(
    transport: BinanceTransport,
    symbols: Assets,
    last_trade_ids: Mapping[str, int],
    *,
    profile: str,
    at_ms: int | None = None,
    client_order_id_of: Callable[[str, int], str | None] | None = None,
    still_open: Iterable[tuple[str, str]] = (),
    max_order_lookups: int = 50,
) -> list[EventBase]:
    """What the exchange says happened, as events, to close a gap in the user stream.

    For each symbol: its trades after `last_trade_ids[symbol]` (the recent ones if none is
    known) as `OrderFilled(source="query")`, oldest first; then its open orders as
    `OrderUpdated(source="query")`; then, for each (symbol, client order id) in `still_open`
    that the exchange no longer lists as open, that order's final state. A trade's client order
    id comes from `client_order_id_of(symbol, order_id)` (the session's ledger), or from its
    open order, or is looked up (allOrders pages, at most `max_order_lookups` requests: see
    order_lookup); else None, and the ledger matches it by exchange order id.
    """
    at = transport.clock.wall_ms() if at_ms is None else at_ms
    fills: list[OrderFilled] = []
    updates: list[EventBase] = []
    open_ids: dict[tuple[str, int], str] = {}
    open_coids: set[tuple[str, str]] = set()
    for symbol, (base, quote) in symbols.items():
        for report in await transport.open_orders(symbol):
            open_ids[(symbol, report.order_id)] = report.client_order_id
            open_coids.add((symbol, report.client_order_id))
            updates.append(order_updated(report, at, profile))
        trades = await transport.trades_after(symbol, last_trade_ids.get(symbol))

        def known(order_id: int, symbol: str = symbol) -> str | None:
            coid = client_order_id_of(symbol, order_id) if client_order_id_of else None
            return coid if coid is not None else open_ids.get((symbol, order_id))

        unknown = {t.order_id for t in trades if known(t.order_id) is None}
        reports: dict[int, OrderReport] = {}
        if unknown:
            with contextlib.suppress(ExchangeError):
                reports = await orders_by_id(
                    transport, symbol, unknown, max_requests=max_order_lookups
                )
        for t in trades:
            coid = known(t.order_id)
            if coid is None and t.order_id in reports:
                coid = reports[t.order_id].client_order_id
            fills.append(trade_filled(t, coid, base, quote, at, profile))
    closed: list[EventBase] = []
    for symbol, coid in still_open:
        if (symbol, coid) in open_coids or symbol not in symbols:
            continue
        try:
            report = await transport.get_order(symbol, client_order_id=coid)
        except ExchangeError as exc:
            if exc.code == ORDER_DOES_NOT_EXIST:
                continue  # the exchange does not know it: the session resolves it
            raise
        closed.append(order_updated(report, at, profile))
    fills.sort(key=lambda e: (e.symbol, e.trade_id))
    return [*fills, *updates, *closed]
