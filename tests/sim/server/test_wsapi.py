"""The WebSocket API: requests and replies, user-data subscriptions, and their events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tradeguard.sim.server import RunningSim
from tradeguard.venues.binance import signing

from .wire_client import WireClient

TIMEOUT_S = 5


@pytest.fixture
async def ws(
    running_sim: RunningSim, http: aiohttp.ClientSession
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    async with http.ws_connect(running_sim.ws_api_url) as socket:
        yield socket


def subscribe_params(
    running: RunningSim, key_name: str = "trade-only", **extra: Any
) -> dict[str, Any]:
    key = running.key(key_name)
    params: dict[str, Any] = {"apiKey": key.api_key, "timestamp": running.sim.clock.now_ms()}
    params.update(extra)
    params["signature"] = signing.sign(key.kind, key.secret, signing.ws_payload(params))
    return params


async def call(
    ws: aiohttp.ClientWebSocketResponse, method: str, params: Any = None, request_id: Any = 1
) -> dict[str, Any]:
    request: dict[str, Any] = {"id": request_id, "method": method}
    if params is not None:
        request["params"] = params
    await ws.send_json(request)
    while True:  # events may arrive before the reply; a reply is the frame with a status
        reply: dict[str, Any] = await ws.receive_json(timeout=TIMEOUT_S)
        if "status" in reply:
            return reply


async def next_frame(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    frame: dict[str, Any] = await ws.receive_json(timeout=TIMEOUT_S)
    return frame


async def reports(ws: aiohttp.ClientWebSocketResponse, count: int) -> list[dict[str, Any]]:
    """The next `count` executionReports (other events are skipped)."""
    out: list[dict[str, Any]] = []
    while len(out) < count:
        frame = await next_frame(ws)
        if frame["event"]["e"] == "executionReport":
            out.append(frame["event"])
    return out


async def test_ping_time_and_rate_limits(ws: aiohttp.ClientWebSocketResponse) -> None:
    pong = await call(ws, "ping", request_id="a")
    assert (pong["id"], pong["status"], pong["result"]) == ("a", 200, {})
    limits = pong["rateLimits"][0]
    assert limits["rateLimitType"] == "REQUEST_WEIGHT" and limits["count"] >= 1
    time = await call(ws, "time", request_id=2)
    assert time["result"]["serverTime"] > 0


async def test_subscribe_events_and_unsubscribe(
    ws: aiohttp.ClientWebSocketResponse, wire: WireClient, running_sim: RunningSim
) -> None:
    subscribed = await call(ws, "userDataStream.subscribe.signature", subscribe_params(running_sim))
    assert subscribed["status"] == 200, subscribed
    sid = subscribed["result"]["subscriptionId"]
    assert sid == 0
    assert running_sim.user_stream_subscriptions() == 1

    placed = await wire.order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.004",
        price="50000",
        newClientOrderId="ws-1",
    )
    order_id = placed.body["orderId"]
    frame = await next_frame(ws)
    assert frame["subscriptionId"] == sid
    new = frame["event"]
    assert (new["e"], new["x"], new["X"], new["c"], new["i"]) == (
        "executionReport",
        "NEW",
        "NEW",
        "ws-1",
        order_id,
    )

    for qty in ("0.001", "0.003"):
        status, _ = await wire.control(
            "POST", "fill", {"symbol": "BTCUSDT", "orderId": order_id, "qty": qty}
        )
        assert status == 200
    partial, filled = await reports(ws, 2)
    assert (partial["x"], partial["X"], partial["l"], partial["z"]) == (
        "TRADE",
        "PARTIALLY_FILLED",
        "0.00100000",
        "0.00100000",
    )
    assert (filled["X"], filled["z"]) == ("FILLED", "0.00400000")
    assert filled["m"] is True and filled["t"] > partial["t"]

    gone = await call(ws, "userDataStream.unsubscribe", {"subscriptionId": sid})
    assert (gone["status"], gone["result"]) == (200, {})
    assert running_sim.user_stream_subscriptions() == 0
    unknown = await call(ws, "userDataStream.unsubscribe", {"subscriptionId": 7})
    assert unknown["status"] == 400 and unknown["error"]["code"] == -1130


async def test_balance_events(
    ws: aiohttp.ClientWebSocketResponse, wire: WireClient, running_sim: RunningSim
) -> None:
    await call(ws, "userDataStream.subscribe.signature", subscribe_params(running_sim))
    await wire.control("POST", "balance", {"asset": "USDT", "free": "123.5"})
    events = {(await next_frame(ws))["event"]["e"] for _ in range(2)}
    assert events == {"balanceUpdate", "outboundAccountPosition"}


async def test_ed25519_subscribe_and_recv_window(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim
) -> None:
    params = subscribe_params(running_sim, "trade-only-ed25519", recvWindow=10000)
    reply = await call(ws, "userDataStream.subscribe.signature", params)
    assert reply["status"] == 200, reply


async def test_subscribe_refusals(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim
) -> None:
    bad = subscribe_params(running_sim)
    bad["signature"] = "0" * 64
    reply = await call(ws, "userDataStream.subscribe.signature", bad)
    assert reply["status"] == 400
    assert reply["error"] == {"code": -1022, "msg": "Signature for this request is not valid."}
    stale = subscribe_params(running_sim)
    stale["timestamp"] -= 60_000
    stale = subscribe_params(running_sim, timestamp=stale["timestamp"])
    assert (await call(ws, "userDataStream.subscribe.signature", stale))["error"]["code"] == -1021
    missing = await call(ws, "userDataStream.subscribe.signature", {"timestamp": 1})
    assert missing["error"]["code"] == -1102
    unknown = await call(ws, "userDataStream.subscribe.signature", {"apiKey": "Z" * 64})
    assert (unknown["status"], unknown["error"]["code"]) == (401, -2015)


@pytest.mark.parametrize(
    "frame",
    [
        "{not json",
        "[1, 2, 3]",
        '"just a string"',
        '{"id": 1}',
        '{"id": 1, "method": 5}',
        '{"id": 1, "method": "ping", "params": [1]}',
        '{"id": [1], "method": "ping"}',
    ],
)
async def test_malformed_frames_get_an_error_and_the_connection_stays(
    ws: aiohttp.ClientWebSocketResponse, frame: str
) -> None:
    await ws.send_str(frame)
    reply = await next_frame(ws)
    assert reply["status"] == 400
    assert isinstance(reply["error"]["code"], int) and reply["error"]["msg"]
    assert (await call(ws, "ping"))["status"] == 200


async def test_unknown_method(ws: aiohttp.ClientWebSocketResponse) -> None:
    reply = await call(ws, "order.teleport", {}, request_id="x")
    assert (reply["id"], reply["status"]) == ("x", 400)
    assert "order.teleport" in reply["error"]["msg"]
    await ws.send_bytes(b"\xff\xfe binary")
    assert (await next_frame(ws))["status"] == 400


async def test_session_status_and_subscriptions(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim
) -> None:
    await call(ws, "userDataStream.subscribe.signature", subscribe_params(running_sim))
    await call(ws, "userDataStream.subscribe.signature", subscribe_params(running_sim))
    listed = await call(ws, "session.subscriptions")
    assert listed["result"] == [{"subscriptionId": 0}, {"subscriptionId": 1}]
    status = await call(ws, "session.status")
    assert status["result"]["userDataStream"] is True
    everything = await call(ws, "userDataStream.unsubscribe", {})
    assert everything["result"] == {}
    assert running_sim.user_stream_subscriptions() == 0


async def test_requests_are_counted(ws: aiohttp.ClientWebSocketResponse, wire: WireClient) -> None:
    await call(ws, "ping")
    await ws.send_str("nope")
    await next_frame(ws)
    _, counts = await wire.control("GET", "requests")
    assert counts["requests"]["WS ping"] == 1
    assert counts["requests"]["WS <malformed>"] == 1
    assert counts["requests"]["GET /ws-api/v3"] == 1
