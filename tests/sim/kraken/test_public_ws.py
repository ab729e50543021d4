"""The Kraken dialect's public WebSocket v2: a book of the subscribed depth whose updates keep a
client's trimmed book equal to the engine's top levels, each with Kraken's checksum; trades."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from tests.sim.kraken.conftest import KrakenClient

from tradeguard.sim.kraken import public_ws
from tradeguard.sim.server import RunningSim

SYMBOL = "BTC/USDT"


@pytest.fixture
async def ws(kraken: RunningSim) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    url = kraken.base_url.replace("http", "ws", 1) + public_ws.PATH
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as socket:
        assert (await socket.receive_json(timeout=5))["channel"] == "status"
        yield socket


async def _control(kraken: RunningSim, path: str, body: dict[str, Any]) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{kraken.control_url}/{path}", json=body) as reply,
    ):
        assert reply.status == 200, await reply.text()


def _kraken_checksum(kraken: RunningSim) -> int:
    """Kraken's rule over the engine's book: top 10 asks then bids, the pair's decimals
    (price 2, quantity 5 here), "." and leading zeros out, CRC32."""
    _, bids, asks = kraken.sim.engine.depth("BTCUSDT", 10)
    text = "".join(
        f"{p:.2f}".replace(".", "").lstrip("0") + f"{q:.5f}".replace(".", "").lstrip("0")
        for side in (asks, bids)
        for p, q in side
    )
    return zlib.crc32(text.encode())


def _apply(book: dict[str, dict[Decimal, Decimal]], row: dict[str, Any], depth: int) -> None:
    for side in ("bids", "asks"):
        for level in row[side]:
            price, qty = Decimal(str(level["price"])), Decimal(str(level["qty"]))
            if qty:
                book[side][price] = qty
            else:
                book[side].pop(price, None)
        kept = sorted(book[side], reverse=side == "bids")[:depth]
        book[side] = {p: book[side][p] for p in kept}


async def test_a_trimmed_book_follows_the_engines_top_levels_with_krakens_checksum(
    ws: aiohttp.ClientWebSocketResponse, kraken: RunningSim
) -> None:
    await ws.send_json(
        {"method": "subscribe", "params": {"channel": "book", "symbol": [SYMBOL]}, "req_id": 1}
    )
    ack = await ws.receive_json(timeout=5)
    assert (ack["success"], ack["result"]["channel"], ack["req_id"]) == (True, "book", 1)
    snapshot = await ws.receive_json(timeout=5)
    row = snapshot["data"][0]
    assert snapshot["type"] == "snapshot" and len(row["bids"]) == len(row["asks"]) == 10
    assert row["checksum"] == _kraken_checksum(kraken)
    book: dict[str, dict[Decimal, Decimal]] = {"bids": {}, "asks": {}}
    _apply(book, row, 10)
    # the price jumps: every top level changes, levels from beyond the top 10 move in
    await _control(kraken, "price", {"symbol": "BTCUSDT", "price": "60300"})
    await _control(kraken, "clock", {"advance_ms": 100})
    update = await ws.receive_json(timeout=5)
    assert update["type"] == "update"
    _apply(book, update["data"][0], 10)
    _, bids, asks = kraken.sim.engine.depth("BTCUSDT", 10)
    assert (book["bids"], book["asks"]) == (dict(bids), dict(asks))
    assert update["data"][0]["checksum"] == _kraken_checksum(kraken)


async def test_pings_unknown_pairs_and_trades(
    ws: aiohttp.ClientWebSocketResponse, kraken: RunningSim, client: KrakenClient
) -> None:
    await ws.send_json({"method": "ping", "req_id": 7})
    assert (await ws.receive_json(timeout=5))["method"] == "pong"
    params = {"channel": "trade", "symbol": ["NOPE/USD"]}
    await ws.send_json({"method": "subscribe", "params": params})
    refused = await ws.receive_json(timeout=5)
    assert refused["success"] is False and "NOPE/USD" in refused["error"]
    await ws.send_json({"method": "subscribe", "params": {"channel": "trade", "symbol": [SYMBOL]}})
    assert (await ws.receive_json(timeout=5))["success"] is True
    above = kraken.sim.engine.last_price("BTCUSDT") * 2
    await client.ok(
        "AddOrder", pair="XBTUSDT", type="buy", ordertype="limit", volume="0.001",
        price=f"{above:.2f}",
    )  # fmt: skip
    trade = await ws.receive_json(timeout=5)
    assert (trade["channel"], trade["data"][0]["side"]) == ("trade", "buy")
    assert trade["data"][0]["qty"] == 0.001 and trade["data"][0]["trade_id"] > 0
