"""An order list's legs are all checked before any is counted against the local key's rate,
and two legs named alike are refused here, as Binance refuses them, before anything is sent.
Each request is signed with aiohttp, as a bot in any language sends it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from tests.gateway.conftest import Served, served_at_order_rate
from tradeguard.venues.binance import signing


@pytest.fixture
async def slow() -> AsyncIterator[Served]:
    """A gateway whose one key may place two orders a minute: one list's worth."""
    async with served_at_order_rate("SlowLists1", 2) as served:
        yield served


async def post_signed(served: Served, path: str, params: dict[str, Any]) -> tuple[int, Any]:
    """POST `params` as a signed form body, as a bot in any language would."""
    body = urlencode(params | {"timestamp": served.tg.server_now_ms()})
    body += "&signature=" + signing.hmac_sha256_hex(served.secret, body)
    headers = {"X-MBX-APIKEY": served.key.api_key,
               "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
    async with (
        aiohttp.ClientSession() as http,
        http.post(served.base_url + path, data=body, headers=headers) as reply,
    ):
        return reply.status, await reply.json()


async def oco(served: Served, list_id: str) -> dict[str, str]:
    """A SELL OCO's parameters around the market: a LIMIT_MAKER above, a stop below."""
    last = await served.tg.last_price("BTC/USDT")
    assert last is not None

    def at(pct: str) -> str:
        return str((last * Decimal(pct)).quantize(Decimal("0.01")))

    return {
        "symbol": "BTCUSDT", "side": "SELL", "quantity": "0.001", "listClientOrderId": list_id,
        "aboveType": "LIMIT_MAKER", "abovePrice": at("1.02"), "aboveClientOrderId": f"{list_id}a",
        "belowType": "STOP_LOSS", "belowStopPrice": at("0.98"), "belowClientOrderId": f"{list_id}b",
    }  # fmt: skip


async def test_a_list_refused_for_its_second_leg_spends_none_of_the_key_s_rate(
    slow: Served,
) -> None:
    bad = await oco(slow, "rate1")
    del bad["belowType"]
    status, refused = await post_signed(slow, "/api/v3/orderList/oco", bad)
    assert (status, refused["code"]) == (400, -1102) and "belowType" in refused["msg"]
    # the key's two orders a minute are still whole: a two-leg list fits
    status, placed = await post_signed(slow, "/api/v3/orderList/oco", await oco(slow, "rate2"))
    assert status == 200, placed
    assert placed["listClientOrderId"] == "rate2"


async def test_two_legs_with_one_client_id_are_refused_before_anything_is_sent(
    served: Served,
) -> None:
    same = await oco(served, "twin")
    same["belowClientOrderId"] = same["aboveClientOrderId"]
    before = (await served.remote.requests())["requests"].get("POST /api/v3/orderList/oco", 0)
    status, refused = await post_signed(served, "/api/v3/orderList/oco", same)
    assert (status, refused) == (400, {"code": -2010, "msg": "Duplicate order sent."})
    assert served.tg.order("twina") is None  # nothing journaled
    sent = (await served.remote.requests())["requests"].get("POST /api/v3/orderList/oco", 0)
    assert sent == before
