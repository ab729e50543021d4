"""A stop while an order's request is out: the call is cancelled (Ctrl-C, SIGTERM, the bot's
own timeout) after its request left and before its reply came. The order may reach the
exchange after the stop's cancels went out; the stop must still cancel it, not leave it open
on the exchange for the next start to find."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal

from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote

PLACE = "POST /api/v3/order"
LATENCY_MS = 400  # the exchange takes the order this late: the stop's cancel overtakes it


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(500):  # polled, not slept on
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(what)


async def test_an_order_whose_call_the_stop_cancelled_is_cancelled_by_the_stop(
    tg: Session, remote: SimRemote
) -> None:
    engine = tg.sim.sim.engine
    last = await tg.last_price("BTC/USDT")
    assert last is not None
    await remote.add_fault(
        {"kind": "latency", "ms": LATENCY_MS, "method": "POST", "path_prefix": "/api/v3/order",
         "count": 1}
    )  # fmt: skip
    price = str((last * Decimal("0.99")).quantize(Decimal("0.01")))
    call = asyncio.ensure_future(tg.limit_buy("BTC/USDT", qty="0.001", price=price))

    async def sent() -> bool:
        return bool((await remote.requests())["requests"].get(PLACE))

    await _until(sent, "the order's request never reached the exchange")
    call.cancel()  # the stop: the bot's task is cancelled while its request is out
    await asyncio.gather(call, return_exceptions=True)
    (order,) = tg.ledger.open_orders()
    assert order.status is OrderStatus.UNKNOWN  # what the exchange did is not known yet

    shut = await tg.close()

    async def placed() -> bool:  # the order as the exchange holds it, once it took it
        return bool(engine.all_orders("main", "BTCUSDT"))

    await _until(placed, "the exchange never took the order")
    (held,) = engine.all_orders("main", "BTCUSDT")
    assert held.status == "CANCELED", held.status  # not left open on the exchange
    assert shut is not None and shut.cancelled == (order.client_order_id,)
    found = tg.ledger.order(order.client_order_id)
    assert found is not None and found.status is OrderStatus.CANCELED
