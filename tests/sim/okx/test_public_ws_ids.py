"""The OKX dialect's public WebSocket echoes a request's `id` on each answer to it, an
acknowledgement or a refusal (as OKX does): a client matches its answers by it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from tests.sim.okx.conftest import Okx

from tradeguard.sim.okx import public_ws


@pytest.fixture
async def ws(okx: Okx) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    url = okx.running.base_url.replace("http", "ws", 1) + public_ws.PATH
    async with okx.session.ws_connect(url) as socket:
        yield socket


async def test_each_answer_echoes_its_requests_id(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_json({"id": "7", "op": "subscribe",
                        "args": [{"channel": "nope", "instId": "BTC-USDT"}]})  # fmt: skip
    refused = await ws.receive_json(timeout=5)
    assert (refused["event"], refused["code"], refused["id"]) == ("error", "60018", "7")
    await ws.send_json({"id": "8", "op": "subscribe",
                        "args": [{"channel": "tickers", "instId": "BTC-USDT"}]})  # fmt: skip
    ack = await ws.receive_json(timeout=5)
    assert (ack["event"], ack["id"]) == ("subscribe", "8")
    await ws.send_json({"op": "subscribe", "args": [{"channel": "nope", "instId": "BTC-USDT"}]})
    assert "id" not in await ws.receive_json(timeout=5)  # no id asked, none echoed
