"""An order list's mistakes and retries as Binance answers them: a parameter missing from an OTO
leg is named as the bot sent it (`workingPrice`, not `price`), and a list whose request was lost
and which the exchange never placed leaves its listClientOrderId free for the bot's retry.
Each request is signed with aiohttp, as a bot in any language sends it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.gateway.conftest import Served
from tests.gateway.test_order_lists_checks import oco, post_signed
from tradeguard.model import OrderStatus
from tradeguard.venues.binance import signing


async def _oto(served: Served, list_id: str, legs: str) -> dict[str, str]:
    """A BUY LIMIT below the market that, once filled, places a SELL LIMIT_MAKER above it."""
    last = await served.tg.last_price("BTC/USDT")
    assert last is not None

    def at(pct: str) -> str:
        return str((last * Decimal(pct)).quantize(Decimal("0.01")))

    return {
        "symbol": "BTCUSDT", "listClientOrderId": list_id,
        "workingType": "LIMIT", "workingSide": "BUY", "workingPrice": at("0.99"),
        "workingQuantity": "0.001", "workingTimeInForce": "GTC",
        "workingClientOrderId": f"{legs}w",
        "pendingType": "LIMIT_MAKER", "pendingSide": "SELL", "pendingPrice": at("1.01"),
        "pendingQuantity": "0.001", "pendingClientOrderId": f"{legs}p",
    }  # fmt: skip


async def test_a_missing_leg_parameter_is_named_as_the_bot_sent_it(served: Served) -> None:
    params = await _oto(served, "named1", "named1")
    del params["workingPrice"]
    status, refused = await post_signed(served, "/api/v3/orderList/oto", params)
    assert (status, refused["code"]) == (400, -1102), refused
    assert "'workingPrice'" in refused["msg"], refused

    params = await _oto(served, "named2", "named2") | {"pendingType": "STOP_LOSS"}
    status, refused = await post_signed(served, "/api/v3/orderList/oto", params)
    assert (status, refused["code"]) == (400, -1102), refused
    assert "'pendingStopPrice'" in refused["msg"] and "'pendingTrailingDelta'" in refused["msg"]

    params = await oco(served, "named3")
    params["aboveType"] = "TAKE_PROFIT_LIMIT"
    params["aboveStopPrice"] = params.pop("abovePrice")
    status, refused = await post_signed(served, "/api/v3/orderList/oco", params)
    assert (status, refused["code"]) == (400, -1102), refused
    assert "'abovePrice'" in refused["msg"], refused
    assert served.tg.order("named1w") is None  # nothing journaled


async def test_a_lost_list_never_placed_leaves_its_list_id_free(served: Served) -> None:
    await served.remote.add_fault(
        {"kind": "drop_before_execute", "method": "POST", "path_prefix": "/api/v3/orderList",
         "count": 1}
    )  # fmt: skip
    status, refused = await post_signed(
        served, "/api/v3/orderList/oto", await _oto(served, "retry1", "try1")
    )
    assert (status, refused["code"]) == (400, -2010), refused
    assert "not placed" in refused["msg"]
    # the bot retries with the same list id (its legs newly named): Binance would accept it
    status, placed = await post_signed(
        served, "/api/v3/orderList/oto", await _oto(served, "retry1", "try2")
    )
    assert status == 200, placed
    assert placed["listClientOrderId"] == "retry1"
    assert [o["clientOrderId"] for o in placed["orders"]] == ["try2w", "try2p"]
    # the list is the placed one: its legs alone, by the gateway's memory and the journal's
    for fresh in (False, True):
        if fresh:  # a gateway that remembers no list: it reads the journal's legs
            served.running.gateway.lists._forget("retry1")
        status, read = await get_signed(served, "/api/v3/orderList", origClientOrderId="retry1")
        assert status == 200, read
        assert [o["clientOrderId"] for o in read["orders"]] == ["try2w", "try2p"]
    # and the id is taken again while its legs work
    status, taken = await post_signed(served, "/api/v3/orderList/oco", await oco(served, "retry1"))
    assert (status, taken["code"]) == (400, -2010)
    assert served.tg.order("try1w").status is OrderStatus.REJECTED  # type: ignore[union-attr]


async def get_signed(served: Served, path: str, **params: str) -> tuple[int, Any]:
    """GET with `params` signed in the query, as a bot in any language would."""
    query = urlencode(params | {"timestamp": served.tg.server_now_ms()})
    query += "&signature=" + signing.hmac_sha256_hex(served.secret, query)
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{served.base_url}{path}?{query}",
                 headers={"X-MBX-APIKEY": served.key.api_key}) as reply,
    ):  # fmt: skip
        return reply.status, await reply.json()
