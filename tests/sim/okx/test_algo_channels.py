"""Where OKX pushes its algo orders, on the simulator's dialect.

OKX serves two algo channels on /ws/v5/business: `orders-algo` (trigger, conditional, oco) and
`algo-advance` (iceberg, twap, move_order_stop). A regular order an algo order placed (a
triggered stop's order, an iceberg's resting part) speaks on `orders` (/ws/v5/private), naming
its algo order by algoId and algoClOrdId, with no clOrdId of its own.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from tests.sim.okx.conftest import Okx, limit_buy
from tests.sim.okx.test_faults_and_ws import _frame, login

SPOT = {"instType": "SPOT"}


async def _logged_in(okx: Okx, path: str, *channels: str) -> aiohttp.ClientWebSocketResponse:
    """A connection to /ws/v5/<path>, logged in and subscribed to `channels` (SPOT)."""
    url = okx.running.urls["private_ws_url"].replace("/private", f"/{path}")
    ws = await okx.session.ws_connect(url)
    await ws.send_str(json.dumps(login(okx)))
    assert (await _frame(ws))["event"] == "login"
    for channel in channels:
        await ws.send_str(json.dumps({"op": "subscribe", "args": [{"channel": channel} | SPOT]}))
        reply = await _frame(ws)
        assert reply["event"] == "subscribe", reply
    return ws


def _iceberg(cl: str) -> dict[str, str]:
    return {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "iceberg",
            "sz": "0.003", "szLimit": "0.001", "pxLimit": "50000", "pxSpread": "0",
            "algoClOrdId": cl}  # fmt: skip


async def _pushes(ws: aiohttp.ClientWebSocketResponse, count: int) -> list[dict[str, Any]]:
    """The next `count` pushes' rows, each with the channel it came on."""
    frames = [await _frame(ws) for _ in range(count)]
    return [f["data"][0] | {"channel": f["arg"]["channel"]} for f in frames]


async def _quiet(ws: aiohttp.ClientWebSocketResponse) -> bool:
    """Nothing more is pushed (a ping's pong comes next)."""
    await ws.send_str("ping")
    return bool(await _frame(ws) == "pong")


async def test_an_iceberg_is_pushed_on_algo_advance_not_on_orders_algo(okx: Okx) -> None:
    business = await _logged_in(okx, "business", "orders-algo", "algo-advance")
    _, placed = await okx.call("POST", "/api/v5/trade/order-algo", _iceberg("ice1"))
    algo_id = placed["data"][0]["algoId"]
    (live,) = await _pushes(business, 1)
    assert (live["channel"], live["ordType"], live["state"]) == ("algo-advance", "iceberg", "live")
    assert (live["algoId"], live["algoClOrdId"], live["szLimit"]) == (algo_id, "ice1", "0.001")
    await okx.control("fill", {"symbol": "BTCUSDT", "orderId": int(algo_id), "qty": "0.001"})
    (part,) = await _pushes(business, 1)
    assert (part["channel"], part["actualSz"]) == ("algo-advance", "0.001")
    await okx.call(
        "POST", "/api/v5/trade/cancel-algos", [{"instId": "BTC-USDT", "algoId": algo_id}]
    )
    (gone,) = await _pushes(business, 1)
    assert (gone["channel"], gone["state"], gone["algoId"]) == ("algo-advance", "canceled", algo_id)
    assert await _quiet(business)  # nothing on orders-algo
    await business.close()


async def test_an_icebergs_resting_part_speaks_on_orders_naming_its_algo_order(okx: Okx) -> None:
    private = await _logged_in(okx, "private", "orders")
    _, placed = await okx.call("POST", "/api/v5/trade/order-algo", _iceberg("ice2"))
    algo_id = placed["data"][0]["algoId"]
    await okx.control("fill", {"symbol": "BTCUSDT", "orderId": int(algo_id), "qty": "0.001"})
    live, fill = await _pushes(private, 2)
    for row in (live, fill):
        assert (row["channel"], row["ordType"], row["clOrdId"]) == ("orders", "limit", "")
        assert (row["algoId"], row["algoClOrdId"]) == (algo_id, "ice2")
    assert live["state"] == "live" and fill["fillSz"] == "0.001" and fill["tradeId"]
    await private.close()


async def test_an_unfilled_triggered_stop_limit_is_effective_on_orders_algo_at_once(
    okx: Okx,
) -> None:
    business = await _logged_in(okx, "business", "orders-algo")
    private = await _logged_in(okx, "private", "orders")
    _, ticker = await okx.call("GET", "/api/v5/market/ticker?instId=BTC-USDT", key=None)
    last = float(ticker["data"][0]["last"])
    # a sell stop-limit far under the book: once triggered it rests, unfilled
    body = {"instId": "BTC-USDT", "tdMode": "cash", "side": "sell", "ordType": "trigger",
            "sz": "0.001", "triggerPx": str(round(last * 0.95)), "orderPx": str(round(last * 2)),
            "algoClOrdId": "stp1"}  # fmt: skip
    _, placed = await okx.call("POST", "/api/v5/trade/order-algo", body)
    algo_id = placed["data"][0]["algoId"]
    (live,) = await _pushes(business, 1)
    assert (live["channel"], live["state"]) == ("orders-algo", "live")
    await okx.control("price", {"symbol": "BTCUSDT", "price": str(round(last * 0.94))})
    (effective,) = await _pushes(business, 1)
    assert (effective["state"], effective["algoId"]) == ("effective", algo_id)
    assert effective["ordId"] and effective["ordId"] != algo_id
    (placed_order,) = await _pushes(private, 1)
    assert (placed_order["channel"], placed_order["state"]) == ("orders", "live")
    assert (placed_order["ordId"], placed_order["algoId"]) == (effective["ordId"], algo_id)
    assert placed_order["clOrdId"] == "" and placed_order["algoClOrdId"] == "stp1"
    assert await _quiet(business) and await _quiet(private)
    await business.close()
    await private.close()


async def test_subscribing_to_algo_advance_pushes_the_live_icebergs_first(okx: Okx) -> None:
    _, placed = await okx.call("POST", "/api/v5/trade/order-algo", _iceberg("ice3"))
    algo_id = placed["data"][0]["algoId"]
    await okx.call("POST", "/api/v5/trade/order", limit_buy("plain1", px="40000"))
    business = await _logged_in(okx, "business", "algo-advance")
    (live,) = await _pushes(business, 1)
    assert (live["channel"], live["algoId"], live["state"]) == ("algo-advance", algo_id, "live")
    assert live["algoClOrdId"] == "ice3" and live["ordType"] == "iceberg"
    assert await _quiet(business)  # the plain order is no algo order
    await business.close()
