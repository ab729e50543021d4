"""The fault plan on the OKX dialect, and its private WebSocket: login, orders, ping."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from tradeguard.sim.okx.auth import sign

from .conftest import START_MS, Okx, limit_buy


async def test_an_error_fault_is_said_in_okx_codes(okx: Okx) -> None:
    okx.sim.add_fault({"kind": "error", "http_status": 500, "count": 1})
    status, body = await okx.call("GET", "/api/v5/account/balance")
    assert (status, body["code"]) == (500, "50026")
    okx.sim.add_fault({"kind": "error", "http_status": 429, "count": 1})
    status, body = await okx.call("GET", "/api/v5/account/balance")
    assert (status, body["code"]) == (429, "50011")
    okx.sim.add_fault({"kind": "maintenance"})
    status, body = await okx.call("GET", "/api/v5/public/time", key=None)
    assert (status, body["code"]) == (503, "50001")


async def test_a_dropped_reply_after_placing_leaves_the_order_queryable(okx: Okx) -> None:
    okx.sim.add_fault(
        {"kind": "drop_after_execute", "path_prefix": "/api/v5/trade/batch-orders", "count": 1}
    )
    with pytest.raises(aiohttp.ClientError):
        await okx.call("POST", "/api/v5/trade/batch-orders", [limit_buy("lost1")])
    _, body = await okx.call("GET", "/api/v5/trade/order?instId=BTC-USDT&clOrdId=lost1")
    assert (body["code"], body["data"][0]["state"]) == ("0", "live")


async def test_latency_delays_the_reply(okx: Okx) -> None:
    okx.sim.add_fault({"kind": "latency", "ms": 200, "count": 1})
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(okx.call("GET", "/api/v5/public/time", key=None), 0.05)


async def test_a_clock_offset_makes_a_synced_timestamp_expire(okx: Okx) -> None:
    before = okx.sim.clock.now_ms()
    await okx.control("clock", {"offset_ms": 60_000})
    status, body = await okx.call("GET", "/api/v5/account/balance", ts_ms=before)
    assert (status, body["code"]) == (401, "50102")


# ── the private WebSocket ───────────────────────────────────────────────────────────────────


def login(okx: Okx, name: str = "trade-only", secret: str | None = None) -> dict[str, Any]:
    k = okx.key(name)
    ts = str(START_MS // 1000)
    signature = sign(secret or k["secret"], ts + "GET/users/self/verify")
    arg = {
        "apiKey": k["api_key"],
        "passphrase": k["passphrase"],
        "timestamp": ts,
        "sign": signature,
    }
    return {"op": "login", "args": [arg]}


SUBSCRIBE = {"op": "subscribe", "args": [{"channel": "orders", "instType": "SPOT"}]}


async def _frame(ws: aiohttp.ClientWebSocketResponse) -> Any:
    message = await asyncio.wait_for(ws.receive(), 5)
    assert message.type is aiohttp.WSMsgType.TEXT, message
    return message.data if message.data == "pong" else json.loads(message.data)


async def _subscribed(okx: Okx) -> aiohttp.ClientWebSocketResponse:
    ws = await okx.session.ws_connect(okx.running.urls["private_ws_url"])
    await ws.send_str(json.dumps(login(okx)))
    assert (await _frame(ws))["event"] == "login"
    await ws.send_str(json.dumps(SUBSCRIBE))
    assert (await _frame(ws))["event"] == "subscribe"
    return ws


async def test_ping_is_answered_with_the_text_pong(okx: Okx) -> None:
    ws = await okx.session.ws_connect(okx.running.urls["private_ws_url"])
    await ws.send_str("ping")
    assert await _frame(ws) == "pong"
    await ws.close()


async def test_a_bad_login_and_a_subscribe_before_login_are_error_events(okx: Okx) -> None:
    ws = await okx.session.ws_connect(okx.running.urls["private_ws_url"])
    await ws.send_str(json.dumps(SUBSCRIBE))
    assert (await _frame(ws))["code"] == "60011"
    await ws.send_str(json.dumps(login(okx, secret="wrong")))
    reply = await _frame(ws)
    assert (reply["event"], reply["code"]) == ("error", "60007")
    await ws.close()


async def test_fills_are_pushed_with_their_trade_ids_in_engine_order(okx: Okx) -> None:
    ws = await _subscribed(okx)
    _, placed = await okx.call("POST", "/api/v5/trade/order", limit_buy("ws1", sz="0.002"))
    ord_id = int(placed["data"][0]["ordId"])
    new = (await _frame(ws))["data"][0]
    assert (new["state"], new["tradeId"], new["clOrdId"]) == ("live", "", "ws1")
    for _ in range(2):
        await okx.control("fill", {"symbol": "BTCUSDT", "orderId": ord_id, "qty": "0.001"})
    first, second = (await _frame(ws))["data"][0], (await _frame(ws))["data"][0]
    assert (first["state"], second["state"]) == ("partially_filled", "filled")
    assert int(first["tradeId"]) < int(second["tradeId"])
    assert first["fillSz"] == "0.001" and first["execType"] == "M"
    assert first["fillFee"].startswith("-")  # a charge is negative on OKX's WebSocket
    await ws.close()


async def test_stream_faults_duplicate_reorder_and_drop(okx: Okx) -> None:
    ws = await _subscribed(okx)
    okx.sim.add_fault({"kind": "duplicate_next", "channel": "user", "count": 1})
    await okx.call("POST", "/api/v5/trade/order", limit_buy("dup1"))
    one, two = await _frame(ws), await _frame(ws)
    assert one == two
    okx.sim.add_fault({"kind": "reorder_next", "channel": "user", "count": 2})
    _, placed = await okx.call("POST", "/api/v5/trade/order", limit_buy("ro1", sz="0.002"))
    await okx.control(
        "fill", {"symbol": "BTCUSDT", "orderId": int(placed["data"][0]["ordId"]), "qty": "0.001"}
    )
    first, second = (await _frame(ws))["data"][0], (await _frame(ws))["data"][0]
    assert (first["state"], second["state"]) == ("partially_filled", "live")
    okx.sim.add_fault({"kind": "stream_drop", "channel": "user", "count": 1})
    message = await asyncio.wait_for(ws.receive(), 5)
    assert message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
