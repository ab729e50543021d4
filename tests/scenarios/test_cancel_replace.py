"""Session.cancel_replace beyond pain 8: local refusals, a refused new half, the default qty."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.scenarios.conftest import assert_invariants, price_off
from tradeguard.errors import GuardError, OrderRejected
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote

REPLACE = "POST /api/v3/order/cancelReplace"


async def _replaces(remote: SimRemote) -> int:
    return int((await remote.requests())["requests"].get(REPLACE, 0))


async def test_stop_on_failure_on_a_known_filled_order_sends_nothing(
    tg: Session, remote: SimRemote
) -> None:
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(tg, "-1"))
    await remote.fill("BTCUSDT", "0.001", order_id=order.order_id)
    await tg.wait_for(order.client_order_id, OrderStatus.FILLED, timeout_s=5)
    with pytest.raises(GuardError):
        await tg.cancel_replace(order.client_order_id, price=await price_off(tg, "-2"))
    assert await _replaces(remote) == 0
    await assert_invariants(tg)


async def test_cancel_done_but_the_new_order_refused_is_409_and_raises(
    tg: Session, remote: SimRemote
) -> None:
    order = await tg.limit_buy(
        "BTC/USDT", qty="0.001", price=await price_off(tg, "-1"), post_only=True
    )
    # a post-only buy above the market would take: the exchange refuses it (-2010)
    with pytest.raises(OrderRejected) as refused:
        await tg.cancel_replace(order.client_order_id, price=await price_off(tg, "0.5"))
    assert (refused.value.code, refused.value.http_status) == (-2021, 409)
    old = tg.order(order.client_order_id)
    assert old is not None and old.status is OrderStatus.CANCELED
    [new] = [o for o in tg.ledger.orders.values() if o.client_order_id != order.client_order_id]
    assert new.status is OrderStatus.REJECTED and new.reason is not None
    assert "-2010" in new.reason
    assert await _replaces(remote) == 1
    await assert_invariants(tg)


async def test_the_default_qty_is_what_is_left_of_the_old_order(
    tg: Session, remote: SimRemote
) -> None:
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(tg, "-1"))
    await remote.fill("BTCUSDT", "0.0004", order_id=order.order_id)
    await tg.wait_for(order.client_order_id, OrderStatus.PARTIALLY_FILLED, timeout_s=5)
    new = await tg.cancel_replace(order.client_order_id, price=await price_off(tg, "-2"))
    assert new.status is OrderStatus.NEW and new.qty == Decimal("0.0006")
    old = tg.order(order.client_order_id)
    assert old is not None and old.status is OrderStatus.CANCELED
    assert old.executed_qty == Decimal("0.0004")
    await assert_invariants(tg)
