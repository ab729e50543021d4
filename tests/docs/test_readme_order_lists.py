"""README, "Bots in other languages", the order lists paragraph, sentence by sentence where
tests/gateway had no test of it: an OTOCO over REST (`POST /api/v3/orderList/otoco`), an OTO
whose legs share a client id (-2010 "Duplicate order sent.", nothing sent), an OTO whose
pending leg the guard refuses spending none of the key's rate (every leg checked before the
key's limits count any). The legacy `POST /api/v3/order/oco` is tests/gateway/test_legacy_oco.py's.
Each request is signed with aiohttp, as a bot in any language sends it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tests.gateway.conftest import (  # noqa: F401 (fixtures)
    Served,
    _isolated,
    served,
    served_at_order_rate,
)
from tests.gateway.test_order_lists_checks import post_signed
from tradeguard.model import OrderStatus


async def _prices(gw: Served, *pcts: str) -> list[str]:
    last = await gw.tg.last_price("BTC/USDT")
    assert last is not None
    return [str((last * Decimal(p)).quantize(Decimal("0.01"))) for p in pcts]


async def _oto(gw: Served, list_id: str, qty: str = "0.001") -> dict[str, str]:
    buy, sell = await _prices(gw, "0.99", "1.02")
    return {
        "symbol": "BTCUSDT", "listClientOrderId": list_id,
        "workingType": "LIMIT", "workingSide": "BUY", "workingPrice": buy,
        "workingQuantity": "0.001", "workingTimeInForce": "GTC",
        "workingClientOrderId": f"{list_id}w",
        "pendingType": "LIMIT_MAKER", "pendingSide": "SELL", "pendingPrice": sell,
        "pendingQuantity": qty, "pendingClientOrderId": f"{list_id}p",
    }  # fmt: skip


async def _sent(gw: Served, what: str) -> int:
    return int((await gw.remote.requests())["requests"].get(what, 0))


async def _until_new(gw: Served, coid: str) -> None:
    for _ in range(500):
        order = gw.tg.order(coid)
        if order is not None and order.status is OrderStatus.NEW:
            return
        await gw.remote.requests()  # a turn of the loop, the stream's frames read
    raise AssertionError(f"{coid} never became NEW")


async def test_an_otoco_over_rest_holds_its_pair_pending_until_the_working_order_fills(
    served: Served,  # noqa: F811
) -> None:
    buy, up, down = await _prices(served, "0.99", "1.02", "0.97")
    status, placed = await post_signed(served, "/api/v3/orderList/otoco", {
        "symbol": "BTCUSDT", "listClientOrderId": "rOtoco",
        "workingType": "LIMIT", "workingSide": "BUY", "workingPrice": buy,
        "workingQuantity": "0.001", "workingTimeInForce": "GTC",
        "workingClientOrderId": "rOtocow", "pendingSide": "SELL", "pendingQuantity": "0.001",
        "pendingAboveType": "LIMIT_MAKER", "pendingAbovePrice": up,
        "pendingAboveClientOrderId": "rOtocoa",
        "pendingBelowType": "STOP_LOSS", "pendingBelowStopPrice": down,
        "pendingBelowClientOrderId": "rOtocob",
    })  # fmt: skip
    assert status == 200, placed
    assert placed["contingencyType"] == "OTO" and placed["listClientOrderId"] == "rOtoco"
    assert [r["status"] for r in placed["orderReports"]] == ["NEW", "PENDING_NEW", "PENDING_NEW"]
    for coid in ("rOtocow", "rOtocoa", "rOtocob"):  # every leg journaled, by the session
        assert served.tg.intent_of(coid) is not None
    assert await _sent(served, "POST /api/v3/orderList/otoco") == 1  # the one request
    await served.remote.fill("BTCUSDT", "0.001", client_order_id="rOtocow")
    await _until_new(served, "rOtocoa")
    await _until_new(served, "rOtocob")


async def test_an_oto_whose_legs_share_a_client_id_is_refused_before_anything_leaves(
    served: Served,  # noqa: F811
) -> None:
    twins = await _oto(served, "twinOto")
    twins["pendingClientOrderId"] = twins["workingClientOrderId"]
    status, refused = await post_signed(served, "/api/v3/orderList/oto", twins)
    assert (status, refused) == (400, {"code": -2010, "msg": "Duplicate order sent."})
    assert served.tg.order("twinOtow") is None  # nothing journaled
    assert await _sent(served, "POST /api/v3/orderList/oto") == 0


@pytest.fixture
async def slow() -> AsyncIterator[Served]:
    """A gateway whose one key may place two orders a minute: one OTO's worth."""
    async with served_at_order_rate("SlowOtos1", 2) as gateway:
        yield gateway


async def test_an_oto_refused_for_its_pending_leg_spends_none_of_the_key_s_rate(
    slow: Served,
) -> None:
    over_cap = await _oto(slow, "capOto", qty="0.5")  # 0.5 BTC: over the 1000 USDT cap
    status, refused = await post_signed(slow, "/api/v3/orderList/oto", over_cap)
    assert (status, refused["code"]) == (400, -2010), refused
    assert refused["msg"].startswith("tradeguard: ")
    assert slow.tg.order("capOtow") is None  # the working leg was not placed alone
    status, placed = await post_signed(slow, "/api/v3/orderList/oto", await _oto(slow, "okOto"))
    assert status == 200, placed  # the key's two orders a minute were still whole
    assert placed["listClientOrderId"] == "okOto"
