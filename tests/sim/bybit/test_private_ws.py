"""Bybit's private WebSocket: auth (and its refusals), subscribe, ping/pong, and each fill pushed
as an `order` and an `execution` message with its execId, in the engine's order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from .bybit_client import BybitClient, bybit_sign

TIMEOUT_S = 5


class Ws:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        message = await asyncio.wait_for(self.ws.receive(), TIMEOUT_S)
        assert message.type is aiohttp.WSMsgType.TEXT, message
        value: dict[str, Any] = json.loads(message.data)
        return value

    async def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        await self.send(message)
        return await self.receive()


def auth_args(
    bybit: BybitClient, expires_in_ms: int = 10_000, secret: str | None = None
) -> list[str]:
    expires = str(bybit.now_ms() + expires_in_ms)
    return [bybit.api_key, expires, bybit_sign(secret or bybit.secret, "GET/realtime" + expires)]


@pytest.fixture
async def ws(bybit: BybitClient) -> AsyncIterator[Ws]:
    async with bybit.http.ws_connect(bybit.running.urls["private_ws_url"]) as conn:
        yield Ws(conn)


async def listening(bybit: BybitClient, ws: Ws, *topics: str) -> None:
    assert (await ws.ask({"op": "auth", "args": auth_args(bybit)}))["success"] is True
    reply = await ws.ask({"op": "subscribe", "req_id": "1", "args": list(topics)})
    assert (reply["success"], reply["op"], reply["req_id"]) == (True, "subscribe", "1")


async def test_auth_accepted_and_ping_answered(bybit: BybitClient, ws: Ws) -> None:
    reply = await ws.ask({"op": "auth", "args": auth_args(bybit)})
    assert (reply["success"], reply["op"], reply["ret_msg"]) == (True, "auth", "")
    pong = await ws.ask({"op": "ping", "req_id": "7"})
    assert (pong["op"], pong["req_id"], pong["args"]) == ("pong", "7", [str(bybit.now_ms())])


@pytest.mark.parametrize(
    ("expires_in_ms", "secret", "text"),
    [
        (10_000, "wrong-secret", "Params Error: invalid signature"),
        (-1, None, "Params Error: expires is expired"),
    ],
)
async def test_auth_refused_echoes_the_request(
    bybit: BybitClient, ws: Ws, expires_in_ms: int, secret: str | None, text: str
) -> None:
    args = auth_args(bybit, expires_in_ms, secret)
    reply = await ws.ask({"op": "auth", "args": args})
    assert (reply["success"], reply["ret_msg"], reply["request"]) == (
        False,
        text,
        {"op": "auth", "args": args},
    )


async def test_subscribe_before_auth_is_refused(ws: Ws) -> None:
    reply = await ws.ask({"op": "subscribe", "req_id": "1", "args": ["order"]})
    assert (reply["success"], reply["ret_msg"]) == (False, "Request not authorized")


async def test_an_unknown_topic_is_refused(bybit: BybitClient, ws: Ws) -> None:
    await ws.ask({"op": "auth", "args": auth_args(bybit)})
    reply = await ws.ask({"op": "subscribe", "args": ["position"]})
    assert reply["success"] is False


async def test_fills_push_order_then_execution_in_the_engines_order(
    bybit: BybitClient, ws: Ws
) -> None:
    await listening(bybit, ws, "order", "execution")
    placed = await bybit.create(
        side="Buy", orderType="Limit", qty="0.002", price="50000", orderLinkId="w-1"
    )
    order_id = placed.result["orderId"]
    new = await ws.receive()
    assert (new["topic"], new["data"][0]["orderStatus"], new["data"][0]["orderLinkId"]) == (
        "order",
        "New",
        "w-1",
    )
    fills = []
    for qty in ("0.0005", "0.0015"):
        filled = await bybit.control(
            "fill", {"symbol": "BTCUSDT", "orderId": int(order_id), "qty": qty}
        )
        fills.append(str(filled["trades"][0]["id"]))
    pushed = [await ws.receive() for _ in range(4)]
    assert [
        (m["topic"], m["data"][0].get("orderStatus"), m["data"][0].get("execId")) for m in pushed
    ] == [
        ("order", "PartiallyFilled", None),
        ("execution", None, fills[0]),
        ("order", "Filled", None),
        ("execution", None, fills[1]),
    ]
    last_exec = pushed[3]["data"][0]
    assert (last_exec["execQty"], last_exec["execPrice"], last_exec["execType"]) == (
        "0.0015",
        "50000",
        "Trade",
    )
    assert (last_exec["orderId"], last_exec["orderLinkId"], last_exec["leavesQty"]) == (
        order_id,
        "w-1",
        "0",
    )
    filled_row = pushed[2]["data"][0]
    assert (filled_row["cumExecQty"], filled_row["cumExecFee"], filled_row["cumFeeDetail"]) == (
        "0.002",
        "0.000002",
        {"BTC": "0.000002"},
    )
    assert "tpslMode" not in filled_row


async def test_wallet_topic_pushes_the_changed_coins(bybit: BybitClient, ws: Ws) -> None:
    await listening(bybit, ws, "wallet")
    await bybit.create(side="Buy", orderType="Limit", qty="0.002", price="50000")
    pushed = await ws.receive()
    assert pushed["topic"] == "wallet"
    coins = {c["coin"]: (c["walletBalance"], c["locked"]) for c in pushed["data"][0]["coin"]}
    assert coins["USDT"] == ("100000", "100")
