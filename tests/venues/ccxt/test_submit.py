"""Placing on Bybit, OKX and Kraken through `tradeguard.connect`: these venues answer an order
with its ids only, so the reply is recorded as NEW with the exchange's order id, in one request;
the stream (or `wait_for`'s trade query) brings the real status and the fills, and the order
table takes the reply's NEW even when it lands after the order filled or expired."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

pytest.importorskip("ccxt")

from tests.venues.ccxt.conftest import journal
from tradeguard.errors import TradeguardError
from tradeguard.events import ErrorRaised, OrderFilled, OrderUpdated
from tradeguard.model import OrderStatus
from tradeguard.session.connect import connect
from tradeguard.session.guard import Session

PLACE_PATH = {
    "bybit": "/v5/order/create",
    "okx": "/api/v5/trade/batch-orders",
    "kraken": "/0/private/AddOrder",
}
SYMBOL = "BTCUSDT"


def _refused(tg: Session) -> list[ErrorRaised]:
    """What the ledger refused (an InvalidTransition, an Overfill), journaled instead."""
    return [e for e in journal(tg) if isinstance(e, ErrorRaised)]


def _replies(tg: Session, coid: str) -> list[OrderUpdated]:
    return [
        e
        for e in journal(tg)
        if isinstance(e, OrderUpdated) and e.client_order_id == coid and e.source == "reply"
    ]


async def _at(tg: Session, factor: str) -> Decimal:
    last = await tg.last_price(SYMBOL)  # the session's, as its checks read it (cached)
    assert last is not None
    return (last * Decimal(factor)).quantize(Decimal(1))


async def test_a_placement_is_one_request_and_its_reply_is_new_with_the_order_id(
    tg: Session,
) -> None:
    price = await _at(tg, "0.99")  # below the market: it rests
    before = tg.transport.requests_sent
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    assert tg.transport.requests_sent - before == 1  # the create, no read-back
    (reply,) = _replies(tg, order.client_order_id)
    assert reply.status is OrderStatus.NEW
    assert reply.order_id is not None and reply.order_id == order.order_id
    held = await tg.transport.get_order(SYMBOL, client_order_id=order.client_order_id)
    assert held.order_id == order.order_id  # the venue's id for it, as the guard holds ids


async def test_a_market_order_answered_new_ends_filled_with_its_fills_booked(
    tg: Session,
) -> None:
    order = await tg.market_buy("BTC/USDT", qty="0.001")
    done = await tg.wait_for(order.client_order_id, timeout_s=20)
    assert done.status is OrderStatus.FILLED
    assert done.executed_qty == Decimal("0.001") and done.missing_qty == 0
    fills = [
        e
        for e in journal(tg)
        if isinstance(e, OrderFilled) and e.client_order_id == order.client_order_id
    ]
    assert fills and len({f.trade_id for f in fills}) == len(fills)
    assert _refused(tg) == []


async def test_a_reply_landing_after_the_stream_said_filled_is_taken_as_stale(
    tg: Session,
) -> None:
    # the reply is held a second: the fill messages arrive first, then the reply's NEW
    tg.sim.sim.add_fault(  # type: ignore[union-attr]
        {"kind": "hold_after_execute", "seconds": 1, "path_prefix": PLACE_PATH[tg.venue],
         "count": 1}
    )  # fmt: skip
    order = await tg.market_buy("BTC/USDT", qty="0.001")
    done = await tg.wait_for(order.client_order_id, timeout_s=20)
    assert done.status is OrderStatus.FILLED and done.executed_qty == Decimal("0.001")
    assert [r.status for r in _replies(tg, order.client_order_id)] == [OrderStatus.NEW]
    assert _refused(tg) == []


async def test_an_ioc_that_cannot_fill_ends_expired_or_cancelled_with_nothing_booked(
    tg: Session,
) -> None:
    price = await _at(tg, "0.99")  # a buy below the market: nothing to take
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=price, time_in_force="IOC")
    done = await tg.wait_for(order.client_order_id, timeout_s=20)
    assert done.status in (OrderStatus.EXPIRED, OrderStatus.CANCELED)  # as the venue says it
    assert done.executed_qty == 0 and done.fills == ()
    assert _refused(tg) == []


async def test_a_post_only_that_would_take_is_refused_and_ends_rejected(tg: Session) -> None:
    price = await _at(tg, "1.01")  # a buy above the market would take
    with pytest.raises(TradeguardError) as refused:  # Kraken's "EOrder:Post only order"
        await tg.limit_buy("BTC/USDT", qty="0.001", price=price, post_only=True)
    coid = refused.value.client_order_id
    assert coid is not None
    order = tg.order(coid)
    assert order is not None and order.status is OrderStatus.REJECTED
    assert _refused(tg) == []


async def test_a_resting_post_only_cancelled_ends_cancelled(tg: Session) -> None:
    price = await _at(tg, "0.99")
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=price, post_only=True)
    assert order.status is OrderStatus.NEW
    await tg.cancel(order.client_order_id)
    done = await tg.wait_for(order.client_order_id, timeout_s=20)
    assert done.status is OrderStatus.CANCELED and done.executed_qty == 0
    assert _refused(tg) == []


async def test_without_a_stream_a_placement_is_read_back_to_its_real_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("STATE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "tradeguard.toml"
    config.write_text('[profiles.default]\nvenue = "bybit"\nenv = "sim"\n', encoding="utf-8")
    tg = await connect("default", config=config, stream=False)
    try:
        order = await tg.market_buy("BTC/USDT", qty="0.001")
        assert order.status is OrderStatus.FILLED  # nothing else would have said so
        done = await tg.wait_for(order.client_order_id, timeout_s=20)  # fills by myTrades
        assert done.executed_qty == Decimal("0.001") and done.missing_qty == 0
    finally:
        await tg.close()
