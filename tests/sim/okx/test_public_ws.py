"""The OKX dialect's public WebSocket: the book's snapshot then updates chained by
prevSeqId = the last seqId, each with the checksum of the book it leaves; a lost update breaks
the chain; "ping" is answered "pong"; unknown channels are refused."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from tests.sim.okx.conftest import Okx

from tradeguard.sim.okx import public_ws

ARG = {"channel": "books", "instId": "BTC-USDT"}


@pytest.fixture
async def ws(okx: Okx) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    url = okx.running.base_url.replace("http", "ws", 1) + public_ws.PATH
    async with okx.session.ws_connect(url) as socket:
        yield socket


async def _next(ws: aiohttp.ClientWebSocketResponse) -> Any:
    return await ws.receive_json(timeout=5)


async def _moved(okx: Okx, price: str) -> None:
    await okx.control("price", {"symbol": "BTCUSDT", "price": price})
    await okx.control("clock", {"advance_ms": 100})


def _okx_checksum(okx: Okx) -> int:
    """OKX's rule, over the engine's book: 25 levels a side interleaved, CRC32 as int32."""
    _, bids, asks = okx.sim.engine.depth("BTCUSDT", 25)
    parts: list[str] = []
    for i in range(25):
        for side in (bids, asks):
            if i < len(side):
                parts += [f"{side[i][0].normalize():f}", f"{side[i][1].normalize():f}"]
    crc = zlib.crc32(":".join(parts).encode())
    return crc - 2**32 if crc >= 2**31 else crc


async def test_updates_chain_by_seq_id_and_carry_the_books_checksum(
    ws: aiohttp.ClientWebSocketResponse, okx: Okx
) -> None:
    await ws.send_json({"op": "subscribe", "args": [ARG]})
    reply = await _next(ws)
    assert (reply["event"], reply["arg"]) == ("subscribe", ARG)
    snapshot = await _next(ws)
    row = snapshot["data"][0]
    assert (snapshot["action"], row["prevSeqId"]) == ("snapshot", -1)
    assert row["checksum"] == _okx_checksum(okx)
    await _moved(okx, "50100")
    update = (await _next(ws))["data"][0]
    assert update["prevSeqId"] == row["seqId"] and update["seqId"] > row["seqId"]
    assert update["checksum"] == _okx_checksum(okx)
    await okx.control("faults", {"kind": "stream_silence", "channel": "market"})
    await _moved(okx, "50200")  # this update is lost
    async with okx.session.delete(f"{okx.running.control_url}/faults") as cleared:
        assert cleared.status == 200
    await _moved(okx, "50300")
    after = (await _next(ws))["data"][0]
    assert after["prevSeqId"] != update["seqId"]  # the chain broke: the client must resubscribe


async def test_ping_and_an_unknown_channel(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_str("ping")
    assert await ws.receive_str(timeout=5) == "pong"
    await ws.send_json({"op": "subscribe", "args": [{"channel": "books", "instId": "NOPE-USDT"}]})
    refused = await _next(ws)
    assert (refused["event"], refused["code"]) == ("error", "60018")
