"""POST /api/v3/order/cancelReplace through the gateway with python-binance unmodified: the
session's cancel_replace (the replacement checked by the guard, named by the bot); a request
to change the order's side is refused (-2022, the reason under `data`), as are an exchange's
-2022 and a guard's refusal; and a key's own order rate shows in the WebSocket API's
rateLimits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.gateway.conftest import Served, pb_client_class, served_at_order_rate
from tradeguard.venues.binance import signing

pytestmark = pytest.mark.realclient


def _below(client: Any, pct: str) -> str:
    last = Decimal(client.get_symbol_ticker(symbol="BTCUSDT")["price"])
    return str((last * Decimal(pct)).quantize(Decimal("0.01")))


async def test_cancel_replace_over_rest(served: Served) -> None:
    from binance.client import Client
    from binance.exceptions import BinanceAPIException

    def scenario() -> tuple[dict[str, Any], BinanceAPIException]:
        client = pb_client_class(Client, served.base_url)(served.key.api_key, served.secret)
        client.create_order(
            symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001",
            price=_below(client, "0.99"), newClientOrderId="crOld1",
        )  # fmt: skip
        replaced = client.cancel_replace_order(
            symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.002",
            price=_below(client, "0.98"), cancelReplaceMode="STOP_ON_FAILURE",
            cancelOrigClientOrderId="crOld1", newClientOrderId="crNew1",
        )  # fmt: skip
        with pytest.raises(BinanceAPIException) as refused:
            client.cancel_replace_order(
                symbol="BTCUSDT", side="SELL", type="LIMIT", timeInForce="GTC",
                quantity="0.001", price=_below(client, "1.2"),
                cancelReplaceMode="STOP_ON_FAILURE", cancelOrigClientOrderId="crNew1",
            )  # fmt: skip
        return replaced, refused.value

    replaced, refused = await asyncio.to_thread(scenario)
    assert replaced["cancelResult"] == "SUCCESS" and replaced["newOrderResult"] == "SUCCESS"
    assert replaced["cancelResponse"]["origClientOrderId"] == "crOld1"
    assert replaced["newOrderResponse"]["clientOrderId"] == "crNew1"
    new = served.tg.order("crNew1")
    assert new is not None and new.qty == Decimal("0.002") and new.is_open
    assert served.tg.order("crOld1").status.value == "CANCELED"  # type: ignore[union-attr]
    # Binance's -2022 (nothing happened), the guard's reason in the new order's half
    assert refused.code == -2022
    why = refused.response.json()["data"]["newOrderResponse"]
    assert why["code"] == -2010 and "side and type (BUY LIMIT)" in why["msg"]
    assert served.tg.order("crNew1").is_open  # type: ignore[union-attr]


@pytest.fixture
async def limited() -> AsyncIterator[Served]:
    async with served_at_order_rate("SlowBot1", 5) as served:
        yield served


async def test_a_key_s_own_order_rate_is_in_the_ws_api_rate_limits(limited: Served) -> None:
    params: dict[str, Any] = {
        "apiKey": "SlowBot1", "symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
        "quantity": "0.001", "timestamp": limited.tg.server_now_ms(),
    }  # fmt: skip
    params["signature"] = signing.hmac_sha256_hex(limited.secret, signing.ws_payload(params))
    url = limited.base_url.replace("http", "ws", 1) + "/ws-api/v3"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        await ws.send_json({"id": 1, "method": "order.place", "params": params})
        reply = await ws.receive_json(timeout=15)
    assert reply["status"] == 200
    assert reply["rateLimits"] == [
        {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 5, "count": 1}
    ]


async def test_an_exchange_refused_cancel_replace_has_binance_s_data(served: Served) -> None:
    """The order filled at the exchange before the session heard of it: the cancel fails
    (-2011), STOP_ON_FAILURE places nothing, and the bot gets Binance's 400 -2022 with both
    halves under `data`, as the exchange answered them."""
    from binance.client import Client
    from binance.exceptions import BinanceAPIException

    local = pb_client_class(Client, served.base_url)
    client = await asyncio.to_thread(local, served.key.api_key, served.secret)  # pings
    price = await asyncio.to_thread(_below, client, "0.99")
    await asyncio.to_thread(
        lambda: client.create_order(
            symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001",
            price=price, newClientOrderId="crGone1",
        )
    )  # fmt: skip
    await served.remote.add_fault({"kind": "stream_silence", "channel": "user"})
    await served.remote.fill("BTCUSDT", "0.001", client_order_id="crGone1")

    def replace() -> BinanceAPIException:
        with pytest.raises(BinanceAPIException) as refused:
            client.cancel_replace_order(
                symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                quantity="0.001", price=price,
                cancelReplaceMode="STOP_ON_FAILURE", cancelOrigClientOrderId="crGone1",
            )  # fmt: skip
        return refused.value

    refused = await asyncio.to_thread(replace)
    assert (refused.status_code, refused.code) == (400, -2022)
    data = refused.response.json()["data"]
    assert (data["cancelResult"], data["newOrderResult"]) == ("FAILURE", "NOT_ATTEMPTED")
    assert data["cancelResponse"]["code"] == -2011 and data["newOrderResponse"] is None
    await served.remote.clear_faults()


async def test_a_guard_refused_replacement_is_2022_with_data_over_the_ws_api(
    served: Served,
) -> None:
    """The replacement breaks the profile's 1000 USDT cap: nothing is cancelled or placed, and
    the bot gets -2022 with the new order's refusal (the guard's reason) under `data`."""
    from binance.client import Client

    local = pb_client_class(Client, served.base_url)
    client = await asyncio.to_thread(local, served.key.api_key, served.secret)  # pings
    price = await asyncio.to_thread(_below, client, "0.99")
    await asyncio.to_thread(
        lambda: client.create_order(
            symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001",
            price=price, newClientOrderId="crKeep1",
        )
    )  # fmt: skip
    url = served.base_url.replace("http", "ws", 1) + "/ws-api/v3"
    params: dict[str, Any] = {
        "apiKey": served.key.api_key, "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
        "timeInForce": "GTC", "quantity": "0.5", "price": price,
        "cancelReplaceMode": "STOP_ON_FAILURE", "cancelOrigClientOrderId": "crKeep1",
        "timestamp": served.tg.server_now_ms(),
    }  # fmt: skip
    payload = signing.ws_payload(params).encode()
    params["signature"] = signing.hmac_sha256_hex(served.secret, payload)
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        await ws.send_json({"id": 1, "method": "order.cancelReplace", "params": params})
        reply = await ws.receive_json(timeout=15)
    assert reply["status"] == 400 and reply["error"]["code"] == -2022, reply
    data = reply["error"]["data"]
    assert (data["cancelResult"], data["newOrderResult"]) == ("NOT_ATTEMPTED", "FAILURE")
    assert data["cancelResponse"] is None
    assert data["newOrderResponse"]["code"] == -2010 and "1000" in data["newOrderResponse"]["msg"]
    assert served.tg.order("crKeep1").is_open  # type: ignore[union-attr]
