"""The control API: clock, fills, prices, balances, faults, request counts, limits, reset."""

from __future__ import annotations

import dataclasses
from typing import Any

import aiohttp
import pytest

from tradeguard.sim import server
from tradeguard.sim.config import SimConfig
from tradeguard.sim.server import RunningSim

from .wire_client import WireClient


async def test_manual_clock(wire: WireClient) -> None:
    status, clock = await wire.control("GET", "clock")
    assert status == 200 and clock["mode"] == "manual"
    start = clock["now_ms"]
    _, moved = await wire.control("POST", "clock", {"advance_ms": 1500})
    assert moved["now_ms"] == start + 1500
    _, jumped = await wire.control("POST", "clock", {"set_ms": start + 10_000})
    assert jumped["now_ms"] == start + 10_000
    assert (await wire.get("/api/v3/time")).body["serverTime"] == start + 10_000


async def test_fill_price_and_balance(wire: WireClient, running_sim: RunningSim) -> None:
    placed = await wire.order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.002",
        price="50000",
        newClientOrderId="ctl-1",
    )
    status, fill = await wire.control(
        "POST", "fill", {"symbol": "BTCUSDT", "origClientOrderId": "ctl-1", "qty": "0.0005"}
    )
    assert status == 200
    assert [(t["price"], t["qty"]) for t in fill["trades"]] == [("50000.00000000", "0.00050000")]
    order = running_sim.engine.get_order("main", "BTCUSDT", placed.body["orderId"], None)
    assert order.status == "PARTIALLY_FILLED"

    _, price = await wire.control("POST", "price", {"symbol": "ETHUSDT", "price": "3100"})
    assert price == {"symbol": "ETHUSDT", "price": "3100.00000000"}
    ticker = await wire.get("/api/v3/ticker/price", {"symbol": "ETHUSDT"})
    assert ticker.body["price"] == "3100.00000000"

    _, balance = await wire.control("POST", "balance", {"asset": "BNB", "free": "2.5"})
    assert {"asset": "BNB", "free": "2.50000000", "locked": "0.00000000"} in balance["balances"]


@pytest.mark.parametrize(
    ("method", "path", "body", "says"),
    [
        ("POST", "clock", {"advance_ms": "soon"}, "whole number"),
        ("POST", "clock", {"advance_ms": 1, "set_ms": 2}, "exactly one"),
        ("POST", "clock", {"advance_ms": -5}, "≥ 0"),
        ("POST", "fill", {"symbol": "BTCUSDT", "qty": "1"}, "orderId"),
        ("POST", "fill", {"symbol": "BTCUSDT", "orderId": 999, "qty": "1"}, "Order does not exist"),
        ("POST", "fill", {"symbol": "BTCUSDT", "orderId": 1, "qty": 0.5}, "not a float"),
        ("POST", "price", {"symbol": "NOPE", "price": "1"}, "Invalid symbol"),
        ("POST", "price", {"symbol": "BTCUSDT"}, "price is missing"),
        ("POST", "balance", {"asset": "USDT", "free": "lots"}, "decimal"),
        ("POST", "faults", {"kind": "earthquake"}, "unknown fault kind"),
        ("POST", "faults", {"kind": "latency"}, "latency"),
        ("POST", "faults", [1, 2], "JSON object"),
        ("GET", "nothing", None, "Unknown endpoint"),
    ],
)
async def test_bad_control_input_says_what_to_do(
    wire: WireClient, method: str, path: str, body: Any, says: str
) -> None:
    status, reply = await wire.control(method, path, body)
    assert status in (400, 404)
    assert set(reply) <= {"error", "code"} and says in reply["error"]


async def test_broken_control_json(running_sim: RunningSim, http: aiohttp.ClientSession) -> None:
    async with http.post(f"{running_sim.control_url}/clock", data=b"{nope") as reply:
        assert reply.status == 400
        assert "JSON" in (await reply.json())["error"]


async def test_faults_list_add_and_clear(wire: WireClient) -> None:
    _, plan = await wire.control("POST", "faults", {"kind": "latency", "ms": 5})
    assert [(f["kind"], f["ms"]) for f in plan] == [("latency", 5)]
    _, listed = await wire.control("GET", "faults")
    assert listed == plan
    _, cleared = await wire.control("DELETE", "faults")
    assert cleared == []


async def test_requests_limits_and_reset(wire: WireClient, running_sim: RunningSim) -> None:
    await wire.get("/api/v3/ping")
    await wire.get("/api/v3/ping")
    await wire.get("/api/v3/time")
    _, counts = await wire.control("GET", "requests")
    assert counts == {"total": 3, "requests": {"GET /api/v3/ping": 2, "GET /api/v3/time": 1}}
    _, limits = await wire.control("GET", "limits")
    assert limits["ips"]["127.0.0.1"]["used_weight_1m"] == 3
    _, reset_counts = await wire.control("POST", "requests/reset")
    assert reset_counts == {"total": 0, "requests": {}}

    await wire.order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.001",
        price="50000",
    )
    assert running_sim.engine.open_orders("main", None)
    status, _ = await wire.control("POST", "reset")
    assert status == 200
    assert running_sim.engine.open_orders("main", None) == []
    _, after = await wire.control("GET", "limits")
    assert after["ips"] == {}


async def test_wall_clock_cannot_be_moved_by_hand(http: aiohttp.ClientSession) -> None:
    config = dataclasses.replace(SimConfig.default(seed=2), clock="wall")
    async with await server.start(config) as running:
        wire = WireClient(running, http)
        status, reply = await wire.control("POST", "clock", {"advance_ms": 10})
        assert status == 400 and "manual" in reply["error"]
        status, _ = await wire.control("POST", "clock", {"offset_ms": -3000})
        assert status == 200


async def test_stream_counts_and_unban(
    wire: WireClient, running_sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(f"{running_sim.stream_url}/btcusdt@trade"):
        _, streams = await wire.control("GET", "streams")
        assert streams == {"user_subscriptions": 0, "market_subscriptions": {"btcusdt@trade": 1}}
    status, limits = await wire.control("POST", "limits/unban")
    assert status == 200 and "ips" in limits
