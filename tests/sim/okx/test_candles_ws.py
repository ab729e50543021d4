"""The OKX dialect's candle channels, served where OKX serves them: on /ws/v5/business, with no
login (they are public), each push's data [[ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]];
on /ws/v5/public a candle channel is refused with 60018, as OKX refuses it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from tests.sim.okx.conftest import Okx

from tradeguard.sim.okx import public_ws

ARG = {"channel": "candle1m", "instId": "BTC-USDT"}


def _ws_url(okx: Okx, path: str) -> str:
    return str(okx.running.base_url).replace("http", "ws", 1) + path


@pytest.fixture
async def business(okx: Okx) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    async with okx.session.ws_connect(_ws_url(okx, "/ws/v5/business")) as socket:
        yield socket


async def _next(ws: aiohttp.ClientWebSocketResponse) -> Any:
    return await ws.receive_json(timeout=5)


async def test_candles_stream_on_business_without_a_login(
    business: aiohttp.ClientWebSocketResponse, okx: Okx
) -> None:
    await business.send_json({"id": "3", "op": "subscribe", "args": [ARG]})
    reply = await _next(business)
    assert (reply["id"], reply["event"], reply["arg"]) == ("3", "subscribe", ARG)
    await okx.control("clock", {"advance_ms": 2000})  # the candle feed's period
    push = await _next(business)
    assert push["arg"] == ARG
    [row] = push["data"]
    ts, o, h, low, c, vol, vol_ccy, vol_ccy_quote, confirm = row
    assert all(isinstance(v, str) for v in row)
    assert int(ts) % 60_000 == 0 and confirm == "0"
    assert Decimal(low) <= Decimal(o) <= Decimal(h) and Decimal(low) <= Decimal(c) <= Decimal(h)
    assert vol_ccy == vol_ccy_quote and Decimal(vol) >= 0
    await business.send_json({"id": "4", "op": "unsubscribe", "args": [ARG]})
    assert (await _next(business))["event"] == "unsubscribe"


async def test_an_unserved_bar_and_a_private_channel_without_login_are_refused(
    business: aiohttp.ClientWebSocketResponse,
) -> None:
    await business.send_json({"op": "subscribe", "args": [{"channel": "candle6H",
                                                          "instId": "BTC-USDT"}]})  # fmt: skip
    refused = await _next(business)  # Hong Kong-aligned 6H: the engine's candles are UTC's
    assert (refused["event"], refused["code"]) == ("error", "60018")
    await business.send_json({"op": "subscribe", "args": [{"channel": "orders-algo",
                                                          "instType": "SPOT"}]})  # fmt: skip
    assert (await _next(business))["code"] == "60011"  # log in first


async def test_a_candle_channel_on_public_is_refused_as_okx_does(okx: Okx) -> None:
    async with okx.session.ws_connect(_ws_url(okx, public_ws.PATH)) as ws:
        await ws.send_json({"id": "9", "op": "subscribe", "args": [ARG]})
        refused = await _next(ws)
    assert (refused["id"], refused["event"], refused["code"]) == ("9", "error", "60018")
    assert "candle1m" in refused["msg"]


async def test_a_bar_okx_has_and_the_simulator_does_not_stream_is_refused_saying_so(
    business: aiohttp.ClientWebSocketResponse,
) -> None:
    """2Dutc: OKX streams it, REST here serves it, the engine has no 2-day feed to stream. A
    subscription is answered at once, refused with OKX's code and a text that says why (not
    that OKX has no such channel)."""
    arg = {"channel": "candle2Dutc", "instId": "BTC-USDT"}
    await business.send_json({"id": "5", "op": "subscribe", "args": [arg]})
    refused = await _next(business)
    assert (refused["id"], refused["event"], refused["code"]) == ("5", "error", "60018")
    assert "candle2Dutc" in refused["msg"] and "simulator" in refused["msg"]
    assert "/api/v5/market/candles" in refused["msg"]  # where it can be read instead
