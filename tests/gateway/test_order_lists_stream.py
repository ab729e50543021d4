"""An order list's life on the gateway's user-data stream, as Binance tells it: each leg's
executionReport names the list (`g`, its orderListId, not -1), and every change of the list is a
`listStatus` after its legs' reports: EXEC_STARTED once the exchange holds every leg (again when
an OTO's pending orders are placed), ALL_DONE once it has ended. A bot on a listen key reads it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.gateway.conftest import Served
from tests.gateway.test_order_lists_checks import oco, post_signed
from tests.gateway.test_order_lists_oto import _at, _buy_then_sell


class Listener:
    """A bot's `/ws/<listenKey>` socket: every event it has been sent, in order."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []

    async def until(self, kind: str, count: int = 1) -> list[dict[str, Any]]:
        """Read until `count` events of `kind` came; every event read so far, then forget them."""
        while sum(1 for e in self.events if e["e"] == kind) < count:
            self.events.append(await self.ws.receive_json(timeout=10))
        seen, self.events = self.events, []
        return [e for e in seen if e["e"] != "outboundAccountPosition"]


@pytest.fixture
async def listener(served: Served) -> AsyncIterator[Listener]:
    headers = {"X-MBX-APIKEY": served.key.api_key}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{served.base_url}/api/v3/userDataStream", headers=headers) as r:
            listen_key = (await r.json())["listenKey"]
        url = served.base_url.replace("http", "ws", 1) + f"/ws/{listen_key}"
        async with http.ws_connect(url) as ws:
            streams = served.running.gateway.user_streams
            for _ in range(500):
                if streams.subscribers:
                    break
                await asyncio.sleep(0.01)
            yield Listener(ws)


def _said(events: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(event, client id, what it says) of each event, in order."""
    return [
        (e["e"], e["c"], e["X"]) if e["e"] == "executionReport" else (e["e"], e["C"], e["l"])
        for e in events
    ]


async def test_an_oco_s_legs_name_their_list_and_each_list_change_is_a_list_status(
    served: Served, listener: Listener
) -> None:
    status, placed = await post_signed(served, "/api/v3/orderList/oco", await oco(served, "st1"))
    assert status == 200, placed
    number = placed["orderListId"]
    events = await listener.until("listStatus")
    assert _said(events) == [
        ("executionReport", "st1a", "NEW"),
        ("executionReport", "st1b", "NEW"),
        ("listStatus", "st1", "EXEC_STARTED"),
    ]
    assert {e["g"] for e in events} == {number}
    started = events[-1]
    assert (started["c"], started["L"], started["s"]) == ("OCO", "EXECUTING", "BTCUSDT")
    assert [(o["i"], o["c"]) for o in started["O"]] == [
        (o["orderId"], o["clientOrderId"]) for o in placed["orders"]
    ]

    async with aiohttp.ClientSession() as http:
        query = {"symbol": "BTCUSDT", "listClientOrderId": "st1"}
        await _delete_signed(http, served, "/api/v3/orderList", query)
    ended = await listener.until("listStatus")
    assert _said(ended)[-1] == ("listStatus", "st1", "ALL_DONE")
    assert ended[-1]["L"] == "ALL_DONE"
    assert {(e["c"], e["X"]) for e in ended if e["e"] == "executionReport"} >= {
        ("st1a", "CANCELED"), ("st1b", "CANCELED")
    }  # fmt: skip
    assert {e["g"] for e in ended} == {number}


async def test_an_oto_says_its_pending_order_then_its_placement(
    served: Served, listener: Listener
) -> None:
    buy, sell = await _at(served, "0.99", "1.02")
    status, placed = await post_signed(
        served, "/api/v3/orderList/oto", _buy_then_sell(buy, sell, "st2")
    )
    assert status == 200, placed
    assert _said(await listener.until("listStatus")) == [
        ("executionReport", "st2w", "NEW"),
        ("executionReport", "st2p", "PENDING_NEW"),
        ("listStatus", "st2", "EXEC_STARTED"),
    ]
    await served.remote.fill("BTCUSDT", "0.001", client_order_id="st2w")
    filled = await listener.until("listStatus")
    assert _said(filled) == [
        ("executionReport", "st2w", "FILLED"),
        ("executionReport", "st2p", "NEW"),
        ("listStatus", "st2", "EXEC_STARTED"),
    ]
    assert filled[-1]["c"] == "OTO"
    await served.remote.fill("BTCUSDT", "0.001", client_order_id="st2p")
    done = await listener.until("listStatus")
    assert _said(done)[-1] == ("listStatus", "st2", "ALL_DONE")
    assert {e["g"] for e in done} == {placed["orderListId"]}


async def _delete_signed(
    http: aiohttp.ClientSession, served: Served, path: str, params: dict[str, str]
) -> Any:
    from urllib.parse import urlencode

    from tradeguard.venues.binance import signing

    query = urlencode(params | {"timestamp": served.tg.server_now_ms()})
    query += "&signature=" + signing.hmac_sha256_hex(served.secret, query)
    headers = {"X-MBX-APIKEY": served.key.api_key}
    async with http.delete(f"{served.base_url}{path}?{query}", headers=headers) as reply:
        assert reply.status == 200, await reply.text()
        return await reply.json()


async def test_an_oto_of_one_side_is_told_as_an_oto_from_its_first_event(
    served: Served, listener: Listener
) -> None:
    """Buy more lower once the first buy filled: both legs BUY, still an OTO on the stream."""
    buy, lower = await _at(served, "0.99", "0.98")
    params = _buy_then_sell(buy, lower, "st3") | {"pendingSide": "BUY"}
    status, placed = await post_signed(served, "/api/v3/orderList/oto", params)
    assert status == 200, placed
    [started] = [e for e in await listener.until("listStatus") if e["e"] == "listStatus"]
    assert (started["c"], started["C"]) == ("OTO", "st3")
