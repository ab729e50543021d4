"""The order state table, fill booking, and positions folded from fills. Pure.

`apply(order, event) -> order` is the only way an order changes, and `TRANSITIONS` is the only
place that says which status an order may move to. An input is either a status some source
reported (`OrderUpdated`), or a fill (`Trade.PART` leaves quantity open, `Trade.FULL` completes
the order). A pair missing from the table is an `InvalidTransition`; a pair that maps a status
to itself is a stale or repeated report, accepted and ignored (streams and REST replies race, so
a NEW can arrive after the fill that made the order PARTIALLY_FILLED).

Fills are kept on the order as the `OrderFilled` events themselves (trade id, price, quantity,
commission and its asset, maker or taker, exchange time).
- de-duplicated by trade id: `apply` raises `DuplicateFill`; `book_fill` returns
  `(order, False)` for an exact repeat (a stream resending a fill is normal) and still raises
  for a trade id seen with a different price or quantity;
- both quantities checked: `executed_qty` is the sum of the fills' own quantities (l); the
  exchange's cumulative (z) is kept as `reported_qty`. Booked fills can never add up to more
  than the largest z reported (that is the mistake of reading z as l), nor to more than the
  order's quantity: either is an `Overfill`. z above the booked sum means fills are still to
  come (`missing_qty`), never that one should be made up;
- a fill after a cancel or expiry is accepted (it happened before the cancel, and was reported
  late); a fill of a REJECTED order is an `InvalidTransition`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal

import msgspec

from tradeguard.errors import DuplicateFill, InvalidTransition, Overfill
from tradeguard.events import OrderFilled, OrderUpdated
from tradeguard.model import OrderIntent, OrderReport, OrderStatus, OrderType, Side

ZERO = Decimal(0)


class Trade(enum.StrEnum):
    PART = "TRADE"  # a fill that leaves quantity open (or the quantity is not known yet)
    FULL = "TRADE_FULL"  # a fill that completes the order's quantity


Input = OrderStatus | Trade

_S = OrderStatus
_PN, _NEW, _PF, _FILLED = _S.PENDING_NEW, _S.NEW, _S.PARTIALLY_FILLED, _S.FILLED
_PC, _CXL, _EXP, _EIM = _S.PENDING_CANCEL, _S.CANCELED, _S.EXPIRED, _S.EXPIRED_IN_MATCH
_REJ, _UNK = _S.REJECTED, _S.UNKNOWN


def _row(**moves: OrderStatus) -> dict[Input, OrderStatus]:
    row: dict[Input, OrderStatus] = {}
    for name, target in moves.items():
        key: Input = Trade(name) if name.startswith("TRADE") else OrderStatus(name)
        row[key] = target
    return row


# fmt: off
TRANSITIONS: Mapping[OrderStatus, Mapping[Input, OrderStatus]] = {
    # sent, no answer yet: anything the exchange says is news
    _PN: _row(PENDING_NEW=_PN, NEW=_NEW, PARTIALLY_FILLED=_PF, FILLED=_FILLED,
              PENDING_CANCEL=_PC, CANCELED=_CXL, EXPIRED=_EXP, EXPIRED_IN_MATCH=_EIM,
              REJECTED=_REJ, UNKNOWN=_UNK, TRADE=_PF, TRADE_FULL=_FILLED),
    # outcome unknown, being resolved by client order id: same (PENDING_NEW is the exchange's
    # own then: it holds the order, an order list's pending leg, until its working one fills)
    _UNK: _row(PENDING_NEW=_PN, NEW=_NEW, PARTIALLY_FILLED=_PF, FILLED=_FILLED,
               PENDING_CANCEL=_PC, CANCELED=_CXL, EXPIRED=_EXP, EXPIRED_IN_MATCH=_EIM,
               REJECTED=_REJ, UNKNOWN=_UNK, TRADE=_PF, TRADE_FULL=_FILLED),
    _NEW: _row(PENDING_NEW=_NEW, NEW=_NEW, PARTIALLY_FILLED=_PF, FILLED=_FILLED,
               PENDING_CANCEL=_PC, CANCELED=_CXL, EXPIRED=_EXP, EXPIRED_IN_MATCH=_EIM,
               UNKNOWN=_NEW, TRADE=_PF, TRADE_FULL=_FILLED),
    _PF: _row(PENDING_NEW=_PF, NEW=_PF, PARTIALLY_FILLED=_PF, FILLED=_FILLED,
              PENDING_CANCEL=_PC, CANCELED=_CXL, EXPIRED=_EXP, EXPIRED_IN_MATCH=_EIM,
              UNKNOWN=_PF, TRADE=_PF, TRADE_FULL=_FILLED),
    # cancel sent: a NEW or PARTIALLY_FILLED answer means the cancel was refused
    _PC: _row(PENDING_NEW=_PC, NEW=_NEW, PARTIALLY_FILLED=_PF, FILLED=_FILLED,
              PENDING_CANCEL=_PC, CANCELED=_CXL, EXPIRED=_EXP, EXPIRED_IN_MATCH=_EIM,
              UNKNOWN=_PC, TRADE=_PC, TRADE_FULL=_FILLED),
    # final states: earlier reports arriving late are ignored; late fills are booked
    _FILLED: _row(PENDING_NEW=_FILLED, NEW=_FILLED, PARTIALLY_FILLED=_FILLED,
                  FILLED=_FILLED, PENDING_CANCEL=_FILLED, UNKNOWN=_FILLED,
                  TRADE=_FILLED, TRADE_FULL=_FILLED),
    _CXL: _row(PENDING_NEW=_CXL, NEW=_CXL, PARTIALLY_FILLED=_CXL, PENDING_CANCEL=_CXL,
               CANCELED=_CXL, UNKNOWN=_CXL, TRADE=_CXL),
    _EXP: _row(PENDING_NEW=_EXP, NEW=_EXP, PARTIALLY_FILLED=_EXP, PENDING_CANCEL=_EXP,
               EXPIRED=_EXP, UNKNOWN=_EXP, TRADE=_EXP),
    _EIM: _row(PENDING_NEW=_EIM, NEW=_EIM, PARTIALLY_FILLED=_EIM, PENDING_CANCEL=_EIM,
               EXPIRED_IN_MATCH=_EIM, UNKNOWN=_EIM, TRADE=_EIM),
    _REJ: _row(PENDING_NEW=_REJ, REJECTED=_REJ, UNKNOWN=_REJ),
}
# fmt: on


_PART, _FULL = Trade.PART, Trade.FULL


def next_status(status: OrderStatus, incoming: Input) -> OrderStatus:
    """Where `incoming` takes an order in `status`; InvalidTransition if nowhere."""
    target = TRANSITIONS[status].get(incoming)
    if target is None:
        raise InvalidTransition(status.value, incoming.value)
    return target


class Order(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One order as tradeguard knows it. Immutable: `apply` returns a new one."""

    client_order_id: str
    symbol: str  # exchange symbol, e.g. BTCUSDT
    side: Side
    type: OrderType
    status: OrderStatus
    qty: Decimal | None  # None until known (a market order by quote amount)
    price: Decimal | None = None
    order_id: int | None = None
    executed_qty: Decimal = ZERO  # sum of booked fills (l)
    executed_quote: Decimal = ZERO
    reported_qty: Decimal = ZERO  # the largest cumulative quantity (z) the exchange reported
    fills: tuple[OrderFilled, ...] = ()  # the fill events themselves, in booking order
    max_trade_id: int = -1  # trade ids mostly rise: a higher one is new without a search
    created_ms: int = 0
    updated_ms: int = 0  # when its state last changed (a repeated report changes nothing)
    reason: str | None = None

    @property
    def is_open(self) -> bool:
        return not self.status.is_final

    @property
    def never_placed(self) -> bool:
        """Refused before the exchange's book held it: the exchange rejected it, or its lost
        request was found never placed. Nothing of it lives on the exchange, whose rule then
        frees its client order id for a new order (Binance's: unique among open orders)."""
        return self.status is OrderStatus.REJECTED and self.order_id is None and not self.fills

    @property
    def missing_qty(self) -> Decimal:
        """Filled according to the exchange but not yet booked from a fill message."""
        return max(ZERO, self.reported_qty - self.executed_qty)

    @property
    def remaining_qty(self) -> Decimal | None:
        return None if self.qty is None else self.qty - self.executed_qty


def new_order(intent: OrderIntent, at_ms: int) -> Order:
    """The order an intent creates: PENDING_NEW, since it may leave at any moment now."""
    return Order(
        client_order_id=intent.client_order_id,
        symbol=intent.symbol.binance,
        side=intent.side,
        type=intent.type,
        status=_PN,
        qty=intent.qty,
        price=intent.price,
        created_ms=at_ms,
        updated_ms=at_ms,
    )


def adopt(report: OrderReport, at_ms: int) -> Order:
    """An order taken over as the exchange reports it; its fills are booked separately."""
    return Order(
        client_order_id=report.client_order_id,
        symbol=report.symbol,
        side=report.side,
        type=report.type,
        status=report.status,
        qty=report.orig_qty or None,
        price=report.price or None,
        order_id=report.order_id,
        reported_qty=report.executed_qty,
        created_ms=at_ms,
        updated_ms=at_ms,
    )


def apply(order: Order, event: OrderUpdated | OrderFilled) -> Order:
    """The order after `event`. Strict: a repeated fill raises DuplicateFill."""
    if isinstance(event, OrderFilled):
        if booked_fill(order, event.trade_id) is not None:
            raise DuplicateFill(
                f"order {order.client_order_id}: trade {event.trade_id} is already booked"
            )
        return book(order, event)
    return update(order, event)


def book_fill(order: Order, event: OrderFilled) -> tuple[Order, bool]:
    """Book a fill unless its trade id is already booked: `(order, was_new)`. An exact repeat
    is ignored; the same trade id with another price or quantity is a DuplicateFill."""
    if event.trade_id > order.max_trade_id:  # the usual case, decided without a search
        return book(order, event), True
    fill = booked_fill(order, event.trade_id)
    if fill is None:
        return book(order, event), True
    if fill.qty != event.qty or fill.price != event.price:
        raise DuplicateFill(
            f"order {order.client_order_id}: trade {event.trade_id} reported again "
            f"as {event.qty} @ {event.price}, booked as {fill.qty} @ {fill.price}"
        )
    return order, False


def booked_fill(order: Order, trade_id: int) -> OrderFilled | None:
    """The fill booked with this trade id, if any."""
    if trade_id > order.max_trade_id:
        return None
    for fill in order.fills:
        if fill.trade_id == trade_id:
            return fill
    return None


def _check_order_id(order: Order, order_id: int | None, what: str) -> int | None:
    if order_id is None or order.order_id is None or order_id == order.order_id:
        return order.order_id if order_id is None else order_id
    raise InvalidTransition(
        order.status.value, f"{what} for exchange order {order_id}, not {order.order_id}"
    )


def book(order: Order, event: OrderFilled, quote: Decimal | None = None) -> Order:
    """Book a fill known to be new (its trade id not booked yet): the checks of quantities
    and the table, no duplicate search. `book_fill` and `apply` decide newness first.
    `quote` is `event.quote`, when the caller has it already."""
    # Runs once per fill, a million times in a replay: checks inlined, one allocation.
    order_id = order.order_id
    if order_id != event.order_id:
        order_id = _check_order_id(order, event.order_id, "OrderFilled")
    qty = event.qty
    if qty <= ZERO:
        raise InvalidTransition(order.status.value, f"OrderFilled with quantity {qty}")
    executed = order.executed_qty + qty
    reported = order.reported_qty
    cum = event.cum_qty
    if cum is not None:
        if cum < qty:
            raise InvalidTransition(
                order.status.value, f"OrderFilled with last quantity {qty} above cumulative {cum}"
            )
        if cum > reported:
            reported = cum
        if executed > reported:
            raise Overfill(
                f"order {order.client_order_id}: fills add up to {executed} but the exchange "
                f"reports {reported} filled (a cumulative quantity read as a fill's own?)"
            )
    if order.qty is not None and executed > order.qty:
        raise Overfill(
            f"order {order.client_order_id}: fills add up to {executed}, above its "
            f"quantity {order.qty} (trade {event.trade_id})"
        )
    status = TRANSITIONS[order.status].get(_FULL if executed == order.qty else _PART)
    if status is None:
        raise InvalidTransition(order.status.value, "OrderFilled")
    trade_id = event.trade_id
    if quote is None:
        quote = event.price * qty if event.quote_qty is None else event.quote_qty
    return msgspec.structs.replace(
        order,
        status=status,
        order_id=order_id,
        executed_qty=executed,
        executed_quote=order.executed_quote + quote,
        reported_qty=reported,
        fills=(*order.fills, event),
        max_trade_id=trade_id if trade_id > order.max_trade_id else order.max_trade_id,
        updated_ms=event.at_ms,
    )


def update(order: Order, event: OrderUpdated) -> Order:
    """The order after a report of its state (`apply` for OrderUpdated only)."""
    status = TRANSITIONS[order.status].get(event.status)
    if status is None:
        raise InvalidTransition(order.status.value, event.status.value)
    order_id = order.order_id
    if order_id != event.order_id:
        order_id = _check_order_id(order, event.order_id, "OrderUpdated")
    qty = order.qty if order.qty is not None else event.orig_qty
    reported = order.reported_qty
    cum = event.executed_qty
    if cum is not None and cum > reported:
        if qty is not None and cum > qty:
            raise Overfill(
                f"order {order.client_order_id}: the exchange reports {cum} filled, above its "
                f"quantity {qty}"
            )
        reported = cum
    if status is _NEW and order.executed_qty > ZERO:
        status = _PF  # fills booked already outrank a late NEW
    reason = event.reason if event.reason is not None else order.reason
    if (
        status is order.status
        and order_id == order.order_id
        and qty is order.qty
        and reported is order.reported_qty
        and reason is order.reason
    ):
        return order  # a repeated or stale report changes nothing, not even updated_ms
    return msgspec.structs.replace(
        order,
        status=status,
        order_id=order_id,
        qty=qty,
        reported_qty=reported,
        updated_ms=event.at_ms,
        reason=reason,
    )
