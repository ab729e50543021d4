"""The Bybit dialect's public WebSocket: a book's snapshot then deltas numbered by `u`, so a lost
message shows as a jump; trades; refusals; the market stream faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tradeguard.sim.bybit import public_ws
from tradeguard.sim.server import RunningSim

from .bybit_client import BybitClient

TOPIC = "orderbook.50.BTCUSDT"


@pytest.fixture
async def ws(
    running_sim: RunningSim, http: aiohttp.ClientSession
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    url = running_sim.base_url.replace("http", "ws", 1) + public_ws.PATH
    async with http.ws_connect(url) as socket:
        yield socket


async def _next(ws: aiohttp.ClientWebSocketResponse) -> Any:
    return await ws.receive_json(timeout=5)


async def _moved(bybit: BybitClient, price: str) -> None:
    """The reference price moves and the 100 ms depth period passes."""
    await bybit.control("price", {"symbol": "BTCUSDT", "price": price})
    await bybit.control("clock", {"advance_ms": 100})


async def test_a_snapshot_then_deltas_each_u_one_more_and_a_silenced_one_is_a_jump(
    ws: aiohttp.ClientWebSocketResponse, bybit: BybitClient
) -> None:
    await ws.send_json({"op": "subscribe", "req_id": "1", "args": [TOPIC]})
    reply = await _next(ws)
    assert (reply["success"], reply["op"], reply["req_id"]) == (True, "subscribe", "1")
    snapshot = await _next(ws)
    assert (snapshot["topic"], snapshot["type"], snapshot["data"]["u"]) == (TOPIC, "snapshot", 1)
    update_id, bids, _ = bybit.running.sim.engine.depth("BTCUSDT", 50)
    assert snapshot["data"]["seq"] == update_id and len(snapshot["data"]["b"]) == len(bids) > 0
    await _moved(bybit, "50100")
    delta = await _next(ws)
    assert (delta["type"], delta["data"]["u"]) == ("delta", 2)
    assert delta["data"]["seq"] > snapshot["data"]["seq"]
    await bybit.control("faults", {"kind": "stream_silence", "channel": "market"})
    await _moved(bybit, "50200")  # this delta is lost
    async with bybit.http.delete(f"{bybit.running.control_url}/faults") as cleared:
        assert cleared.status == 200
    await _moved(bybit, "50300")
    after = await _next(ws)
    assert after["data"]["u"] == 4  # u jumped from 2: the client knows it missed one


async def test_trades_pings_and_unknown_topics(
    ws: aiohttp.ClientWebSocketResponse, bybit: BybitClient
) -> None:
    await ws.send_json({"op": "ping"})
    assert (await _next(ws))["ret_msg"] == "pong"
    await ws.send_json({"op": "subscribe", "args": ["orderbook.7.BTCUSDT"]})
    refused = await _next(ws)
    assert refused["success"] is False and "orderbook.7.BTCUSDT" in refused["ret_msg"]
    await ws.send_json({"op": "subscribe", "args": ["publicTrade.BTCUSDT"]})
    assert (await _next(ws))["success"] is True
    last = bybit.running.sim.engine.last_price("BTCUSDT")
    placed = await bybit.create(
        symbol="BTCUSDT", side="Buy", orderType="Limit", qty="0.001", price=str(last * 2)
    )
    assert placed.code == 0, placed.text
    trade = await _next(ws)
    assert trade["topic"] == "publicTrade.BTCUSDT"
    assert trade["data"][0]["S"] == "Buy" and trade["data"][0]["v"] == "0.001"


async def test_a_drop_fault_cuts_the_public_stream(
    ws: aiohttp.ClientWebSocketResponse, bybit: BybitClient
) -> None:
    await ws.send_json({"op": "subscribe", "args": [TOPIC]})
    await _next(ws)
    await _next(ws)
    await bybit.control("faults", {"kind": "stream_drop", "channel": "market", "count": 1})
    await _moved(bybit, "50100")
    message = await ws.receive(timeout=5)
    assert message.type in (
        aiohttp.WSMsgType.CLOSED,
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSMsgType.ERROR,
    )
