"""The deprecated `POST /api/v3/order/oco` through the gateway, as a bot written against it sends
it: raw signed requests and Binance's own binance-sdk-spot `order_oco` (which still calls the
legacy path), and the WebSocket API's deprecated twin `orderList.place`. It is the same OCO as `/api/v3/orderList/oco` (the session's list path: both legs
checked and journaled before the one request), answered in the legacy shape: the stop leg's
report first, the LIMIT_MAKER's second."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from tests.gateway.conftest import Served
from tests.gateway.test_order_lists_checks import post_signed
from tests.gateway.test_ws_api_orders import WsBot, bot  # noqa: F401 (the fixture)


async def _at(served: Served, *pcts: str) -> list[str]:
    last = await served.tg.last_price("BTC/USDT")
    assert last is not None
    return [str((last * Decimal(pct)).quantize(Decimal("0.01"))) for pct in pcts]


async def _sell(served: Served, list_id: str) -> dict[str, str]:
    """A legacy SELL OCO: take profit above the market, stop out (with a limit) below it."""
    up, stop, stop_limit = await _at(served, "1.015", "0.985", "0.98")
    return {
        "symbol": "BTCUSDT", "side": "SELL", "quantity": "0.001", "listClientOrderId": list_id,
        "price": up, "limitClientOrderId": f"{list_id}L",
        "stopPrice": stop, "stopLimitPrice": stop_limit, "stopLimitTimeInForce": "GTC",
        "stopClientOrderId": f"{list_id}S",
    }  # fmt: skip


async def test_a_legacy_oco_is_placed_as_one_list_and_answered_in_its_shape(
    served: Served,
) -> None:
    sent = "POST /api/v3/orderList/oco"  # the session's one request for the pair
    before = (await served.remote.requests())["requests"].get(sent, 0)
    status, placed = await post_signed(served, "/api/v3/order/oco", await _sell(served, "old1"))
    assert status == 200, placed
    assert (placed["contingencyType"], placed["listClientOrderId"]) == ("OCO", "old1")
    assert (placed["listStatusType"], placed["listOrderStatus"]) == ("EXEC_STARTED", "EXECUTING")
    assert [o["clientOrderId"] for o in placed["orders"]] == ["old1S", "old1L"]
    reports = [(r["clientOrderId"], r["type"], r["side"]) for r in placed["orderReports"]]
    assert reports == [("old1S", "STOP_LOSS_LIMIT", "SELL"), ("old1L", "LIMIT_MAKER", "SELL")]
    assert {r["orderListId"] for r in placed["orderReports"]} == {placed["orderListId"]}
    for coid in ("old1S", "old1L"):  # the guard journaled both, as one list, by the bot's key
        intent = served.tg.intent_of(coid)
        assert intent is not None and intent.list_client_order_id == "old1"
        assert (intent.list_kind, intent.placed_by) == ("OCO", served.key.name)
    assert (await served.remote.requests())["requests"].get(sent, 0) == before + 1
    held = served.tg.sim.engine.open_orders("main", "BTCUSDT")  # type: ignore[union-attr]
    assert sorted(o.client_order_id for o in held) == ["old1L", "old1S"]


async def test_a_legacy_oco_s_mistakes_are_named_as_the_bot_sent_them(served: Served) -> None:
    params = await _sell(served, "bad1")
    del params["price"]
    status, refused = await post_signed(served, "/api/v3/order/oco", params)
    assert (status, refused["code"]) == (400, -1102) and "'price'" in refused["msg"], refused

    params = await _sell(served, "bad2")
    del params["stopPrice"]
    status, refused = await post_signed(served, "/api/v3/order/oco", params)
    assert (status, refused["code"]) == (400, -1102), refused
    assert "'stopPrice'" in refused["msg"] and "'trailingDelta'" in refused["msg"]

    params = await _sell(served, "bad3") | {"quantity": "0.5"}  # over the 1000 USDT cap
    status, refused = await post_signed(served, "/api/v3/order/oco", params)
    assert (status, refused["code"]) == (400, -2010), refused
    assert refused["msg"].startswith("tradeguard: ")
    assert served.tg.order("bad3S") is None and served.tg.order("bad3L") is None
    assert served.tg.sim.engine.open_orders("main", "BTCUSDT") == []  # type: ignore[union-attr]


@pytest.mark.realclient
async def test_binance_sdk_spot_order_oco_through_the_gateway(served: Served) -> None:
    """Binance's SDK's `order_oco`, unmodified: a BUY OCO, the stop above, the limit below."""
    from binance_common.configuration import ConfigurationRestAPI
    from binance_sdk_spot.rest_api.models import OrderOcoSideEnum
    from binance_sdk_spot.spot import Spot

    below, stop = await _at(served, "0.985", "1.015")

    def scenario() -> Any:
        config = ConfigurationRestAPI(
            api_key=served.key.api_key, api_secret=served.secret, base_path=served.base_url,
            timeout=15_000,
        )  # fmt: skip
        client = Spot(config_rest_api=config).rest_api
        return client.order_oco(
            symbol="BTCUSDT", side=OrderOcoSideEnum.BUY, quantity=0.001, price=float(below),
            stop_price=float(stop), list_client_order_id="sdkOco",
            limit_client_order_id="sdkOcoL", stop_client_order_id="sdkOcoS",
        ).data()  # fmt: skip

    placed = await asyncio.to_thread(scenario)
    assert (placed.contingency_type, placed.list_client_order_id) == ("OCO", "sdkOco")
    assert [(r.client_order_id, r.type) for r in placed.order_reports] == [
        ("sdkOcoS", "STOP_LOSS"),
        ("sdkOcoL", "LIMIT_MAKER"),
    ]
    assert served.tg.order("sdkOcoS").side.value == "BUY"  # type: ignore[union-attr]


async def test_the_deprecated_order_list_place_over_the_ws_api(
    bot: WsBot,  # noqa: F811
    served: Served,
) -> None:
    """orderList.place, the WebSocket API's twin of the legacy endpoint: the same OCO."""
    placed = await bot.call("orderList.place", **await _sell(served, "wsOld"))
    assert placed["status"] == 200, placed
    reports = [(r["clientOrderId"], r["type"]) for r in placed["result"]["orderReports"]]
    assert reports == [("wsOldS", "STOP_LOSS_LIMIT"), ("wsOldL", "LIMIT_MAKER")]
    intent = served.tg.intent_of("wsOldL")
    assert intent is not None and intent.list_client_order_id == "wsOld"
