"""Orders over the gateway's WebSocket API (`/ws-api/v3`), as a bot sends them: raw frames
signed with the local key (Binance's WS API signing: every param but `signature`, sorted by
name, unencoded), then ccxt.pro's `*_ws` calls unmodified. Each goes through the same guard as
REST orders (journal, risk, the key's own limits) and is answered in Binance's WS API frame."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.gateway.conftest import SPOT_ONLY, Served, point_ccxt
from tests.scenarios.conftest import placements
from tradeguard.venues.binance import signing


class WsBot:
    """A bot on the gateway's WebSocket API: signs each request with its local key."""

    def __init__(self, served: Served, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.served = served
        self.ws = ws
        self._ids = 0

    def signed(self, **params: Any) -> dict[str, Any]:
        now = self.served.tg.transport.server_now_ms()  # type: ignore[attr-defined]
        params = {"apiKey": self.served.key.api_key, "timestamp": now, **params}
        payload = signing.ws_payload(params).encode()
        return params | {"signature": signing.hmac_sha256_hex(self.served.secret, payload)}

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._ids += 1
        request_id = f"r{self._ids}"
        await self.ws.send_json(
            {"id": request_id, "method": method, "params": self.signed(**params)}
        )
        reply: dict[str, Any] = await self.ws.receive_json(timeout=15)
        assert reply["id"] == request_id
        return reply


@pytest.fixture
async def bot(served: Served) -> AsyncIterator[WsBot]:
    url = served.base_url.replace("http", "ws", 1) + "/ws-api/v3"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        yield WsBot(served, ws)


async def _below(served: Served, pct: str = "0.99") -> str:
    last = await served.tg.last_price("BTC/USDT")
    assert last is not None
    return str((last * Decimal(pct)).quantize(Decimal("0.01")))


async def test_place_query_list_and_cancel_over_the_ws_api(bot: WsBot, served: Served) -> None:
    price = await _below(served)
    placed = await bot.call(
        "order.place", symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
        quantity="0.001", price=price, newClientOrderId="wsGw1",
    )  # fmt: skip
    assert placed["status"] == 200, placed
    assert isinstance(placed["rateLimits"], list)
    result = placed["result"]
    assert (result["clientOrderId"], result["status"], result["symbol"]) == (
        "wsGw1", "NEW", "BTCUSDT",
    )  # fmt: skip
    order = served.tg.order("wsGw1")
    assert order is not None and order.order_id == result["orderId"]

    status = await bot.call("order.status", symbol="BTCUSDT", origClientOrderId="wsGw1")
    assert status["result"]["status"] == "NEW"
    listed = await bot.call("openOrders.status", symbol="BTCUSDT")
    assert [o["clientOrderId"] for o in listed["result"]] == ["wsGw1"]
    canceled = await bot.call("order.cancel", symbol="BTCUSDT", orderId=result["orderId"])
    assert canceled["result"]["status"] == "CANCELED"
    assert canceled["result"]["origClientOrderId"] == "wsGw1"
    assert served.tg.order("wsGw1").status.value == "CANCELED"  # type: ignore[union-attr]

    account = await bot.call("account.status")
    assert account["result"]["canWithdraw"] is False
    assert any(b["asset"] == "USDT" for b in account["result"]["balances"])


async def test_the_guard_and_the_signature_apply_as_on_rest(bot: WsBot, served: Served) -> None:
    denied = await bot.call(
        "order.place", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.5"
    )  # over the profile's 1000 USDT cap per order
    assert denied["status"] == 400 and denied["error"]["code"] == -2010
    assert "tradeguard" in denied["error"]["msg"]
    assert "result" not in denied

    forged = bot.signed(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
    forged["signature"] = "0" * 64
    await bot.ws.send_json({"id": "x", "method": "order.place", "params": forged})
    refused = await bot.ws.receive_json(timeout=5)
    assert (refused["id"], refused["status"], refused["error"]["code"]) == ("x", 400, -1022)

    filled = await bot.call(
        "order.place", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001",
        newClientOrderId="wsGw2",
    )  # fmt: skip
    assert filled["result"]["status"] == "FILLED" and filled["result"]["fills"]
    assert served.tg.ledger.orders.keys() >= {"wsGw2"}
    assert placements(served.tg.sim)["wsGw2"] == 1


async def test_a_dropped_reply_is_resolved_once(bot: WsBot, served: Served) -> None:
    await served.remote.add_fault(
        {"kind": "drop_after_execute", "method": "POST", "path_prefix": "/api/v3/order",
         "count": 1}
    )  # fmt: skip
    filled = await bot.call(
        "order.place", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001",
        newClientOrderId="wsDrop1",
    )  # fmt: skip
    assert filled["status"] == 200 and filled["result"]["clientOrderId"] == "wsDrop1"
    assert placements(served.tg.sim)["wsDrop1"] == 1


async def test_cancel_replace_over_the_ws_api(bot: WsBot, served: Served) -> None:
    price = await _below(served)
    await bot.call(
        "order.place", symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
        quantity="0.001", price=price, newClientOrderId="wsOld1",
    )  # fmt: skip
    lower = await _below(served, "0.98")
    replaced = await bot.call(
        "order.cancelReplace", symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
        quantity="0.001", price=lower, cancelReplaceMode="STOP_ON_FAILURE",
        cancelOrigClientOrderId="wsOld1",
    )  # fmt: skip
    assert replaced["status"] == 200, replaced
    result = replaced["result"]
    assert (result["cancelResult"], result["newOrderResult"]) == ("SUCCESS", "SUCCESS")
    assert result["cancelResponse"]["origClientOrderId"] == "wsOld1"
    new_coid = result["newOrderResponse"]["clientOrderId"]
    new = served.tg.order(new_coid)
    assert new is not None and new.price == Decimal(lower) and new.is_open
    assert served.tg.order("wsOld1").status.value == "CANCELED"  # type: ignore[union-attr]


async def test_an_unserved_method_names_what_is_served(bot: WsBot) -> None:
    reply = await bot.call("order.amend.keepPriority", symbol="BTCUSDT")
    assert reply["status"] == 400 and reply["error"]["code"] == -1020
    assert "order.place" in reply["error"]["msg"]


@pytest.mark.realclient
async def test_ccxt_pro_orders_over_the_ws_api(served: Served) -> None:
    import ccxt.pro as ccxtpro

    ex = ccxtpro.binance(
        {"apiKey": served.key.api_key, "secret": served.secret, "enableRateLimit": False,
         "options": dict(SPOT_ONLY)}
    )  # fmt: skip
    point_ccxt(ex, served.base_url)
    ws_root = served.base_url.replace("http", "ws", 1)
    ex.urls["api"]["ws"]["ws-api"]["spot"] = f"{ws_root}/ws-api/v3"
    try:
        await ex.load_markets()
        price = float(await _below(served))
        order = await ex.create_order_ws(
            "BTC/USDT", "limit", "buy", 0.001, price, {"clientOrderId": "proWs1"}
        )
        fetched = await ex.fetch_order_ws(order["id"], "BTC/USDT")
        edited = await ex.edit_order_ws(
            order["id"], "BTC/USDT", "limit", "buy", 0.001, float(await _below(served, "0.98"))
        )
        listed = await ex.fetch_open_orders_ws("BTC/USDT")
        canceled = await ex.cancel_order_ws(edited["id"], "BTC/USDT")
    finally:
        await ex.close()
    # (ccxt's fetch_balance_ws reads account.status's spot reply as a futures one: empty, on
    # Binance too; the raw test above reads it)
    assert (order["clientOrderId"], order["status"]) == ("proWs1", "open")
    assert fetched["clientOrderId"] == "proWs1"
    assert [o["id"] for o in listed] == [edited["id"]] and edited["id"] != order["id"]
    assert canceled["status"] == "canceled"
    assert served.tg.order("proWs1").status.value == "CANCELED"  # type: ignore[union-attr]
    assert placements(served.tg.sim)["proWs1"] == 1


@pytest.mark.realclient
async def test_binance_sdk_spot_websocket_api_through_the_gateway(served: Served) -> None:
    from binance_common.configuration import ConfigurationWebSocketAPI
    from binance_sdk_spot.spot import Spot
    from binance_sdk_spot.websocket_api.models import (
        OrderPlaceSideEnum,
        OrderPlaceTimeInForceEnum,
        OrderPlaceTypeEnum,
    )

    config = ConfigurationWebSocketAPI(
        api_key=served.key.api_key, api_secret=served.secret,
        stream_url=served.base_url.replace("http", "ws", 1) + "/ws-api/v3",
        reconnect_attempts=1,
    )  # fmt: skip
    connection = await Spot(config_ws_api=config).websocket_api.create_connection()
    try:
        price = float(await _below(served))
        placed = (
            await connection.order_place(
                symbol="BTCUSDT", side=OrderPlaceSideEnum.BUY, type=OrderPlaceTypeEnum.LIMIT,
                time_in_force=OrderPlaceTimeInForceEnum.GTC, quantity=0.001, price=price,
                new_client_order_id="sdkWs1",
            )
        ).data().result  # fmt: skip
        status = (
            (await connection.order_status(symbol="BTCUSDT", orig_client_order_id="sdkWs1"))
            .data()
            .result
        )
        canceled = (
            (await connection.order_cancel(symbol="BTCUSDT", order_id=placed.order_id))
            .data()
            .result
        )
        account = (await connection.account_status()).data().result
    finally:
        await connection.close_connection()
    assert (placed.client_order_id, placed.status) == ("sdkWs1", "NEW")
    assert status.status == "NEW" and canceled.status == "CANCELED"
    assert account.can_withdraw is False
    assert served.tg.order("sdkWs1").status.value == "CANCELED"  # type: ignore[union-attr]
