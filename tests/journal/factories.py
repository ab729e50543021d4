"""Small builders of valid events for the journal tests."""

from __future__ import annotations

from decimal import Decimal

from tradeguard import events as ev
from tradeguard.model import OrderIntent, OrderStatus, OrderType, Side, Symbol

T0 = 1_795_000_000_000
BTC = Symbol("BTC", "USDT")


def intent(
    coid: str = "tg-1",
    qty: str | None = "1",
    side: Side = Side.BUY,
    price: str | None = "100",
    at_ms: int = T0,
) -> ev.OrderIntended:
    return ev.OrderIntended(
        at_ms=at_ms,
        profile="t",
        intent=OrderIntent(
            client_order_id=coid,
            symbol=BTC,
            side=side,
            type=OrderType.LIMIT,
            qty=None if qty is None else Decimal(qty),
            price=None if price is None else Decimal(price),
        ),
    )


def update(
    status: OrderStatus,
    coid: str = "tg-1",
    *,
    z: str | None = None,
    order_id: int = 7,
    source: ev.OrderSource = "stream",
    at_ms: int = T0 + 1,
    orig_qty: str | None = None,
) -> ev.OrderUpdated:
    return ev.OrderUpdated(
        at_ms=at_ms,
        profile="t",
        client_order_id=coid,
        symbol="BTCUSDT",
        status=status,
        source=source,
        order_id=order_id,
        executed_qty=None if z is None else Decimal(z),
        orig_qty=None if orig_qty is None else Decimal(orig_qty),
    )


def fill(
    trade_id: int,
    qty: str,
    *,
    coid: str | None = "tg-1",
    z: str | None = None,
    price: str = "100",
    side: Side = Side.BUY,
    order_id: int = 7,
    commission: str = "0",
    commission_asset: str | None = None,
    at_ms: int = T0 + 2,
    quote_qty: str | None = None,
) -> ev.OrderFilled:
    return ev.OrderFilled(
        at_ms=at_ms,
        profile="t",
        exchange_ms=at_ms - 1,
        client_order_id=coid,
        order_id=order_id,
        symbol="BTCUSDT",
        base_asset="BTC",
        quote_asset="USDT",
        side=side,
        trade_id=trade_id,
        price=Decimal(price),
        qty=Decimal(qty),
        commission=Decimal(commission),
        commission_asset=commission_asset,
        is_maker=False,
        cum_qty=None if z is None else Decimal(z),
        quote_qty=None if quote_qty is None else Decimal(quote_qty),
    )


def clock_event(n: int) -> ev.ClockSynced:
    """A small event that is not an intent, `n` ms after T0."""
    return ev.ClockSynced(at_ms=T0 + n, profile="t", offset_ms=n, rtt_ms=1.0)
