"""Kraken's WebSocket v2 on the simulator: a token from GetWebSocketsToken opens `executions`
and `balances`; each fill goes out with its trade id, in the engine's order; ping/pong; the
stream faults (drop, duplicate, reorder)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tradeguard.sim.kraken import state_of
from tradeguard.sim.server import RunningSim

from .conftest import KrakenClient

TIMEOUT_S = 5
ORDER = {
    "pair": "XBTUSDT",
    "type": "buy",
    "ordertype": "limit",
    "price": "50000",
    "volume": "0.002",
}


@pytest.fixture
async def ws(
    kraken: RunningSim, client: KrakenClient
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    async with client.http.ws_connect(kraken.urls["private_ws_url"]) as socket:
        status = await socket.receive_json(timeout=TIMEOUT_S)
        assert status["channel"] == "status"
        yield socket


async def subscribe(
    ws: aiohttp.ClientWebSocketResponse, token: str, channel: str = "executions", **more: Any
) -> Any:
    await ws.send_json(
        {"method": "subscribe", "params": {"channel": channel, "token": token} | more, "req_id": 7}
    )
    return await ws.receive_json(timeout=TIMEOUT_S)


async def next_data(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await ws.receive_json(timeout=TIMEOUT_S)
    assert len(message["data"]) == 1, message
    return dict(message["data"][0]) | {"_sequence": message.get("sequence")}


def fill(kraken: RunningSim, txid: str, qty: str) -> None:
    found = state_of(kraken.sim).names.order_of(txid)
    assert found is not None
    symbol, order_id = found
    kraken.sim.engine.control_fill(
        symbol, order_id, None, Decimal(qty), None, kraken.sim.clock.now_ms()
    )
    kraken.sim.pump()


async def test_a_bad_token_is_refused_and_ping_is_answered(
    ws: aiohttp.ClientWebSocketResponse,
) -> None:
    answer = await subscribe(ws, "not-a-token")
    assert (
        answer["success"] is False
        and answer["error"] == "ESession:Invalid session"
        and answer["req_id"] == 7
    )
    await ws.send_json({"method": "ping", "req_id": 3})
    pong = await ws.receive_json(timeout=TIMEOUT_S)
    assert pong["method"] == "pong" and pong["req_id"] == 3


async def test_each_fill_goes_out_with_its_trade_id_in_order(
    ws: aiohttp.ClientWebSocketResponse, client: KrakenClient, kraken: RunningSim
) -> None:
    token = (await client.ok("GetWebSocketsToken"))["token"]
    ack = await subscribe(ws, token)
    assert ack["success"] is True and ack["result"]["channel"] == "executions"
    snapshot = await ws.receive_json(timeout=TIMEOUT_S)
    assert snapshot["type"] == "snapshot" and snapshot["data"] == []
    txid = (await client.ok("AddOrder", **ORDER, cl_ord_id="ws-1", userref="5"))["txid"][0]
    pending, new = await next_data(ws), await next_data(ws)
    assert (pending["exec_type"], new["exec_type"]) == ("pending_new", "new")
    assert new["order_id"] == txid and new["symbol"] == "BTC/USDT" and new["order_userref"] == 5
    assert new["cl_ord_id"] == "ws-1" and new["limit_price"] == 50000
    fill(kraken, txid, "0.0005")
    fill(kraken, txid, "0.0015")
    first, second, filled = await next_data(ws), await next_data(ws), await next_data(ws)
    assert (first["exec_type"], first["order_status"], first["last_qty"]) == (
        "trade",
        "partially_filled",
        0.0005,
    )
    assert (second["exec_type"], second["order_status"], second["last_qty"]) == (
        "trade",
        "filled",
        0.0015,
    )
    assert first["trade_id"] < second["trade_id"]
    trades = (await client.ok("TradesHistory"))["trades"]
    assert {first["exec_id"], second["exec_id"]} == set(trades)
    assert filled["exec_type"] == "filled" and filled["cum_qty"] == 0.002
    sequences = [m["_sequence"] for m in (pending, new, first, second, filled)]
    assert sequences == sorted(sequences) and len(set(sequences)) == 5


async def test_balances_snapshot_and_update(
    ws: aiohttp.ClientWebSocketResponse, client: KrakenClient
) -> None:
    token = (await client.ok("GetWebSocketsToken"))["token"]
    await subscribe(ws, token, channel="balances")
    snapshot = await ws.receive_json(timeout=TIMEOUT_S)
    assert {b["asset"]: b["balance"] for b in snapshot["data"]}["BTC"] == 1
    await client.ok("AddOrder", pair="XBTUSDT", type="sell", ordertype="market", volume="0.5")
    update = await ws.receive_json(timeout=TIMEOUT_S)
    assert update["channel"] == "balances" and update["type"] == "update"
    assert {b["asset"]: b["balance"] for b in update["data"]}["BTC"] == 0.5


async def test_balances_updates_are_ledger_entries_of_completed_transactions_only(
    ws: aiohttp.ClientWebSocketResponse, client: KrakenClient
) -> None:
    token = (await client.ok("GetWebSocketsToken"))["token"]
    await subscribe(ws, token, channel="balances")
    await ws.receive_json(timeout=TIMEOUT_S)  # the snapshot
    await client.ok("AddOrder", **ORDER)  # it holds USDT; no transaction: no update
    await client.ok("AddOrder", pair="XBTUSDT", type="sell", ordertype="market", volume="0.5")
    update = await ws.receive_json(timeout=TIMEOUT_S)
    assert update["channel"] == "balances" and update["type"] == "update"
    entries = {e["asset"]: e for e in update["data"]}
    btc = entries["BTC"]
    assert (btc["amount"], btc["balance"], btc["wallet_type"], btc["type"]) == (
        -0.5,
        0.5,
        "spot",
        "trade",
    )
    assert btc["ledger_id"] and btc["timestamp"].endswith("Z")
    assert entries["USDT"]["amount"] > 0  # the proceeds, net of the fee


async def test_stream_faults_duplicate_reorder_and_drop(
    ws: aiohttp.ClientWebSocketResponse, client: KrakenClient, kraken: RunningSim
) -> None:
    token = (await client.ok("GetWebSocketsToken"))["token"]
    await subscribe(ws, token)
    await ws.receive_json(timeout=TIMEOUT_S)  # the snapshot
    kraken.sim.add_fault({"kind": "duplicate_next", "channel": "user", "count": 1})
    txid = (await client.ok("AddOrder", **ORDER))["txid"][0]
    one, two = await next_data(ws), await next_data(ws)
    assert one == two and one["exec_type"] == "pending_new"
    assert (await next_data(ws))["exec_type"] == "new"
    kraken.sim.add_fault({"kind": "reorder_next", "channel": "user", "count": 2})
    fill(kraken, txid, "0.002")
    assert [(await next_data(ws))["exec_type"] for _ in range(2)] == ["filled", "trade"]
    kraken.sim.add_fault({"kind": "stream_drop", "channel": "user", "count": 1})
    await client.ok("AddOrder", **ORDER)
    closed = await asyncio.wait_for(ws.receive(), TIMEOUT_S)
    assert closed.type in (
        aiohttp.WSMsgType.CLOSED,
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSMsgType.ERROR,
    )
