"""Unmodified ccxt.pro.okx hears OKX's algo orders where OKX pushes them: a stop-limit that
triggered and rests unfilled is `effective` on `orders-algo` at once, and an iceberg is no
`orders-algo` order; its resting part speaks on `orders`, named by the iceberg's algoId."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.realclients.test_ccxt_okx import (
    WATCH_TIMEOUT_S,
    _control,
    _wait_for_subscriptions,
    okx,
    running,
)

pytestmark = pytest.mark.realclient
__all__ = ["okx", "running"]  # the fixtures


async def test_a_triggered_stop_limit_resting_unfilled_is_effective_on_orders_algo(
    okx: Any, running: Any
) -> None:
    last = float((await okx.fetch_ticker("BTC/USDT"))["last"])
    algo_watch = asyncio.create_task(okx.watch_orders("BTC/USDT", None, None, {"trigger": True}))
    await _wait_for_subscriptions(running, okx, 1)
    # a sell stop-limit whose limit is far over the book: triggered, it rests unfilled
    stop = await okx.create_order(
        "BTC/USDT", "limit", "sell", 0.001, round(last * 2), {"triggerPrice": round(last * 0.95)}
    )
    algos = await asyncio.wait_for(algo_watch, WATCH_TIMEOUT_S)
    assert [(o["id"], o["info"]["state"]) for o in algos] == [(stop["id"], "live")]
    algo_watch = asyncio.create_task(okx.watch_orders("BTC/USDT", None, None, {"trigger": True}))
    await _control(running, "price", {"symbol": "BTCUSDT", "price": str(round(last * 0.94))})
    algos = await asyncio.wait_for(algo_watch, WATCH_TIMEOUT_S)
    assert (algos[-1]["id"], algos[-1]["info"]["state"]) == (stop["id"], "effective")
    assert algos[-1]["filled"] == 0


async def test_an_iceberg_is_no_orders_algo_order_and_its_part_is_named_by_its_algo_id(
    okx: Any, running: Any
) -> None:
    last = float((await okx.fetch_ticker("BTC/USDT"))["last"])
    algo_watch = asyncio.create_task(okx.watch_orders("BTC/USDT", None, None, {"trigger": True}))
    order_watch = asyncio.create_task(okx.watch_orders("BTC/USDT"))
    await _wait_for_subscriptions(running, okx, 2)
    iceberg = await okx.create_order(
        "BTC/USDT", "iceberg", "buy", 0.003, round(last * 0.9),
        {"szLimit": "0.001", "pxLimit": str(round(last * 0.9)), "pxSpread": "0"},
    )  # fmt: skip
    orders = await asyncio.wait_for(order_watch, WATCH_TIMEOUT_S)
    assert [(o["id"], o["type"], o["status"]) for o in orders] == [(iceberg["id"], "limit", "open")]
    assert orders[0]["clientOrderId"] is None  # the part has no clOrdId: its algo order has one
    assert not algo_watch.done()
    # a stop's push on orders-algo is the next thing the trigger watch sees
    sl = await okx.create_order(
        "BTC/USDT", "market", "sell", 0.001, None, {"stopLossPrice": round(last * 0.8)}
    )
    algos = await asyncio.wait_for(algo_watch, WATCH_TIMEOUT_S)
    assert [o["id"] for o in algos] == [sl["id"]]
