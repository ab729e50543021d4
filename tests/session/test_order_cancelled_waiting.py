"""An order call cancelled by the bot is cancelled, whatever it was waiting for when it was."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session


async def test_an_order_cancelled_as_the_stream_comes_back_is_not_sent(tg: Session) -> None:
    # While the user stream is down (or filling a gap) an order waits for it. A cancel that
    # lands in the very turn the stream comes back must still end the call: on Python 3.11
    # asyncio.wait_for returned the wait's result instead, and the order went out.
    tg.ready.clear()
    placing = asyncio.ensure_future(tg.market_buy("BTC/USDT", qty="0.001"))
    for _ in range(3):  # the call reaches its wait for the stream
        await asyncio.sleep(0)
    assert not placing.done()
    tg.ready.set()
    placing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await placing
    assert tg.ledger.orders == {}  # nothing journaled, nothing sent


async def test_a_wait_cancelled_as_its_order_moves_is_cancelled(tg: Session) -> None:
    # tg.wait_for cancelled in the very turn the order's awaited event is recorded: on Python
    # 3.11 asyncio.wait_for returned the event instead, and the bot's cancel was lost.
    last = await tg.last_price("BTCUSDT")
    assert last is not None
    price = (last * Decimal("0.99")).quantize(Decimal("0.01"))
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=str(price))
    waiting = asyncio.ensure_future(tg.wait_for(order.client_order_id, OrderStatus.CANCELED))
    for _ in range(3):  # the wait parks on the order's next event
        await asyncio.sleep(0)
    assert not waiting.done()
    tg._local(order.client_order_id, "BTCUSDT", OrderStatus.CANCELED, "cancelled in the test")
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
