"""Rate limits: weight per minute, 429 with Retry-After, 418 bans during which nothing is
handled (but everything is counted), and the order-count limits."""

from __future__ import annotations

import dataclasses

import aiohttp
import pytest

from tradeguard.sim.config import RateLimitSpec, SimConfig
from tradeguard.sim.server import RunningSim

from .wire_client import WireClient


@pytest.fixture
def sim_config(sim_config: SimConfig) -> SimConfig:
    limits = RateLimitSpec(request_weight_per_min=30, orders_per_10s=3)
    return dataclasses.replace(sim_config, limits=limits)


async def test_too_much_weight_then_a_ban(wire: WireClient, running_sim: RunningSim) -> None:
    info = await wire.get("/api/v3/exchangeInfo")  # weight 20 of 30
    assert info.status == 200
    assert info.body["rateLimits"][0]["limit"] == 30
    over = await wire.get("/api/v3/exchangeInfo")
    assert (over.status, over.code) == (429, -1003)
    assert over.msg.startswith("Too much request weight used; current limit is 30 request weight")
    assert over.headers["Retry-After"] == "60"  # until the minute's window resets
    assert over.headers["X-MBX-USED-WEIGHT-1M"] == "20"

    # Keeping going during the pause earns a ban: 418 with the ban's length.
    banned = await wire.get("/api/v3/ping")
    assert (banned.status, banned.code) == (418, -1003)
    assert banned.msg.startswith("Way too much request weight used; IP banned until ")
    assert banned.headers["Retry-After"] == "120"

    await wire.control("POST", "requests/reset")
    orders_before = running_sim.engine.open_orders("main", None)
    for _ in range(3):
        again = await wire.order(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="0.001",
            price="50000",
        )
        assert again.status == 418
    # Nothing was handled during the ban, but every request was counted on arrival.
    assert running_sim.engine.open_orders("main", None) == orders_before
    _, counts = await wire.control("GET", "requests")
    assert counts["requests"] == {"POST /api/v3/order": 3}
    _, limits = await wire.control("GET", "limits")
    assert limits["ips"]["127.0.0.1"]["banned_until_ms"] is not None

    # The ban ends with its Retry-After.
    await wire.control("POST", "clock", {"advance_ms": 120_000})
    assert (await wire.get("/api/v3/ping")).status == 200


async def test_websocket_api_is_banned_too(
    wire: WireClient, running_sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    await wire.get("/api/v3/exchangeInfo")
    await wire.get("/api/v3/exchangeInfo")  # 429
    await wire.get("/api/v3/exchangeInfo")  # 418: banned
    async with http.get(running_sim.ws_api_url.replace("ws://", "http://")) as reply:
        assert reply.status == 418
        assert (await reply.json())["code"] == -1003


async def test_order_count_limit(wire: WireClient) -> None:
    await wire.control("POST", "clock", {"set_ms": wire.now_ms() + 60_000})  # fresh windows
    for n in range(3):
        ok = await wire.order(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="0.001",
            price="50000",
        )
        assert ok.headers["X-MBX-ORDER-COUNT-10S"] == str(n + 1)
    refused = await wire.order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.001",
        price="50000",
    )
    assert (refused.status, refused.code) == (429, -1015)
    assert refused.msg == "Too many new orders; current limit is 3 orders per 10 SECOND."
    assert "Retry-After" in refused.headers


async def test_unban_lifts_a_ban(wire: WireClient) -> None:
    for _ in range(3):
        last = await wire.get("/api/v3/exchangeInfo")
    assert last.status == 418
    status, _ = await wire.control("POST", "limits/unban")
    assert status == 200
    assert (await wire.get("/api/v3/ping")).status == 200
