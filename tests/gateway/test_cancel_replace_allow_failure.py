"""cancelReplace with `cancelReplaceMode=ALLOW_FAILURE` naming an order nobody holds: Binance
places the new order anyway and answers 409 -2021 with the cancel FAILURE (-2011) and the new
order SUCCESS under `data` (rest-api.md, "Cancel an Existing Order and Send a New Order");
when the new order is refused too, 400 -2022 with both failures. The gateway answers so, the
new order going through the whole guard like any other."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.gateway.conftest import Served, pb_client_class
from tradeguard.venues.binance import signing

pytestmark = pytest.mark.realclient


def _below(client: Any, pct: str) -> str:
    last = Decimal(client.get_symbol_ticker(symbol="BTCUSDT")["price"])
    return str((last * Decimal(pct)).quantize(Decimal("0.01")))


async def test_allow_failure_on_an_unknown_order_places_the_new_one(served: Served) -> None:
    from binance.client import Client
    from binance.exceptions import BinanceAPIException

    def scenario() -> BinanceAPIException:
        client = pb_client_class(Client, served.base_url)(served.key.api_key, served.secret)
        with pytest.raises(BinanceAPIException) as partly:
            client.cancel_replace_order(
                symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                quantity="0.001", price=_below(client, "0.99"),
                cancelReplaceMode="ALLOW_FAILURE", cancelOrigClientOrderId="noSuchOrder1",
                newClientOrderId="afNew1", newOrderRespType="ACK",
            )  # fmt: skip
        return partly.value

    partly = await asyncio.to_thread(scenario)
    assert (partly.status_code, partly.code) == (409, -2021)
    assert partly.message == "Order cancel-replace partially failed."
    data = partly.response.json()["data"]
    assert (data["cancelResult"], data["newOrderResult"]) == ("FAILURE", "SUCCESS")
    assert data["cancelResponse"] == {"code": -2011, "msg": "Unknown order sent."}
    placed = served.tg.order("afNew1")
    assert placed is not None and placed.is_open and placed.order_id is not None
    assert data["newOrderResponse"]["clientOrderId"] == "afNew1"
    assert data["newOrderResponse"]["orderId"] == placed.order_id
    assert set(data["newOrderResponse"]) == {
        "symbol",
        "orderId",
        "orderListId",
        "clientOrderId",
        "transactTime",
    }  # fmt: skip  (ACK, as asked)


async def test_allow_failure_with_a_refused_new_order_is_2022_over_the_ws_api(
    served: Served,
) -> None:
    """The new order breaks the profile's 1000 USDT cap: nothing to cancel, nothing placed,
    400 -2022 with the cancel's -2011 and the guard's -2010 under `data`."""
    params: dict[str, Any] = {
        "apiKey": served.key.api_key, "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
        "timeInForce": "GTC", "quantity": "1", "price": "20000",
        "cancelReplaceMode": "ALLOW_FAILURE", "cancelOrderId": 987654321,
        "newClientOrderId": "afBig1", "timestamp": served.tg.server_now_ms(),
    }  # fmt: skip
    params["signature"] = signing.hmac_sha256_hex(served.secret, signing.ws_payload(params))
    url = served.base_url.replace("http", "ws", 1) + "/ws-api/v3"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        await ws.send_json({"id": 7, "method": "order.cancelReplace", "params": params})
        reply = await ws.receive_json(timeout=15)
    assert reply["status"] == 400 and reply["error"]["code"] == -2022
    data = reply["error"]["data"]
    assert (data["cancelResult"], data["newOrderResult"]) == ("FAILURE", "FAILURE")
    assert data["cancelResponse"] == {"code": -2011, "msg": "Unknown order sent."}
    assert data["newOrderResponse"]["code"] == -2010
    assert "max_order_notional" in data["newOrderResponse"]["msg"]
    assert served.tg.order("afBig1") is None
