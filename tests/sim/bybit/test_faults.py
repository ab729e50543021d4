"""The simulator's faults on the Bybit dialect, added through the same control API: latency, a
gateway 5xx, an order executed whose reply is lost, a rate-limit answer, maintenance, a clock
offset, and on /v5/private a dropped connection, a duplicated and a reordered event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from .bybit_client import BybitClient
from .test_private_ws import Ws, listening

ORDER = {"side": "Buy", "orderType": "Limit", "qty": "0.001", "price": "50000"}


@pytest.fixture
async def ws(bybit: BybitClient) -> AsyncIterator[Ws]:
    async with bybit.http.ws_connect(bybit.running.urls["private_ws_url"]) as conn:
        yield Ws(conn)


async def test_latency_delays_but_answers(bybit: BybitClient) -> None:
    await bybit.control(
        "faults", {"kind": "latency", "ms": 20, "path_prefix": "/v5/market", "count": 1}
    )
    assert (await bybit.public("/v5/market/time")).code == 0
    async with bybit.http.get(f"{bybit.running.control_url}/faults") as r:
        assert await r.json() == []  # the one delayed request used the fault up


async def test_a_5xx_is_a_gateway_page_and_nothing_is_placed(bybit: BybitClient) -> None:
    await bybit.control(
        "faults", {"kind": "error", "http_status": 502, "path_prefix": "/v5/order", "count": 1}
    )
    reply = await bybit.create(**ORDER)
    assert reply.status == 502
    assert reply.headers["Content-Type"].startswith("text/html")
    assert bybit.running.sim.engine.open_orders("main", None) == []


async def test_a_fault_with_a_bybit_code_answers_that_code(bybit: BybitClient) -> None:
    fault = {
        "kind": "error",
        "http_status": 400,
        "code": 170131,
        "msg": "Insufficient balance.",
        "count": 1,
    }
    await bybit.control("faults", fault)
    reply = await bybit.create(**ORDER)
    assert (reply.status, reply.code) == (400, 170131)


async def test_a_429_fault_is_10006(bybit: BybitClient) -> None:
    await bybit.control("faults", {"kind": "error", "http_status": 429, "count": 1})
    reply = await bybit.get("/v5/account/wallet-balance", accountType="UNIFIED")
    assert (reply.status, reply.code) == (429, 10006)


async def test_a_lost_reply_leaves_the_order_findable_by_its_link_id(bybit: BybitClient) -> None:
    fault = {
        "kind": "drop_after_execute",
        "method": "POST",
        "path_prefix": "/v5/order/create",
        "count": 1,
    }
    await bybit.control("faults", fault)
    with pytest.raises(aiohttp.ClientError):
        await bybit.create(**ORDER, orderLinkId="lost-1")
    found = await bybit.get(
        "/v5/order/realtime", category="spot", symbol="BTCUSDT", orderLinkId="lost-1"
    )
    assert [(o["orderLinkId"], o["orderStatus"]) for o in found.result["list"]] == [
        ("lost-1", "New")
    ]
    assert bybit.running.requests.counts["POST /v5/order/create"] == 1


async def test_maintenance_answers_503_everywhere(bybit: BybitClient) -> None:
    await bybit.control("faults", {"kind": "maintenance"})
    assert (await bybit.public("/v5/market/time")).status == 503


async def test_a_clock_offset_makes_a_fresh_timestamp_stale(bybit: BybitClient) -> None:
    bybit.ts_shift_ms = 0
    sent_at = bybit.now_ms()
    await bybit.control("clock", {"offset_ms": 6_000})
    bybit.ts_shift_ms = sent_at - bybit.now_ms()  # the caller's clock did not move
    reply = await bybit.get("/v5/account/wallet-balance", accountType="UNIFIED")
    assert reply.code == 10002


async def test_stream_drop_cuts_the_private_socket(bybit: BybitClient, ws: Ws) -> None:
    await listening(bybit, ws, "order")
    await bybit.control("faults", {"kind": "stream_drop", "channel": "user", "count": 1})
    message = await asyncio.wait_for(ws.ws.receive(), 5)
    assert message.type in (
        aiohttp.WSMsgType.CLOSED,
        aiohttp.WSMsgType.ERROR,
        aiohttp.WSMsgType.CLOSE,
    )


async def test_duplicate_next_sends_an_event_twice(bybit: BybitClient, ws: Ws) -> None:
    await listening(bybit, ws, "order")
    await bybit.control("faults", {"kind": "duplicate_next", "channel": "user", "count": 1})
    await bybit.create(**ORDER)
    first, second = await ws.receive(), await ws.receive()
    assert first == second and first["data"][0]["orderStatus"] == "New"


async def test_reorder_next_swaps_partial_and_final_fill(bybit: BybitClient, ws: Ws) -> None:
    await listening(bybit, ws, "order")
    placed = await bybit.create(**{**ORDER, "qty": "0.002"})
    assert (await ws.receive())["data"][0]["orderStatus"] == "New"
    await bybit.control("faults", {"kind": "reorder_next", "channel": "user", "count": 2})
    order_id = int(placed.result["orderId"])
    for qty in ("0.001", "0.001"):
        await bybit.control("fill", {"symbol": "BTCUSDT", "orderId": order_id, "qty": qty})
    statuses = [(await ws.receive())["data"][0]["orderStatus"] for _ in range(2)]
    assert statuses == ["Filled", "PartiallyFilled"]
