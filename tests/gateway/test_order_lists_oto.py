"""OTO and OTOCO order lists through the gateway: placed by python-binance's REST call and over
the WebSocket API with raw frames, read and cancelled by ccxt's Binance endpoints. Each list goes
through the session's OTO path: every leg checked by the whole guard and journaled (with the key
that placed it) before the one request leaves; the pending legs wait as PENDING_NEW until the
working order fills, then work."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from tests.gateway.conftest import Served
from tests.gateway.test_order_lists import _ccxt, _client
from tests.gateway.test_ws_api_orders import WsBot, bot  # noqa: F401 (the fixture)
from tradeguard.model import OrderStatus


async def _at(served: Served, *pcts: str) -> list[str]:
    last = await served.tg.last_price("BTC/USDT")
    assert last is not None
    return [str((last * Decimal(pct)).quantize(Decimal("0.01"))) for pct in pcts]


async def _until(served: Served, coid: str, status: OrderStatus) -> None:
    """Wait (a few seconds at most) for the session to hear the exchange move `coid`."""
    for _ in range(200):
        order = served.tg.order(coid)
        if order is not None and order.status is status:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{coid} is {served.tg.order(coid)}, not {status}")


def _buy_then_sell(buy: str, sell: str, list_id: str, qty: str = "0.001") -> dict[str, str]:
    return {
        "symbol": "BTCUSDT", "listClientOrderId": list_id,
        "workingType": "LIMIT", "workingSide": "BUY", "workingPrice": buy,
        "workingQuantity": qty, "workingTimeInForce": "GTC", "workingClientOrderId": f"{list_id}w",
        "pendingType": "LIMIT_MAKER", "pendingSide": "SELL", "pendingPrice": sell,
        "pendingQuantity": qty, "pendingClientOrderId": f"{list_id}p",
    }  # fmt: skip


@pytest.mark.realclient
async def test_an_oto_placed_filled_read_and_cancelled_by_real_clients(served: Served) -> None:
    buy, sell = await _at(served, "0.99", "1.02")
    placed = await asyncio.to_thread(
        lambda: _client(served).v3_post_order_list_oto(**_buy_then_sell(buy, sell, "oto1"))
    )
    assert (placed["contingencyType"], placed["listClientOrderId"]) == ("OTO", "oto1")
    assert placed["listOrderStatus"] == "EXECUTING"
    assert [o["clientOrderId"] for o in placed["orders"]] == ["oto1w", "oto1p"]
    reports = {r["clientOrderId"]: r for r in placed["orderReports"]}
    assert (reports["oto1w"]["status"], reports["oto1w"]["type"]) == ("NEW", "LIMIT")
    assert (reports["oto1p"]["status"], reports["oto1p"]["type"]) == ("PENDING_NEW", "LIMIT_MAKER")
    assert reports["oto1p"]["workingTime"] == -1
    assert {r["orderListId"] for r in reports.values()} == {placed["orderListId"]}
    for coid in ("oto1w", "oto1p"):  # the guard's journal holds both legs, by their key
        intent = served.tg.intent_of(coid)
        assert intent is not None and intent.list_client_order_id == "oto1"
        assert intent.placed_by == served.key.name

    await served.remote.fill("BTCUSDT", "0.001", client_order_id="oto1w")
    await _until(served, "oto1p", OrderStatus.NEW)  # the fill placed the pending order

    def read_and_cancel() -> tuple[Any, Any]:
        ex = _ccxt(served)
        read = ex.private_get_orderlist({"orderListId": placed["orderListId"]})
        cancelled = ex.private_delete_orderlist({"symbol": "BTCUSDT", "listClientOrderId": "oto1"})
        return read, cancelled

    read, cancelled = await asyncio.to_thread(read_and_cancel)
    assert (read["contingencyType"], read["listOrderStatus"]) == ("OTO", "EXECUTING")
    assert cancelled["listStatusType"] == "ALL_DONE"
    statuses = {r["origClientOrderId"]: r["status"] for r in cancelled["orderReports"]}
    assert statuses["oto1p"] == "CANCELED"
    assert served.tg.order("oto1w").status is OrderStatus.FILLED  # type: ignore[union-attr]


def _otoco(buy: str, up: str, down: str, list_id: str, qty: str = "0.001") -> dict[str, str]:
    return {
        "symbol": "BTCUSDT", "listClientOrderId": list_id,
        "workingType": "LIMIT", "workingSide": "BUY", "workingPrice": buy,
        "workingQuantity": qty, "workingTimeInForce": "GTC", "workingClientOrderId": f"{list_id}w",
        "pendingSide": "SELL", "pendingQuantity": qty,
        "pendingAboveType": "LIMIT_MAKER", "pendingAbovePrice": up,
        "pendingAboveClientOrderId": f"{list_id}a",
        "pendingBelowType": "STOP_LOSS", "pendingBelowStopPrice": down,
        "pendingBelowClientOrderId": f"{list_id}b",
    }  # fmt: skip


async def test_an_otoco_over_the_ws_api_places_its_pair_once_filled(
    bot: WsBot,  # noqa: F811
    served: Served,
) -> None:
    buy, up, down = await _at(served, "0.99", "1.02", "0.97")
    placed = await bot.call("orderList.place.otoco", **_otoco(buy, up, down, "wsOto"))
    assert placed["status"] == 200, placed
    result = placed["result"]
    assert result["contingencyType"] == "OTO" and len(result["orders"]) == 3
    assert [r["status"] for r in result["orderReports"]] == ["NEW", "PENDING_NEW", "PENDING_NEW"]
    await served.remote.fill("BTCUSDT", "0.001", client_order_id="wsOtow")
    await _until(served, "wsOtoa", OrderStatus.NEW)
    await _until(served, "wsOtob", OrderStatus.NEW)
    status = await bot.call("orderList.status", origClientOrderId="wsOto")
    assert status["status"] == 200, status
    assert status["result"]["orderListId"] == result["orderListId"]
    cancelled = await bot.call("orderList.cancel", symbol="BTCUSDT", listClientOrderId="wsOto")
    assert cancelled["status"] == 200 and cancelled["result"]["listOrderStatus"] == "ALL_DONE"
    for coid in ("wsOtoa", "wsOtob"):
        assert served.tg.order(coid).status is OrderStatus.CANCELED  # type: ignore[union-attr]


async def test_an_oto_whose_pending_order_is_over_the_risk_cap_is_refused_whole(
    bot: WsBot,  # noqa: F811
    served: Served,
) -> None:
    buy, sell = await _at(served, "0.99", "1.02")
    params = _buy_then_sell(buy, sell, "bigOto") | {"pendingQuantity": "0.5"}
    refused = await bot.call("orderList.place.oto", **params)
    assert refused["status"] == 400 and refused["error"]["code"] == -2010, refused
    assert refused["error"]["msg"].startswith("tradeguard: ")
    assert served.tg.order("bigOtow") is None and served.tg.order("bigOtop") is None
    assert served.tg.sim.engine.open_orders("main", "BTCUSDT") == []  # type: ignore[union-attr]


async def test_an_oto_whose_reply_is_lost_is_resolved_not_resent(
    bot: WsBot,  # noqa: F811
    served: Served,
) -> None:
    """The exchange placed the list but its reply was lost: the legs are resolved by their
    client ids before the bot is answered (the pending one as the exchange holds it), and the
    list was sent once."""
    buy, sell = await _at(served, "0.99", "1.02")
    await served.remote.add_fault(
        {"kind": "drop_after_execute", "method": "POST", "path_prefix": "/api/v3/orderList",
         "count": 1}
    )  # fmt: skip
    placed = await bot.call("orderList.place.oto", **_buy_then_sell(buy, sell, "lostOto"))
    assert placed["status"] == 200, placed
    reports = placed["result"]["orderReports"]
    assert [(r["clientOrderId"], r["status"]) for r in reports] == [
        ("lostOtow", "NEW"), ("lostOtop", "PENDING_NEW")
    ]  # fmt: skip
    assert all(r["orderId"] > 0 for r in reports)
    held = served.tg.sim.engine.open_orders("main", "BTCUSDT")  # type: ignore[union-attr]
    assert sorted(o.client_order_id for o in held) == ["lostOtop", "lostOtow"]  # sent once
    await served.remote.fill("BTCUSDT", "0.001", client_order_id="lostOtow")
    await _until(served, "lostOtop", OrderStatus.NEW)
