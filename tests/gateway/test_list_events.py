"""An order list's listStatus told from its legs (pure): started once the exchange holds every
leg, again when an OTO's pending legs are placed, done once; an OCO is done the moment the
exchange expires one leg because the other triggered, while that one still works."""

from __future__ import annotations

from decimal import Decimal

from tradeguard.gateway.list_events import ListEvents, ListView
from tradeguard.model import OrderStatus, OrderType, Side
from tradeguard.orders import Order

S = OrderStatus


def _leg(coid: str, order_id: int | None, status: OrderStatus, side: Side = Side.SELL) -> Order:
    return Order(
        client_order_id=coid, symbol="BTCUSDT", side=side, type=OrderType.LIMIT,
        status=status, qty=Decimal("1"), order_id=order_id,
    )  # fmt: skip


def _said(events: ListEvents, kind: str, *legs: Order) -> list[str]:
    view = ListView(legs[0].order_id or -1, "L1", kind, list(legs))
    return [e["l"] for e in events.after(view, 2, 1)]


def test_an_oco_is_done_when_a_leg_expires_for_the_other_s_trigger() -> None:
    events = ListEvents()
    assert _said(events, "OCO", _leg("a", 5, S.NEW), _leg("b", None, S.PENDING_NEW)) == []
    assert _said(events, "OCO", _leg("a", 5, S.NEW), _leg("b", 6, S.NEW)) == ["EXEC_STARTED"]
    assert _said(events, "OCO", _leg("a", 5, S.NEW), _leg("b", 6, S.NEW)) == []
    # the stop triggered: the exchange expired the limit leg; the stop still works
    assert _said(events, "OCO", _leg("a", 5, S.EXPIRED), _leg("b", 6, S.NEW)) == ["ALL_DONE"]
    assert _said(events, "OCO", _leg("a", 5, S.EXPIRED), _leg("b", 6, S.FILLED)) == []
    assert events.remembered == 0


def test_an_oto_starts_again_when_its_pending_leg_is_placed_and_ends_with_it() -> None:
    events = ListEvents()
    working, pending = _leg("w", 5, S.NEW, Side.BUY), _leg("p", 6, S.PENDING_NEW)
    assert _said(events, "OTO", working, pending) == ["EXEC_STARTED"]
    working, pending = _leg("w", 5, S.FILLED, Side.BUY), _leg("p", 6, S.NEW)
    assert _said(events, "OTO", working, pending) == ["EXEC_STARTED"]
    assert _said(events, "OTO", working, _leg("p", 6, S.FILLED)) == ["ALL_DONE"]
