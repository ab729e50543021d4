"""The journal's events as Binance's user-stream events (pure): NEW once, each booked fill a
TRADE with the cumulative quantity of the fills booked up to it, endings as themselves, and
nothing for an order that never reached the exchange."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradeguard.events import BalanceChanged, OrderFilled, OrderUpdated
from tradeguard.gateway.user_events import UserEvents
from tradeguard.model import Balance, OrderIntent, OrderStatus, OrderType, Side, Symbol, TimeInForce
from tradeguard.orders import Order, apply, new_order

AT = 1_767_225_600_000
INTENT = OrderIntent(
    client_order_id="c1", symbol=Symbol("BTC", "USDT"), side=Side.BUY, type=OrderType.LIMIT,
    qty=Decimal("0.003"), price=Decimal("60000"), time_in_force=TimeInForce.IOC,
)  # fmt: skip


def _updated(status: OrderStatus, order_id: int | None = 7) -> OrderUpdated:
    return OrderUpdated(at_ms=AT, profile="p", client_order_id="c1", symbol="BTCUSDT",
                        status=status, source="reply", order_id=order_id)  # fmt: skip


def _fill(trade_id: int, qty: str) -> OrderFilled:
    return OrderFilled(
        at_ms=AT, exchange_ms=AT - 5, profile="p", client_order_id="c1", order_id=7,
        symbol="BTCUSDT", base_asset="BTC", quote_asset="USDT", side=Side.BUY,
        trade_id=trade_id, price=Decimal("60000"), qty=Decimal(qty),
        commission=Decimal("0.000001"), commission_asset="BTC", is_maker=False,
    )  # fmt: skip


def test_new_once_then_trades_with_cumulative_quantities_then_the_cancel() -> None:
    events = UserEvents()
    order: Order = new_order(INTENT, AT)
    out = []
    for event in (_updated(OrderStatus.NEW), _updated(OrderStatus.NEW), _fill(11, "0.001"),
                  _fill(12, "0.0005"), _updated(OrderStatus.CANCELED)):  # fmt: skip
        order = apply(order, event)
        out += events.of(event, order, INTENT, AT + 1)
    assert [(e["x"], e["X"]) for e in out] == [
        ("NEW", "NEW"), ("TRADE", "PARTIALLY_FILLED"), ("TRADE", "PARTIALLY_FILLED"),
        ("CANCELED", "CANCELED"),
    ]  # fmt: skip
    first, second = out[1], out[2]
    assert (first["t"], first["l"], first["z"], first["T"]) == (
        11,
        "0.00100000",
        "0.00100000",
        AT - 5,
    )
    assert (second["t"], second["z"], second["n"], second["N"]) == (
        12,
        "0.00150000",
        "0.00000100",
        "BTC",
    )
    assert {e["f"] for e in out} == {"IOC"} and {e["i"] for e in out} == {7}
    assert len({e["I"] for e in out}) == len(out)  # each execution its own id


def test_an_order_that_never_reached_the_exchange_makes_no_event() -> None:
    events = UserEvents()
    order = apply(new_order(INTENT, AT), _updated(OrderStatus.REJECTED, order_id=None))
    assert events.of(_updated(OrderStatus.REJECTED, order_id=None), order, INTENT, AT) == []


def test_a_balance_report_is_an_account_position() -> None:
    report = BalanceChanged(
        at_ms=AT, exchange_ms=AT - 1, profile="p",
        balances=(Balance("USDT", Decimal("90"), Decimal("10")), Balance("BTC", Decimal(1), Decimal(0))),
    )  # fmt: skip
    [position] = UserEvents().of(report, None, None, AT)
    assert position["e"] == "outboundAccountPosition" and position["u"] == AT - 1
    assert position["B"][1] == {"a": "USDT", "f": "90.00000000", "l": "10.00000000"}


def test_an_ended_order_is_forgotten_once_its_fills_are_booked() -> None:
    """A gateway that runs for weeks remembers only the orders that can still report."""
    events = UserEvents()
    for n in range(200):
        coid = f"o{n}"
        wanted = msgspec.structs.replace(INTENT, client_order_id=coid, qty=Decimal("0.001"))
        order: Order = new_order(wanted, AT)
        fill = msgspec.structs.replace(_fill(1000 + n, "0.001"), client_order_id=coid)
        done = msgspec.structs.replace(_updated(OrderStatus.FILLED), client_order_id=coid)
        for event in (_updated(OrderStatus.NEW), fill, done):
            event = msgspec.structs.replace(event, client_order_id=coid)
            order = apply(order, event)
            events.of(event, order, wanted, AT + 1)
    resting = new_order(INTENT, AT)
    resting = apply(resting, _updated(OrderStatus.NEW))
    events.of(_updated(OrderStatus.NEW), resting, INTENT, AT)
    assert events.remembered == 1  # only the order still open
    # an order filled by its reply, its fills booked after: still announced once
    late = apply(new_order(INTENT, AT), _updated(OrderStatus.NEW))
    reports = events.of(_fill(5, "0.003"), apply(late, _fill(5, "0.003")), INTENT, AT)
    assert [r["x"] for r in reports] == ["TRADE"]
