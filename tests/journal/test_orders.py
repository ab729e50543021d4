from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeguard import orders
from tradeguard.errors import DuplicateFill, InvalidTransition, Overfill
from tradeguard.events import OrderFilled, OrderUpdated
from tradeguard.model import OrderStatus as S
from tradeguard.orders import TRANSITIONS, Order, Trade

from .factories import fill, intent, update


def new(qty: str | None = "1") -> Order:
    return orders.new_order(intent(qty=qty).intent, 0)


def run(order: Order, *events: OrderUpdated | OrderFilled) -> Order:
    for event in events:
        order = orders.apply(order, event)
    return order


# ── the table ────────────────────────────────────────────────────────────────────────────────


def test_every_status_has_a_row_and_final_states_never_reopen() -> None:
    assert set(TRANSITIONS) == set(S)
    for status, row in TRANSITIONS.items():
        for incoming, target in row.items():
            if status.is_final:
                assert target == status, (status, incoming)
            assert isinstance(incoming, S | Trade)


def test_rejected_takes_no_fill_and_filled_cannot_be_cancelled() -> None:
    with pytest.raises(InvalidTransition):
        orders.next_status(S.REJECTED, Trade.PART)
    with pytest.raises(InvalidTransition):
        orders.next_status(S.FILLED, S.CANCELED)
    with pytest.raises(InvalidTransition):
        orders.next_status(S.NEW, S.REJECTED)


# ── lifecycles ───────────────────────────────────────────────────────────────────────────────


def test_intent_new_partial_filled() -> None:
    order = new()
    assert order.status is S.PENDING_NEW and order.symbol == "BTCUSDT"
    order = run(order, update(S.NEW, source="reply"))
    assert order.status is S.NEW and order.order_id == 7
    order = run(order, fill(1, "0.4", z="0.4"))
    assert order.status is S.PARTIALLY_FILLED and order.executed_qty == Decimal("0.4")
    order = run(order, fill(2, "0.6", z="1"))
    assert order.status is S.FILLED and order.executed_qty == 1
    assert order.executed_quote == Decimal("100.0") and [f.trade_id for f in order.fills] == [1, 2]


def test_fill_on_the_stream_before_the_rest_reply_and_a_late_new_is_ignored() -> None:
    order = run(new(), fill(1, "0.5", z="0.5"), update(S.NEW, source="reply"))
    assert order.status is S.PARTIALLY_FILLED


def test_unknown_outcome_then_resolved_and_a_late_unknown_is_stale() -> None:
    order = run(new(), update(S.UNKNOWN, source="local"))
    assert order.status is S.UNKNOWN
    order = run(order, update(S.NEW, source="query"))
    assert order.status is S.NEW
    assert run(order, update(S.UNKNOWN, source="local")).status is S.NEW


def test_a_refused_cancel_goes_back_to_what_the_order_is() -> None:
    order = run(
        new(), update(S.NEW), fill(1, "0.5", z="0.5"), update(S.PENDING_CANCEL, source="local")
    )
    assert order.status is S.PENDING_CANCEL
    assert run(order, update(S.NEW, source="query")).status is S.PARTIALLY_FILLED
    assert run(order, fill(2, "0.5", z="1")).status is S.FILLED


def test_fill_after_cancel_is_booked_and_the_order_stays_cancelled() -> None:
    order = run(new(), update(S.NEW), update(S.CANCELED, z="0.3"))
    assert order.missing_qty == Decimal("0.3")
    order = run(order, fill(1, "0.3", z="0.3"))
    assert order.status is S.CANCELED and order.executed_qty == Decimal("0.3")
    assert order.missing_qty == 0


def test_reported_cumulative_ahead_of_fills_is_missing_not_made_up() -> None:
    order = run(new(), update(S.NEW), fill(2, "0.2", z="0.5"))
    assert order.executed_qty == Decimal("0.2") and order.missing_qty == Decimal("0.3")
    order = run(order, fill(1, "0.3", z="0.3"))  # the earlier fill arrives late
    assert order.executed_qty == Decimal("0.5") and order.missing_qty == 0


def test_market_order_by_quote_amount_learns_its_quantity() -> None:
    order = run(new(qty=None), update(S.NEW, orig_qty="2"))
    assert order.qty == 2
    with pytest.raises(Overfill):
        run(order, fill(1, "2.5"))


# ── refusals ─────────────────────────────────────────────────────────────────────────────────


def test_duplicate_fill_strict_and_lenient() -> None:
    order = run(new(), update(S.NEW), fill(1, "0.4", z="0.4"))
    with pytest.raises(DuplicateFill):
        orders.apply(order, fill(1, "0.4", z="0.4"))
    same, was_new = orders.book_fill(order, fill(1, "0.4", z="0.4"))
    assert same is order and not was_new
    with pytest.raises(DuplicateFill, match="reported again"):
        orders.book_fill(order, fill(1, "0.5", z="0.5"))


def test_overfill_against_the_order_quantity() -> None:
    order = run(new(), update(S.NEW), fill(1, "0.7"))
    with pytest.raises(Overfill, match="above its quantity"):
        orders.apply(order, fill(2, "0.4"))


def test_cumulative_quantity_read_as_a_fills_own_is_an_overfill() -> None:
    # fills of 0.2 each: a parser that put z into l books 0.2, then 0.4 against z = 0.4
    order = run(new("2"), update(S.NEW), fill(1, "0.2", z="0.2"))
    with pytest.raises(Overfill, match=r"reports 0\.4 filled"):
        orders.apply(order, fill(2, "0.4", z="0.4"))


def test_exchange_reporting_more_than_the_quantity_is_an_overfill() -> None:
    with pytest.raises(Overfill):
        run(new(), update(S.PARTIALLY_FILLED, z="1.5"))


def test_malformed_fills_and_mismatched_ids_are_refused() -> None:
    order = run(new(), update(S.NEW))
    with pytest.raises(InvalidTransition, match="above cumulative"):
        orders.apply(order, fill(1, "0.5", z="0.2"))
    with pytest.raises(InvalidTransition, match="quantity 0"):
        orders.apply(order, fill(1, "0"))
    with pytest.raises(InvalidTransition, match="exchange order 8"):
        orders.apply(order, fill(1, "0.5", order_id=8))
    with pytest.raises(InvalidTransition):
        run(new(), update(S.REJECTED), fill(1, "0.1"))


# ── properties ───────────────────────────────────────────────────────────────────────────────


@st.composite
def deliveries(
    draw: st.DrawFn,
) -> tuple[Decimal, list[Decimal], S, list[OrderUpdated | OrderFilled]]:
    """What the exchange did to one order, and one way it could have reached us: reports and
    fills in any order, some repeated, an unknown outcome somewhere."""
    qty = Decimal(draw(st.integers(1, 50)))
    if draw(st.booleans()) and draw(st.booleans()):
        return qty, [], S.REJECTED, [update(S.REJECTED, source="reply")]
    parts = draw(st.lists(st.integers(1, 10), max_size=6))
    lasts: list[Decimal] = []
    for p in parts:
        if sum(lasts) + p <= qty:
            lasts.append(Decimal(p))
    full = sum(lasts) == qty and lasts
    final = S.FILLED if full else draw(st.sampled_from([S.CANCELED, S.EXPIRED, S.NEW]))
    events: list[OrderUpdated | OrderFilled] = [update(S.NEW, source="reply", z="0")]
    cum = Decimal(0)
    for i, last in enumerate(lasts):
        cum += last
        events.append(fill(100 + i, str(last), z=str(cum)))
        if draw(st.booleans()):
            events.append(update(S.PARTIALLY_FILLED if cum < qty else S.FILLED, z=str(cum)))
    if final is not S.NEW:
        events.append(update(final, z=str(cum)))
    events += draw(st.lists(st.sampled_from(events), max_size=3))  # repeats
    events = draw(st.permutations(events))
    if draw(st.booleans()):
        events.insert(draw(st.integers(0, len(events))), update(S.UNKNOWN, source="local"))
    return qty, lasts, final, events


@settings(max_examples=300, deadline=None)
@given(deliveries())
def test_any_delivery_order_books_every_fill_once(
    case: tuple[Decimal, list[Decimal], S, list[OrderUpdated | OrderFilled]],
) -> None:
    qty, lasts, final, events = case
    order = orders.new_order(intent(qty=str(qty)).intent, 0)
    for event in events:
        if isinstance(event, OrderFilled):
            order, _ = orders.book_fill(order, event)
        else:
            order = orders.update(order, event)
        assert order.executed_qty <= qty
        assert order.executed_qty <= max(order.reported_qty, order.executed_qty)
    assert order.executed_qty == sum(lasts, Decimal(0))
    assert sorted(f.trade_id for f in order.fills) == list(range(100, 100 + len(lasts)))
    if final is S.NEW:
        assert order.status in (S.NEW, S.PARTIALLY_FILLED, S.FILLED, S.UNKNOWN)
        assert (
            order.status is not S.FILLED or order.executed_qty == qty or order.reported_qty == qty
        )
    else:
        assert order.status is final
    assert order.missing_qty == 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(S)), st.integers(0, 3)), max_size=12))
def test_arbitrary_reports_either_fit_the_table_or_are_refused(
    reports: list[tuple[S, int]],
) -> None:
    order = new("3")
    for status, z in reports:
        before = order.status
        try:
            order = orders.update(order, update(status, z=str(z)))
        except (InvalidTransition, Overfill):
            continue
        assert order.status in (TRANSITIONS[before][status], S.PARTIALLY_FILLED)
        assert order.reported_qty <= 3
