"""OCO order lists through the gateway: placed by python-binance, listed, read and cancelled
by ccxt's Binance endpoints (unmodified), and over the WebSocket API with raw frames. Each
list goes through the session's OCO path: both legs checked and journaled (with the key that
placed them) before the one request leaves; the answers are Binance's order-list shapes."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from tests.gateway.conftest import SPOT_ONLY, Served, pb_client_class, point_ccxt
from tests.gateway.test_ws_api_orders import WsBot, bot  # noqa: F401 (the fixture)
from tradeguard.model import OrderStatus


def _client(served: Served) -> Any:
    from binance.client import Client

    local = pb_client_class(Client, served.base_url)
    return local(served.key.api_key, served.secret)


def _ccxt(served: Served) -> Any:
    import ccxt

    ex = ccxt.binance(
        {"apiKey": served.key.api_key, "secret": served.secret, "enableRateLimit": False,
         "options": dict(SPOT_ONLY)}
    )  # fmt: skip
    point_ccxt(ex, served.base_url)
    return ex


async def _prices(served: Served) -> tuple[str, str, str]:
    """A BUY OCO's legs around the market: the stop above (trigger, limit), the limit below."""
    last = await served.tg.last_price("BTC/USDT")
    assert last is not None

    def at(pct: str) -> str:
        return str((last * Decimal(pct)).quantize(Decimal("0.01")))

    return at("1.02"), at("1.03"), at("0.98")


def _buy_oco(stop: str, stop_limit: str, below: str, list_id: str, qty: str = "0.001") -> dict:
    return {
        "symbol": "BTCUSDT", "side": "BUY", "quantity": qty, "listClientOrderId": list_id,
        "aboveType": "STOP_LOSS_LIMIT", "aboveStopPrice": stop, "abovePrice": stop_limit,
        "aboveTimeInForce": "GTC", "aboveClientOrderId": f"{list_id}up",
        "belowType": "LIMIT_MAKER", "belowPrice": below, "belowClientOrderId": f"{list_id}dn",
    }  # fmt: skip


@pytest.mark.realclient
async def test_an_oco_placed_listed_read_and_cancelled_by_real_clients(served: Served) -> None:
    stop, stop_limit, below = await _prices(served)

    def scenario() -> tuple[Any, Any, Any, Any]:
        placed = _client(served).create_oco_order(**_buy_oco(stop, stop_limit, below, "gwL1"))
        opened = _client(served).get_open_oco_orders()
        leg = _client(served).get_order(symbol="BTCUSDT", origClientOrderId="gwL1dn")
        assert leg["orderListId"] == placed["orderListId"]
        assert {o["orderListId"] for o in _client(served).get_open_orders()} == {leg["orderListId"]}
        ex = _ccxt(served)
        read = ex.private_get_orderlist({"orderListId": placed["orderListId"]})
        cancelled = ex.private_delete_orderlist({"symbol": "BTCUSDT", "listClientOrderId": "gwL1"})
        return placed, opened, read, cancelled

    placed, opened, read, cancelled = await asyncio.to_thread(scenario)
    assert (placed["contingencyType"], placed["listClientOrderId"]) == ("OCO", "gwL1")
    assert placed["listOrderStatus"] == "EXECUTING" and isinstance(placed["orderListId"], int)
    assert {o["clientOrderId"] for o in placed["orders"]} == {"gwL1up", "gwL1dn"}
    reports = {r["clientOrderId"]: r for r in placed["orderReports"]}
    assert reports["gwL1up"]["type"] == "STOP_LOSS_LIMIT"
    assert reports["gwL1dn"]["type"] == "LIMIT_MAKER"
    assert {r["orderListId"] for r in reports.values()} == {placed["orderListId"]}
    for coid in ("gwL1up", "gwL1dn"):  # the guard's journal holds both legs, by their key
        intent = served.tg.intent_of(coid)
        assert intent is not None and intent.list_client_order_id == "gwL1"
        assert intent.placed_by == served.key.name
    assert [lst["listClientOrderId"] for lst in opened] == ["gwL1"]
    assert read["orderListId"] == placed["orderListId"] and read["listStatusType"] == "EXEC_STARTED"
    assert cancelled["listStatusType"] == "ALL_DONE"
    assert {r["status"] for r in cancelled["orderReports"]} == {"CANCELED"}
    for coid in ("gwL1up", "gwL1dn"):
        assert served.tg.order(coid).status is OrderStatus.CANCELED  # type: ignore[union-attr]


@pytest.mark.realclient
async def test_an_oco_over_the_risk_cap_is_refused_and_nothing_is_sent(served: Served) -> None:
    from binance.exceptions import BinanceAPIException

    stop, stop_limit, below = await _prices(served)

    def scenario() -> BinanceAPIException:
        with pytest.raises(BinanceAPIException) as denied:
            _client(served).create_oco_order(
                **_buy_oco(stop, stop_limit, below, "gwBig", qty="0.5")
            )
        return denied.value

    denied = await asyncio.to_thread(scenario)
    assert (denied.status_code, denied.code) == (400, -2010)
    assert denied.message.startswith("tradeguard: ") and "1000" in denied.message
    assert served.tg.order("gwBigup") is None and served.tg.order("gwBigdn") is None


async def test_an_oco_over_the_ws_api(bot: WsBot, served: Served) -> None:  # noqa: F811
    stop, stop_limit, below = await _prices(served)
    placed = await bot.call("orderList.place.oco", **_buy_oco(stop, stop_limit, below, "wsL1"))
    assert placed["status"] == 200, placed
    list_id = placed["result"]["orderListId"]
    assert placed["result"]["listClientOrderId"] == "wsL1"
    status = await bot.call("orderList.status", orderListId=list_id)
    assert status["status"] == 200, status
    assert status["result"]["listOrderStatus"] == "EXECUTING"
    cancelled = await bot.call("orderList.cancel", symbol="BTCUSDT", orderListId=list_id)
    assert cancelled["status"] == 200, cancelled
    assert cancelled["result"]["listOrderStatus"] == "ALL_DONE"
    assert served.tg.order("wsL1dn").status is OrderStatus.CANCELED  # type: ignore[union-attr]
    missing = await bot.call("orderList.status", orderListId=list_id + 1000)
    assert missing["status"] == 400 and missing["error"]["code"] == -2011


async def test_an_oco_whose_reply_is_lost_is_resolved_not_resent(
    bot: WsBot,  # noqa: F811
    served: Served,
) -> None:
    """The exchange placed the list but its reply was lost: both legs are resolved by their
    client ids before the bot is answered, and the list was sent once."""
    stop, stop_limit, below = await _prices(served)
    await served.remote.add_fault(
        {"kind": "drop_after_execute", "method": "POST", "path_prefix": "/api/v3/orderList",
         "count": 1}
    )  # fmt: skip
    placed = await bot.call("orderList.place.oco", **_buy_oco(stop, stop_limit, below, "wsLost"))
    assert placed["status"] == 200, placed
    assert {r["status"] for r in placed["result"]["orderReports"]} == {"NEW"}
    lists = served.tg.sim.engine.open_orders("main", "BTCUSDT")  # type: ignore[union-attr]
    assert sorted(o.client_order_id for o in lists) == ["wsLostdn", "wsLostup"]
    unknown = [
        e for e in served.tg.recorder.journal.events()
        if getattr(e, "client_order_id", None) == "wsLostdn" and getattr(e, "status", None)
        is OrderStatus.UNKNOWN
    ]  # fmt: skip
    assert unknown, "the reply was not lost"
