"""What the journal booked, as Binance's user-data stream events.

Pure. The bot's user stream is made from the session's journal, not relayed from the exchange:
the fills it sees are the fills the journal booked (their trade ids, commissions, and the
cumulative quantity the booked fills add up to), and an order the guard refused never appears.

    OrderUpdated, first time the exchange has the order   executionReport x=NEW
        (an OTO's pending order: X=PENDING_NEW, then x=NEW again once the exchange placed it)
    OrderFilled                                            executionReport x=TRADE
    OrderUpdated CANCELED / EXPIRED / REJECTED             executionReport x=that
    BalanceChanged                                         outboundAccountPosition
    BalanceMoved (a deposit, withdrawal, transfer)         balanceUpdate

Fields follow Binance's executionReport field for field (exchange-wire.md); what the order
carried that `orders.Order` does not (time in force, stop price, iceberg, quote amount) comes
from the intent the gateway placed it with, when it did.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from tradeguard.events import BalanceChanged, BalanceMoved, EventBase, OrderFilled, OrderUpdated
from tradeguard.gateway.shapes import NO_LIST, STP_MODE, amount, kind_of, status, tif_of
from tradeguard.model import OrderIntent, OrderStatus
from tradeguard.orders import Order

Json = Any
ZERO: Final = Decimal(0)
# the statuses whose report Binance sends as an execution of the same name
_ENDINGS: Final = {
    OrderStatus.CANCELED: "CANCELED",
    OrderStatus.EXPIRED: "EXPIRED",
    OrderStatus.REJECTED: "REJECTED",
}
_ON_EXCHANGE: Final = (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED)


class UserEvents:
    """Turns each recorded event into the user-stream events Binance would have sent for it
    (none for most); remembers which live orders it announced, to send NEW once per order."""

    def __init__(self) -> None:
        self._announced: set[str] = set()
        self._pending: set[str] = set()  # announced as an order list's PENDING_NEW leg
        self._exec_id = 0

    def of(
        self,
        event: EventBase,
        order: Order | None,
        intent: OrderIntent | None,
        now_ms: int,
        list_number: int = NO_LIST,
    ) -> list[Json]:
        """The events for `event`; `order` is the order it concerns as the journal now holds
        it (after the event), `intent` what the bot asked for, `now_ms` the exchange's clock,
        `list_number` the orderListId of the list it is a leg of."""
        if isinstance(event, BalanceChanged):
            return [account_position(event, now_ms)]
        if isinstance(event, BalanceMoved):
            return [balance_update(event, now_ms)]
        if not isinstance(event, (OrderUpdated, OrderFilled)) or order is None:
            return []
        if order.order_id is None:
            return []  # never reached the exchange: the guard refused it, or it failed to leave
        out: list[Json] = []
        coid = order.client_order_id
        first = coid not in self._announced
        pending = order.status is OrderStatus.PENDING_NEW  # held, not placed: an OTO's leg
        live = isinstance(event, OrderFilled) or event.status in _ON_EXCHANGE
        if first and (live or pending):
            self._announced.add(coid)
            if pending:
                self._pending.add(coid)
            out.append(self._report(order, intent, now_ms, "NEW", event, new=True))
        elif coid in self._pending and live:  # the exchange placed it: now it works
            self._pending.discard(coid)
            out.append(self._report(order, intent, now_ms, "NEW", event, new=True))
        if isinstance(event, OrderFilled):
            out.append(self._report(order, intent, now_ms, "TRADE", event, fill=event))
        elif event.status in _ENDINGS:
            out.append(self._report(order, intent, now_ms, _ENDINGS[event.status], event))
        if not order.is_open and order.missing_qty <= 0:
            # ended, every fill the exchange reported booked: nothing more will be said of it,
            # so it is forgotten (a gateway runs for weeks; only live orders are remembered)
            self._announced.discard(coid)
            self._pending.discard(coid)
        for report in out:
            report["g"] = list_number
        return out

    @property
    def remembered(self) -> int:
        """Orders announced that may still report (open, or ended with fills to book)."""
        return len(self._announced)

    def _report(
        self,
        order: Order,
        intent: OrderIntent | None,
        now_ms: int,
        exec_type: str,
        event: EventBase,
        *,
        new: bool = False,
        fill: OrderFilled | None = None,
    ) -> Json:
        self._exec_id += 1
        at = event.exchange_ms or event.at_ms
        cum_qty, cum_quote = _cumulative(order, fill) if not new else (ZERO, ZERO)
        order_status = "NEW" if new else _status_after(order, fill, cum_qty)
        if new and order.status is OrderStatus.PENDING_NEW:
            order_status = "PENDING_NEW"
        last_qty = fill.qty if fill else ZERO
        last_price = fill.price if fill else ZERO
        return {
            "e": "executionReport",
            "E": now_ms,
            "s": order.symbol,
            "c": order.client_order_id,
            "S": order.side.value,
            "o": kind_of(order, intent),
            "f": tif_of(intent),
            "q": amount(order.qty),
            "p": amount(order.price),
            "P": amount(intent.stop_price if intent else None),
            "F": amount(intent.iceberg_qty if intent else None),
            "g": NO_LIST,
            "C": "",
            "x": exec_type,
            "X": order_status,
            "r": "NONE",
            "i": order.order_id,
            "l": amount(last_qty),
            "z": amount(cum_qty),
            "L": amount(last_price),
            "n": amount(fill.commission) if fill else "0",
            "N": (fill.commission_asset if fill else None),
            "T": at,
            "t": fill.trade_id if fill else -1,
            "I": self._exec_id,
            "w": order_status in ("NEW", "PARTIALLY_FILLED"),
            "m": fill.is_maker if fill else False,
            "M": False,
            "O": order.created_ms,
            "Z": amount(cum_quote),
            "Y": amount(fill.quote if fill else ZERO),
            "Q": amount(intent.quote_qty if intent else None),
            "W": -1 if order_status == "PENDING_NEW" else order.created_ms,
            "V": STP_MODE,
        }


def _cumulative(order: Order, fill: OrderFilled | None) -> tuple[Decimal, Decimal]:
    """What the booked fills add up to, up to and including `fill` (the order as it stood
    once that fill was booked, whatever was booked after it in the same burst)."""
    if fill is None:
        return order.executed_qty, order.executed_quote
    qty, quote = ZERO, ZERO
    for booked in order.fills:
        qty += booked.qty
        quote += booked.quote
        if booked.trade_id == fill.trade_id:
            break
    return qty, quote


def _status_after(order: Order, fill: OrderFilled | None, cum_qty: Decimal) -> str:
    if fill is None:
        return status(order)
    if order.qty is not None and cum_qty >= order.qty:
        return "FILLED"
    if order.status is OrderStatus.FILLED and cum_qty >= order.executed_qty:
        return "FILLED"  # by quote amount: the last booked fill completes it
    return "PARTIALLY_FILLED"


def account_position(event: BalanceChanged, now_ms: int) -> Json:
    """outboundAccountPosition: the balances the exchange reported, as the journal took them."""
    return {
        "e": "outboundAccountPosition",
        "E": now_ms,
        "u": event.exchange_ms or event.at_ms,
        "B": [
            {"a": b.asset, "f": amount(b.free), "l": amount(b.locked)}
            for b in sorted(event.balances, key=lambda b: b.asset)
        ],
    }


def balance_update(event: BalanceMoved, now_ms: int) -> Json:
    """balanceUpdate: the deposit, withdrawal or transfer the exchange reported."""
    return {
        "e": "balanceUpdate",
        "E": now_ms,
        "a": event.asset,
        "d": amount(event.delta),
        "T": event.exchange_ms or event.at_ms,
    }
