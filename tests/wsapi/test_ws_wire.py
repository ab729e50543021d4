"""The order wire's own rules, on a fake clock: connects back off with full jitter under a
growing ceiling, and a connect that works resets it; a frame is REST's request signed as the
WebSocket API wants it; a reply reads as REST's response."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal

import msgspec
import pytest

from tests.wsapi.conftest import served_ws
from tradeguard.keys.credentials import ApiCredentials, Secret
from tradeguard.model import OrderType, Side
from tradeguard.net.clock import FakeClock
from tradeguard.net.httpclient import NeverSent
from tradeguard.sim.server import RunningSim
from tradeguard.venues.binance import endpoints, signing
from tradeguard.venues.binance.wsapi import WsApiConfig, WsOrderWire
from tradeguard.venues.binance.wsapi_frames import as_response, decode_reply, request_frame

CONFIG = WsApiConfig(backoff_base_s=0.25, backoff_cap_s=1.0)
CREDS = ApiCredentials("k" * 64, Secret("s" * 64))


async def test_failed_connects_back_off_under_a_growing_ceiling(
    running_sim: RunningSim,
) -> None:
    clock = FakeClock()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    wire = WsOrderWire(
        "ws://127.0.0.1:9/ws-api/v3", config=CONFIG, clock=clock, rng=random.Random(1), sleep=sleep
    )
    request = endpoints.get_order("BTCUSDT", client_order_id="x")
    for _ in range(5):
        with pytest.raises(NeverSent):
            await wire.send(request, CREDS, 5000, clock.wall_ms)
    assert wire.failed_connects == 5 and wire.connections == 0
    # the first connect waits for nothing; each later one up to 0.25, 0.5, 1, 1 (the cap) s
    assert len(slept) == 4
    for waited, ceiling in zip(slept, (0.25, 0.5, 1.0, 1.0), strict=True):
        assert 0 < waited <= ceiling
    wire.url = running_sim.ws_api_url
    reply = await wire.send(request, CREDS, 5000, clock.wall_ms)
    assert reply.status == 401  # an unknown key, answered: the connection works
    assert (wire.failed_connects, wire.connections) == (0, 1)
    await wire.close()


def test_a_frame_is_rest_params_signed_over_the_sorted_payload() -> None:
    request = endpoints.cancel_order("BTCUSDT", client_order_id="c-1")
    frame = msgspec.json.decode(
        request_frame(7, "order.cancel", request, CREDS.api_key, CREDS.sign, 5000, 1234)
    )
    params = frame["params"]
    assert (frame["id"], frame["method"]) == (7, "order.cancel")
    assert (params["symbol"], params["origClientOrderId"]) == ("BTCUSDT", "c-1")
    assert (params["apiKey"], params["recvWindow"], params["timestamp"]) == (
        CREDS.api_key,
        5000,
        1234,
    )
    assert params["signature"] == CREDS.sign(signing.ws_payload(params))


def test_a_reply_reads_as_rest_would_have_answered() -> None:
    banned = decode_reply(
        b'{"id":3,"status":418,"error":{"code":-1003,"msg":"banned",'
        b'"data":{"serverTime":1000,"retryAfter":121000}},"rateLimits":['
        b'{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,"count":9},'
        b'{"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":50,"count":2}]}'
    )
    response = as_response(banned)
    assert response.status == 418
    assert msgspec.json.decode(response.body)["code"] == -1003
    assert response.headers == {
        "x-mbx-used-weight-1m": "9",
        "x-mbx-order-count-10s": "2",
        "retry-after": "120.000",
    }
    ok = as_response(decode_reply(b'{"id":4,"status":200,"result":{"orderId":5},"rateLimits":[]}'))
    assert (ok.status, msgspec.json.decode(ok.body)) == (200, {"orderId": 5})


async def test_a_connection_is_left_before_its_24_hours_a_planned_reconnect(
    running_sim: RunningSim,
) -> None:
    """On a fake clock: a connection as old as max_connection_s takes no new request; the next
    one opens a new connection (planned, not a failure) and the old one is closed."""
    clock = FakeClock()
    config = WsApiConfig(max_connection_s=23 * 3600.0)
    wire = WsOrderWire(running_sim.ws_api_url, config=config, clock=clock)
    request = endpoints.get_order("BTCUSDT", client_order_id="x")
    assert (await wire.send(request, CREDS, 5000, clock.wall_ms)).status == 401
    clock.advance(23 * 3600.0 - 1)
    assert (await wire.send(request, CREDS, 5000, clock.wall_ms)).status == 401
    assert (wire.connections, wire.planned_reconnects) == (1, 0)
    clock.advance(1)
    assert (await wire.send(request, CREDS, 5000, clock.wall_ms)).status == 401
    assert (wire.connections, wire.planned_reconnects, wire.failed_connects) == (2, 1, 0)
    await wire.close()


async def test_a_reply_that_never_comes_is_no_answer_at_its_own_deadline() -> None:
    """Each request in flight has its own reply timeout: one never answered is NoAnswer after
    reply_timeout_s, while a later one answered meanwhile is read; a third never answered,
    sent after the first timed out, times out as well."""
    import asyncio
    import json

    from aiohttp import web

    from tradeguard.net.httpclient import NoAnswer

    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            frame = json.loads(message.data)
            if frame["params"]["origClientOrderId"] == "answered":
                await ws.send_str(json.dumps({"id": frame["id"], "status": 200, "result": {}}))
        return ws

    runner, url = await served_ws("/ws-api/v3", handle)
    wire = WsOrderWire(url, config=WsApiConfig(reply_timeout_s=0.3))

    async def ask(coid: str) -> int:
        request = endpoints.get_order("BTCUSDT", client_order_id=coid)
        return (await wire.send(request, CREDS, 5000, lambda: 1)).status

    try:
        lost = asyncio.create_task(ask("lost"))
        await asyncio.sleep(0.1)
        assert await ask("answered") == 200
        assert not lost.done()  # its own deadline is not the answered one's
        with pytest.raises(NoAnswer, match=r"within 0\.3 s"):
            await lost
        with pytest.raises(NoAnswer, match=r"within 0\.3 s"):
            await ask("lost too")
    finally:
        await wire.close()
        await runner.cleanup()


class _QuietSocket:
    """A connection that takes frames and never answers."""

    closed = False

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send_text(self, frame: bytes) -> None:
        self.sent.append(frame)

    async def close(self) -> None:
        self.closed = True


async def test_a_send_cancelled_as_its_connection_opens_sends_nothing() -> None:
    # On Python 3.11 asyncio.wait_for returned the connection to a caller cancelled in the turn
    # it opened, and the order went out of a call its bot had cancelled.
    loop = asyncio.get_running_loop()
    opened: asyncio.Future[None] = loop.create_future()
    socket = _QuietSocket()

    async def dial(url: str, *callbacks: object) -> _QuietSocket:
        await opened
        return socket

    wire = WsOrderWire("ws://fake/ws-api/v3", config=CONFIG, dial=dial)  # type: ignore[arg-type]
    order = endpoints.new_order(
        endpoints.NewOrder("BTCUSDT", Side.BUY, OrderType.MARKET, "c-1", quantity=Decimal(1))
    )
    sending = asyncio.ensure_future(wire.send(order, CREDS, 5000, lambda: 1))
    for _ in range(3):  # the send reaches its connect
        await asyncio.sleep(0)
    opened.set_result(None)
    sending.cancel()
    for _ in range(5):
        await asyncio.sleep(0)
    assert socket.sent == []
    assert sending.cancelled()
    await wire.close()
