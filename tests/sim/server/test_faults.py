"""Every fault kind, driven through the control API, as a client on the wire sees it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tradeguard.sim.server import RunningSim
from tradeguard.venues.binance import signing

from .wire_client import WireClient

TIMEOUT_S = 5
LIMIT = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.001",
    "price": "50000",
}


async def add_fault(wire: WireClient, **spec: Any) -> list[dict[str, Any]]:
    status, plan = await wire.control("POST", "faults", spec)
    assert status == 200, plan
    return list(plan)


def open_orders(running: RunningSim) -> list[str]:
    return [o.client_order_id for o in running.engine.open_orders("main", "BTCUSDT")]


# ── request faults ───────────────────────────────────────────────────────────────────────────


async def test_latency_delays_but_answers(wire: WireClient) -> None:
    await add_fault(wire, kind="latency", ms=20, path_prefix="/api/v3/time", count=1)
    reply = await wire.get("/api/v3/time")
    assert reply.status == 200
    _, plan = await wire.control("GET", "faults")
    assert plan == []  # its one request is done


async def test_error_reply_instead_of_handling(wire: WireClient, running_sim: RunningSim) -> None:
    await add_fault(
        wire, kind="error", http_status=503, method="POST", path_prefix="/api/v3/order", count=1
    )
    refused = await wire.order(**LIMIT, newClientOrderId="e-1")
    assert refused.status == 503
    assert refused.body == {
        "code": -1000,
        "msg": "Unknown error, please check your request or try again later.",
    }
    assert open_orders(running_sim) == []  # nothing was executed
    assert "X-MBX-USED-WEIGHT-1M" in refused.headers
    assert (await wire.order(**LIMIT, newClientOrderId="e-2")).status == 200


async def test_error_reply_with_code_and_html(wire: WireClient) -> None:
    await add_fault(wire, kind="error", http_status=408, path_prefix="/api/v3/account", count=1)
    timeout = await wire.get("/api/v3/account", key="trade-only", signed=True)
    assert (timeout.status, timeout.code) == (408, -1007)
    await add_fault(wire, kind="error", http_status=502, path_prefix="/api/v3/ping", count=1)
    gateway = await wire.get("/api/v3/ping")
    assert gateway.status == 502
    assert gateway.headers["Content-Type"].startswith("text/html")
    assert "502 Bad Gateway" in gateway.text


async def test_drop_before_execute(wire: WireClient, running_sim: RunningSim) -> None:
    await add_fault(wire, kind="drop_before_execute", path_prefix="/api/v3/order", count=1)
    with pytest.raises(aiohttp.ClientConnectionError):
        await wire.order(**LIMIT, newClientOrderId="lost-1")
    assert open_orders(running_sim) == []


async def test_drop_after_execute(wire: WireClient, running_sim: RunningSim) -> None:
    await add_fault(wire, kind="drop_after_execute", path_prefix="/api/v3/order", count=1)
    with pytest.raises(aiohttp.ClientConnectionError):
        await wire.order(**LIMIT, newClientOrderId="done-1")
    assert open_orders(running_sim) == ["done-1"]  # executed; only the reply was lost
    found = await wire.get(
        "/api/v3/order",
        {"symbol": "BTCUSDT", "origClientOrderId": "done-1"},
        key="trade-only",
        signed=True,
    )
    assert found.body["status"] == "NEW"


async def test_hold_after_execute(
    running_sim: RunningSim, http: aiohttp.ClientSession, wire: WireClient
) -> None:
    await add_fault(wire, kind="hold_after_execute", seconds=0.5, path_prefix="/api/v3/order")
    impatient = WireClient(running_sim, http)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await impatient.order(**LIMIT, newClientOrderId="held-1")
    assert open_orders(running_sim) == ["held-1"]


async def test_maintenance(wire: WireClient) -> None:
    await add_fault(wire, kind="maintenance")
    for reply in (await wire.get("/api/v3/ping"), await wire.order(**LIMIT)):
        assert reply.status == 503 and reply.code == -1000
    status = await wire.get("/sapi/v1/system/status")
    assert status.body == {"status": 1, "msg": "system_maintenance"}
    await wire.control("DELETE", "faults")
    assert (await wire.get("/api/v3/ping")).status == 200
    assert (await wire.get("/sapi/v1/system/status")).body["status"] == 0


async def test_clock_offset(wire: WireClient) -> None:
    before = wire.now_ms()
    status, clock = await wire.control("POST", "clock", {"offset_ms": 6000})
    assert (status, clock["offset_ms"]) == (200, 6000)
    assert (await wire.get("/api/v3/time")).body["serverTime"] == before + 6000
    # A caller whose clock is 6 s behind the exchange's is outside the default recvWindow.
    late = await wire.get("/api/v3/account", key="trade-only", signed=True, timestamp=before)
    assert (late.status, late.code) == (400, -1021)
    await wire.control("POST", "clock", {"offset_ms": 0})
    assert (await wire.get("/api/v3/time")).body["serverTime"] == before


# ── stream faults ────────────────────────────────────────────────────────────────────────────


@pytest.fixture
async def user_ws(
    running_sim: RunningSim, http: aiohttp.ClientSession
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    key = running_sim.key("trade-only")
    params: dict[str, Any] = {"apiKey": key.api_key, "timestamp": running_sim.sim.clock.now_ms()}
    params["signature"] = signing.sign(key.kind, key.secret, signing.ws_payload(params))
    async with http.ws_connect(running_sim.ws_api_url, autoping=False) as ws:
        await ws.send_json(
            {"id": 1, "method": "userDataStream.subscribe.signature", "params": params}
        )
        assert (await ws.receive_json(timeout=TIMEOUT_S))["status"] == 200
        yield ws


async def events(ws: aiohttp.ClientWebSocketResponse, count: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(count):
        frame = await ws.receive_json(timeout=TIMEOUT_S)
        out.append(frame["event"])
    return out


async def test_stream_drop(user_ws: aiohttp.ClientWebSocketResponse, wire: WireClient) -> None:
    await add_fault(wire, kind="stream_drop", channel="user", count=1)
    closed = await user_ws.receive(timeout=TIMEOUT_S)
    assert closed.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    _, plan = await wire.control("GET", "faults")
    assert plan == []


async def test_stream_terminate(
    user_ws: aiohttp.ClientWebSocketResponse, wire: WireClient, running_sim: RunningSim
) -> None:
    await add_fault(wire, kind="stream_terminate", channel="user", count=1)
    frame = await user_ws.receive_json(timeout=TIMEOUT_S)
    assert frame["subscriptionId"] == 0
    assert frame["event"]["e"] == "eventStreamTerminated" and frame["event"]["E"] > 0
    assert running_sim.user_stream_subscriptions() == 0
    await user_ws.send_json({"id": 2, "method": "ping"})
    assert (await user_ws.receive_json(timeout=TIMEOUT_S))["status"] == 200


async def test_stream_silence_discards_events_but_answers_pings(
    user_ws: aiohttp.ClientWebSocketResponse, wire: WireClient
) -> None:
    await add_fault(wire, kind="stream_silence", channel="user")
    await wire.order(**LIMIT, newClientOrderId="unheard")
    await user_ws.ping(b"still there?")
    pong = await user_ws.receive(timeout=TIMEOUT_S)
    assert (pong.type, pong.data) == (aiohttp.WSMsgType.PONG, b"still there?")
    await wire.control("DELETE", "faults")
    await wire.order(**LIMIT, newClientOrderId="heard")
    first = (await events(user_ws, 1))[0]
    assert first["c"] == "heard"  # the silenced events were discarded, not buffered


async def test_duplicate_next(user_ws: aiohttp.ClientWebSocketResponse, wire: WireClient) -> None:
    await add_fault(wire, kind="duplicate_next", channel="user", count=1)
    await wire.order(**LIMIT, newClientOrderId="twice")
    first, second, third = await events(user_ws, 3)
    assert first == second and first["c"] == "twice"
    assert third["e"] == "outboundAccountPosition"


async def test_reorder_next(user_ws: aiohttp.ClientWebSocketResponse, wire: WireClient) -> None:
    await add_fault(wire, kind="reorder_next", channel="user", count=2)
    await wire.order(**LIMIT, newClientOrderId="swapped")
    first, second = await events(user_ws, 2)
    assert (first["e"], second["e"]) == ("outboundAccountPosition", "executionReport")


async def test_market_stream_drop(
    running_sim: RunningSim, http: aiohttp.ClientSession, wire: WireClient
) -> None:
    async with http.ws_connect(f"{running_sim.stream_url}/btcusdt@trade") as ws:
        await add_fault(wire, kind="stream_drop", channel="market", count=1)
        closed = await ws.receive(timeout=TIMEOUT_S)
        assert closed.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
