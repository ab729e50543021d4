"""Reconciliation: the exchange's word adopted into the journal, never the other way round.

Run on start (a cold or warm restart), after every stream gap (the stream's `on_gap` hook), and
periodically. It asks the exchange for what it holds and returns the events that bring the
journal level with it, in the order they must be recorded:

1. open orders the journal does not know: `OrderAdopted` (placed by another tool, or before a
   crash that lost the journal's tail), with a `ReconciliationFound` saying so;
2. trades since the last trade id the journal booked, per symbol, as `OrderFilled` from
   `myTrades` (an order a trade belongs to that the journal does not know is adopted first);
3. the state of every order the journal holds open: from the open-order list, or by query
   when the exchange no longer lists it (it filled or was cancelled while we were away). An
   order in UNKNOWN is left to its resolver (resolve.py); an order the exchange has never
   heard of and the journal thought live is a finding;

and no fill is ever synthesised from an order's executed quantity. Balances are compared after
those events are recorded (`balance_findings`), so that fills in flight are not mistaken for a
mismatch; a mismatch beyond the tolerance is returned for the session to stop trading on, unless
the deposits and withdrawals read for it explain it (balance_moves.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from tradeguard.errors import OrderNotFound
from tradeguard.events import BalanceChanged, EventBase, OrderFilled, ReconciliationFound
from tradeguard.journal.replay import Ledger
from tradeguard.model import Balance, OrderStatus
from tradeguard.report_events import order_adopted, order_updated, trade_filled
from tradeguard.session.balance_moves import Explanation
from tradeguard.venues.protocol import Venue

Assets = Mapping[str, tuple[str, str]]  # exchange symbol -> (base asset, quote asset)


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far the journal's balance may be from the exchange's before trading stops."""

    absolute: Decimal = Decimal("0.00000001")
    relative: Decimal = Decimal("0.0001")

    def exceeded(self, expected: Decimal, actual: Decimal) -> bool:
        diff = abs(expected - actual)
        return diff > self.absolute and diff > abs(actual) * self.relative


def last_trade_ids(ledger: Ledger) -> dict[str, int]:
    """The highest trade id booked per symbol among the orders the ledger holds."""
    found: dict[str, int] = {}
    for order in ledger.orders.values():
        if order.max_trade_id >= 0 and order.max_trade_id > found.get(order.symbol, -1):
            found[order.symbol] = order.max_trade_id
    return found


async def reconcile(
    transport: Venue,
    ledger: Ledger,
    assets: Assets,
    *,
    profile: str,
    since_trade_ids: Mapping[str, int] | None = None,
) -> list[EventBase]:
    """The events that bring the journal level with the exchange (see the module text)."""
    at = transport.clock.wall_ms()
    out: list[EventBase] = []
    adopted: set[str] = set()
    known_ids: dict[tuple[str, int], str] = {}

    def knows(symbol: str, order_id: int, coid: str) -> bool:
        return (
            coid in adopted
            or ledger.order(coid) is not None
            or ledger.order_by_exchange_id(symbol, order_id) is not None
        )

    listed: dict[str, set[str]] = {}
    for symbol, (base, quote) in assets.items():
        listed[symbol] = set()
        for report in await transport.open_orders(symbol):
            listed[symbol].add(report.client_order_id)
            known_ids[(symbol, report.order_id)] = report.client_order_id
            if knows(symbol, report.order_id, report.client_order_id):
                out.append(order_updated(report, at, profile))
                continue
            adopted.add(report.client_order_id)
            out.append(
                _finding(
                    at,
                    profile,
                    "unknown_order",
                    report.client_order_id,
                    f"open on the exchange, not in the journal: {report.side} "
                    f"{report.orig_qty} {symbol} @ {report.price}; adopted",
                )
            )
            out.append(order_adopted(report, base, quote, at, profile))

    since = dict(since_trade_ids) if since_trade_ids is not None else last_trade_ids(ledger)
    for symbol, (base, quote) in assets.items():
        out.extend(
            await _trades_since(
                transport,
                ledger,
                symbol,
                base,
                quote,
                since.get(symbol),
                adopted,
                known_ids,
                at,
                profile,
            )
        )

    for order in list(ledger.orders.values()):
        if not order.is_open or order.symbol not in assets:
            continue
        if order.client_order_id in listed.get(order.symbol, set()):
            continue
        if order.status in (OrderStatus.UNKNOWN, OrderStatus.PENDING_NEW):
            continue  # its resolver asks by client order id, with -2013 patience
        try:
            report = await transport.get_order(order.symbol, client_order_id=order.client_order_id)
        except OrderNotFound:
            out.append(
                _finding(
                    at,
                    profile,
                    "missing_order",
                    order.client_order_id,
                    f"the journal holds {order.client_order_id} as {order.status}, the "
                    "exchange has no such order",
                )
            )
            continue
        out.append(order_updated(report, at, profile))
    return out


async def _trades_since(
    transport: Venue,
    ledger: Ledger,
    symbol: str,
    base: str,
    quote: str,
    last: int | None,
    adopted: set[str],
    known_ids: dict[tuple[str, int], str],
    at: int,
    profile: str,
) -> list[EventBase]:
    out: list[EventBase] = []
    trades = await transport.trades_after(symbol, last)

    def known(order_id: int) -> str | None:
        order = ledger.order_by_exchange_id(symbol, order_id)
        return order.client_order_id if order is not None else known_ids.get((symbol, order_id))

    # the orders of trades nobody here knows, as few requests as the venue allows
    reports = await transport.orders_by_id(
        symbol, {t.order_id for t in trades if known(t.order_id) is None}
    )
    for trade in trades:
        coid = known(trade.order_id)
        if coid is None:
            report = reports.get(trade.order_id)
            if report is None:  # not in any page: asked by itself, and its error is the answer
                report = await transport.get_order(symbol, order_id=trade.order_id)
            coid = report.client_order_id
            known_ids[(symbol, trade.order_id)] = coid
            if ledger.order(coid) is None and coid not in adopted:
                adopted.add(coid)
                out.append(
                    _finding(
                        at,
                        profile,
                        "unknown_order",
                        coid,
                        f"a trade of an order the journal does not know ({coid}); adopted",
                    )
                )
                out.append(order_adopted(report, base, quote, at, profile))
        out.append(trade_filled(trade, coid, base, quote, at, profile))
    out.sort(key=lambda e: e.trade_id if isinstance(e, OrderFilled) else -1)
    return out


def mismatched(
    ledger: Ledger, reported: Mapping[str, Balance], assets: Assets, tolerance: Tolerance
) -> list[str]:
    """The profile's assets whose journal balance is beyond tolerance of the exchange's."""
    return [
        asset
        for asset in _wanted(assets)
        if (held := ledger.balance(asset)) is not None
        and ledger.has_report(asset)
        and tolerance.exceeded(held.total, _reported(reported, asset).total)
    ]


def balance_findings(
    ledger: Ledger,
    reported: Mapping[str, Balance],
    assets: Assets,
    *,
    at_ms: int,
    profile: str,
    tolerance: Tolerance,
    explained: Mapping[str, Explanation] | None = None,
) -> tuple[list[EventBase], list[str]]:
    """Compare the journal's balances with the exchange's for the profile's assets; the
    events to record (findings, then the exchange's balances adopted) and the mismatches that
    exceed the tolerance (empty: all is well). `explained`: per asset, the deposits and
    withdrawals since its last report (balance_moves.py), added to the journal's balance; a
    mismatch they explain is a `balance_moved` finding, not a mismatch."""
    wanted = _wanted(assets)
    events: list[EventBase] = []
    beyond: list[str] = []
    for asset in wanted:
        actual = _reported(reported, asset)
        held = ledger.balance(asset)
        if held is None or not ledger.has_report(asset):
            continue  # never reported before: adopt without comparing
        if not tolerance.exceeded(held.total, actual.total):
            continue
        why = (explained or {}).get(asset)
        text = f"{asset}: the journal has {held.total}, the exchange {actual.total}"
        kind = "balance_mismatch"
        if why is not None:
            left = actual.total - held.total - why.delta
            readings = (held.total + why.delta, held.total + why.delta + why.fees)
            if (
                why.unread is None
                and why.moves
                and any(not tolerance.exceeded(r, actual.total) for r in readings)
            ):
                kind, text = "balance_moved", f"{text}; {why.describe()}; adopted"
            elif why.unread is None and why.moves:
                text = f"{text}; {why.describe()}, {left:+f} is left unexplained"
            else:
                text = f"{text}; {why.describe()}"
        if kind == "balance_mismatch":
            beyond.append(text)
        events.append(
            ReconciliationFound(
                at_ms=at_ms,
                profile=profile,
                kind=kind,
                detail=text,
                asset=asset,
                expected=held.total,
                actual=actual.total,
            )
        )
    balances = tuple(_reported(reported, a) for a in wanted)
    events.append(
        BalanceChanged(at_ms=at_ms, profile=profile, balances=balances, source="reconcile")
    )
    return events, beyond


def _wanted(assets: Assets) -> list[str]:
    return sorted({a for pair in assets.values() for a in pair})


def _reported(reported: Mapping[str, Balance], asset: str) -> Balance:
    return reported.get(asset, Balance(asset, Decimal(0), Decimal(0)))


def _finding(at: int, profile: str, kind: str, coid: str, detail: str) -> ReconciliationFound:
    return ReconciliationFound(
        at_ms=at, profile=profile, kind=kind, detail=detail, client_order_id=coid
    )
