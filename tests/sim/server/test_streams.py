"""Market streams (raw, combined, live SUBSCRIBE) and the legacy listenKey user stream."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import aiohttp

from tradeguard.sim import server
from tradeguard.sim.config import SimConfig
from tradeguard.sim.server import RunningSim

from .wire_client import WireClient

TIMEOUT_S = 5


async def frame(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    data: dict[str, Any] = await ws.receive_json(timeout=TIMEOUT_S)
    return data


async def market_buy(wire: WireClient, qty: str = "0.001") -> None:
    reply = await wire.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=qty)
    assert reply.status == 200, reply.text


async def test_raw_trade_stream(
    running_sim: RunningSim, http: aiohttp.ClientSession, wire: WireClient
) -> None:
    async with http.ws_connect(f"{running_sim.stream_url}/btcusdt@trade") as ws:
        await market_buy(wire)
        trade = await frame(ws)
        assert (trade["e"], trade["s"]) == ("trade", "BTCUSDT")
        assert {"t", "p", "q", "T", "m"} <= set(trade)


async def test_combined_streams_are_wrapped(
    running_sim: RunningSim, http: aiohttp.ClientSession, wire: WireClient
) -> None:
    url = running_sim.base_url.replace("http", "ws") + "/stream?streams=btcusdt@bookTicker"
    async with http.ws_connect(url) as ws:
        await wire.control("POST", "price", {"symbol": "BTCUSDT", "price": "61000"})
        ticker = await frame(ws)
        assert ticker["stream"] == "btcusdt@bookTicker"
        assert ticker["data"]["s"] == "BTCUSDT" and {"b", "B", "a", "A"} <= set(ticker["data"])


async def test_live_subscribe_list_and_unsubscribe(
    running_sim: RunningSim, http: aiohttp.ClientSession, wire: WireClient
) -> None:
    async with http.ws_connect(running_sim.stream_url) as ws:
        await ws.send_json({"method": "SUBSCRIBE", "params": ["BTCUSDT@trade"], "id": 1})
        assert await frame(ws) == {"result": None, "id": 1}
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 2})
        assert await frame(ws) == {"result": ["btcusdt@trade"], "id": 2}
        await market_buy(wire)
        assert (await frame(ws))["e"] == "trade"
        await ws.send_json({"method": "UNSUBSCRIBE", "params": ["btcusdt@trade"], "id": 3})
        assert await frame(ws) == {"result": None, "id": 3}


async def test_a_path_that_names_no_stream_is_a_market_connection_to_subscribe_on(
    running_sim: RunningSim, http: aiohttp.ClientSession, wire: WireClient
) -> None:
    # ccxt.pro connects to stream_url + "/<n>" ("/ws/0") and then sends SUBSCRIBE.
    async with http.ws_connect(f"{running_sim.stream_url}/0") as ws:
        await ws.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 1})
        assert await frame(ws) == {"result": None, "id": 1}
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 2})
        assert await frame(ws) == {"result": ["btcusdt@trade"], "id": 2}
        await market_buy(wire)
        assert (await frame(ws))["e"] == "trade"


async def test_unknown_stream_or_listen_key_is_refused_before_upgrade(
    running_sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    root = running_sim.base_url
    async with http.get(f"{root}/ws/nopeusdt@trade") as reply:
        assert reply.status == 400 and (await reply.json())["code"] == -1100
    async with http.get(f"{root}/ws/{'k' * 64}") as reply:
        assert reply.status == 400
        assert await reply.json() == {"code": -1125, "msg": "This listenKey does not exist."}


async def test_listen_key_stream_delivers_events_until_closed(
    running_sim: RunningSim, http: aiohttp.ClientSession, wire: WireClient
) -> None:
    listen_key = (await wire.post("/api/v3/userDataStream", key="trade-only")).body["listenKey"]
    async with http.ws_connect(f"{running_sim.stream_url}/{listen_key}") as ws:
        assert running_sim.user_stream_subscriptions() == 1
        await market_buy(wire)
        events = [await frame(ws)]
        while events[-1]["e"] != "outboundAccountPosition":
            events.append(await frame(ws))
        reports = [e["X"] for e in events if e["e"] == "executionReport"]
        assert reports[0] == "NEW" and reports[-1] == "FILLED"
        await wire.delete("/api/v3/userDataStream", {"listenKey": listen_key}, key="trade-only")
        closed = await ws.receive(timeout=TIMEOUT_S)
        assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert running_sim.user_stream_subscriptions() == 0


async def test_listen_key_expires_after_an_hour_without_keepalive(
    running_sim: RunningSim, http: aiohttp.ClientSession, wire: WireClient
) -> None:
    listen_key = (await wire.post("/api/v3/userDataStream", key="trade-only")).body["listenKey"]
    url = running_sim.base_url.replace("http", "ws") + f"/stream?streams={listen_key}"
    async with http.ws_connect(url) as ws:
        await wire.control("POST", "clock", {"advance_ms": 60 * 60_000})
        expired = await frame(ws)
        assert expired["stream"] == listen_key
        assert expired["data"]["e"] == "listenKeyExpired"
        assert expired["data"]["listenKey"] == listen_key


async def test_wall_clock_market_moves_without_any_request(http: aiohttp.ClientSession) -> None:
    # On the wall clock a background ticker advances the engine, so streams flow by themselves.
    config = SimConfig.default(seed=4, clock="wall")
    config.market = dataclasses.replace(config.market, step_ms=20, volatility_bps=Decimal(50))
    async with (
        await server.start(config) as running,
        http.ws_connect(f"{running.stream_url}/btcusdt@bookTicker") as ws,
    ):
        ticker = await frame(ws)
        assert ticker["s"] == "BTCUSDT" and {"b", "a"} <= set(ticker)
        assert running.requests.to_json()["requests"] == {"GET /ws/btcusdt@bookTicker": 1}
