"""The page's rows as JSON-able data: a position with its basis and limit use, an order, a fill,
a point of the PnL curve, the promotion verdict. Pure. Money as plain-digit strings."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

from tradeguard import events as ev
from tradeguard.dashboard.pnl import BASIS, Book
from tradeguard.model import Symbol
from tradeguard.orders import Order
from tradeguard.stages import PromotionVerdict
from tradeguard.text import plain


class Limits(Protocol):
    """What the page shows of a profile's `profile.profiles.Limits` (a protocol: the profile
    module reads files and keys, and the view does no I/O)."""

    @property
    def max_order_notional(self) -> Decimal: ...
    @property
    def max_position_notional(self) -> Decimal: ...
    @property
    def max_open_orders(self) -> int: ...
    @property
    def max_orders_per_minute(self) -> int: ...
    @property
    def daily_loss(self) -> Decimal: ...
    @property
    def drawdown_from_peak(self) -> Decimal: ...
    @property
    def max_position(self) -> Mapping[Symbol, Decimal]: ...


def money(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def fill_row(seq: int, fill: ev.OrderFilled) -> dict[str, Any]:
    return {
        "seq": seq,
        "at_ms": fill.at_ms,
        "exchange_ms": fill.exchange_ms,
        "symbol": fill.symbol,
        "side": fill.side.value,
        "qty": plain(fill.qty),
        "price": plain(fill.price),
        "quote": plain(fill.quote),
        "fee": plain(fill.commission),
        "fee_asset": fill.commission_asset,
        "liquidity": "maker" if fill.is_maker else "taker",
        "trade_id": fill.trade_id,
        "order_id": fill.order_id,
        "client_order_id": fill.client_order_id,
        "source": fill.source,
    }


def curve_point(point: tuple[int, Decimal]) -> list[Any]:
    return [point[0], plain(point[1])]


def position_row(book: Book) -> dict[str, Any]:
    average = book.average
    return {
        "symbol": book.symbol,
        "base": book.base,
        "quote": book.quote,
        "qty": money(book.qty),
        "average_entry": money(average),
        "mark": money(book.mark),
        "mark_ms": book.mark_ms,
        "mark_basis": "last fill price",
        "realized_pnl": money(book.realized),
        "unrealized_pnl": money(book.unrealized),
        "fees_included": not book.fees_unvalued,
        "fees_unvalued": {a: money(v) for a, v in book.fees_unvalued.items()},
        "basis": BASIS,
        "fills": book.fills,
    }


def limit_use(book: Book, limits: Limits) -> dict[str, Any]:
    caps = {f"{s.base}{s.quote}": v for s, v in limits.max_position.items()}
    cap = caps.get(book.symbol)
    if cap is not None:
        return {"max_qty": money(cap), "used_qty": money(abs(book.qty))}
    notional = None if book.mark is None else abs(book.qty) * book.mark
    return {"max_notional": money(limits.max_position_notional), "used_notional": money(notional)}


def order_row(o: Order) -> dict[str, Any]:
    return {
        "client_order_id": o.client_order_id,
        "order_id": o.order_id,
        "symbol": o.symbol,
        "side": o.side.value,
        "type": o.type.value,
        "status": o.status.value,
        "price": money(o.price),
        "qty": money(o.qty),
        "filled": money(o.executed_qty),
        "created_ms": o.created_ms,
        "updated_ms": o.updated_ms,
    }


def promotion_row(verdict: PromotionVerdict) -> dict[str, Any]:
    return {
        "current": verdict.current,
        "allowed": verdict.allowed,
        "target": verdict.target,
        "checks": [
            {"rule": c.rule, "passed": c.passed, "figure": c.figure, "needed": c.needed}
            for c in verdict.checks
        ],
        "reasons": list(verdict.reasons),
        "needs_acknowledgement": verdict.needs_acknowledgement,
    }
