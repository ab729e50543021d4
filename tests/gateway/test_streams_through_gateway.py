"""Listen-key user streams and the market streams through the gateway."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.gateway.conftest import Served, pb_client_class

LISTEN = "/api/v3/userDataStream"


def _ws(served: Served, path: str) -> str:
    return served.base_url.replace("http", "ws", 1) + path


async def test_a_listen_key_stream_carries_the_journal_s_executions_and_balances(
    served: Served,
) -> None:
    headers = {"X-MBX-APIKEY": served.key.api_key}
    async with aiohttp.ClientSession() as http:
        async with http.post(served.base_url + LISTEN, headers=headers) as made:
            listen_key = (await made.json())["listenKey"]
        async with http.post(served.base_url + LISTEN, headers=headers) as again:
            assert (await again.json())["listenKey"] == listen_key  # Binance: the same key
        async with http.put(
            served.base_url + LISTEN, headers=headers, params={"listenKey": listen_key}
        ) as kept:
            assert kept.status == 200 and await kept.json() == {}
        async with http.ws_connect(_ws(served, f"/ws/{listen_key}")) as ws:
            for _ in range(500):
                if served.running.gateway.user_streams.subscribers:
                    break
                await asyncio.sleep(0.01)
            coid = (await served.tg.market_buy("BTC/USDT", qty="0.001")).client_order_id
            seen: list[dict[str, Any]] = []
            while not (
                any(e.get("x") == "TRADE" for e in seen)
                and any(e["e"] == "outboundAccountPosition" for e in seen)
            ):
                seen.append(await ws.receive_json(timeout=10))
        async with http.delete(
            served.base_url + LISTEN, headers=headers, params={"listenKey": listen_key}
        ) as closed:
            assert closed.status == 200
        async with http.put(
            served.base_url + LISTEN, headers=headers, params={"listenKey": listen_key}
        ) as gone:
            assert (gone.status, (await gone.json())["code"]) == (400, -1125)
        async with http.post(served.base_url + LISTEN, headers={"X-MBX-APIKEY": "x" * 64}) as no:
            assert (no.status, (await no.json())["code"]) == (401, -2015)
    reports = [e for e in seen if e["e"] == "executionReport"]
    assert [r["x"] for r in reports][:2] == ["NEW", "TRADE"]
    booked = served.tg.order(coid).fills  # type: ignore[union-attr]
    trade = reports[1]
    assert (trade["t"], Decimal(trade["L"])) == (booked[0].trade_id, booked[0].price)
    position = next(e for e in seen if e["e"] == "outboundAccountPosition")
    assert {b["a"] for b in position["B"]} <= {"BTC", "USDT", "BNB"}


async def test_market_streams_are_relayed_both_raw_and_combined(served: Served) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(_ws(served, "/ws/btcusdt@bookTicker")) as raw:
            tick = await raw.receive_json(timeout=10)
        async with http.ws_connect(_ws(served, "/stream?streams=btcusdt@bookTicker")) as combined:
            wrapped = await combined.receive_json(timeout=10)
        async with http.ws_connect(_ws(served, "/ws")) as live:  # a SUBSCRIBE request relayed
            await live.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@bookTicker"], "id": 7})
            replies = [await live.receive_json(timeout=10) for _ in range(2)]
    assert tick["s"] == "BTCUSDT" and "b" in tick
    assert wrapped["stream"] == "btcusdt@bookTicker" and wrapped["data"]["s"] == "BTCUSDT"
    assert {"result": None, "id": 7} in replies


@pytest.mark.realclient
async def test_python_binance_market_socket_through_the_gateway(served: Served) -> None:
    from binance import AsyncClient, BinanceSocketManager

    class Local(BinanceSocketManager):
        STREAM_URL = _ws(served, "/")

    client = await pb_client_class(AsyncClient, served.base_url).create()
    try:
        async with Local(client).symbol_book_ticker_socket("BTCUSDT") as socket:
            tick = await asyncio.wait_for(socket.recv(), 10)
    finally:
        await client.close_connection()
    assert tick["s"] == "BTCUSDT"
