"""`tradeguard kill` from another process latches a running session: it cancels its open orders
and refuses new ones; `tradeguard kill --reset` releases it."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tradeguard import kill_switch
from tradeguard.errors import TradingHalted
from tradeguard.model import OrderStatus
from tradeguard.session import Session


async def _until(check: object, timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not reached in time")


async def test_kill_from_the_command_line_reaches_a_running_session(tg: Session) -> None:
    last = await tg.last_price("BTC/USDT")
    assert last is not None
    resting = await tg.limit_sell("BTC/USDT", qty="0.001",
                                  price=(last * Decimal("1.01")).quantize(Decimal("0.01")))  # fmt: skip
    said = await asyncio.to_thread(kill_switch.main, None, None, reset=False, reason="by hand")
    assert "latched" in said
    await _until(lambda: tg.ledger.kill_switch.latched)
    done = await tg.wait_for(resting.client_order_id, timeout_s=5)
    assert done.status is OrderStatus.CANCELED
    with pytest.raises(TradingHalted):
        await tg.market_buy("BTC/USDT", qty="0.001")

    said = await asyncio.to_thread(kill_switch.main, None, None, reset=True, reason="")
    assert "reset" in said
    await _until(lambda: not tg.ledger.kill_switch.latched)
    order = await tg.market_buy("BTC/USDT", qty="0.001")
    assert order.order_id is not None
