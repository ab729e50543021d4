"""POST /api/v3/order/cancelReplace through the gateway with python-binance unmodified: the
session's cancel_replace (the replacement checked by the guard, named by the bot); a request
to change the order's side is refused; and a key's own order rate shows in the WebSocket API's
rateLimits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.gateway.conftest import Served, pb_client_class
from tests.scenarios.conftest import FAST_RESOLVE
from tradeguard.gateway import server
from tradeguard.gateway.local_keys import LocalKey, LocalKeys
from tradeguard.keys.credentials import Secret
from tradeguard.session.connect import connect
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
    assert refused.code == -2010 and "side and type (BUY LIMIT)" in refused.message
    assert served.tg.order("crNew1").is_open  # type: ignore[union-attr]


@pytest.fixture
async def limited() -> AsyncIterator[Served]:
    tg = await connect("gw", resolve=FAST_RESOLVE)
    key = LocalKey("slow", "SlowBot1", Secret("slow-secret-1"), max_orders_per_minute=5)
    running = await server.start(tg, LocalKeys([key]))
    try:
        yield Served(tg, running, key, None)  # type: ignore[arg-type]
    finally:
        await running.close()
        await tg.close()


async def test_a_key_s_own_order_rate_is_in_the_ws_api_rate_limits(limited: Served) -> None:
    params: dict[str, Any] = {
        "apiKey": "SlowBot1", "symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
        "quantity": "0.001", "timestamp": limited.tg.server_now_ms(),
    }  # fmt: skip
    params["signature"] = signing.hmac_sha256_hex("slow-secret-1", signing.ws_payload(params))
    url = limited.base_url.replace("http", "ws", 1) + "/ws-api/v3"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        await ws.send_json({"id": 1, "method": "order.place", "params": params})
        reply = await ws.receive_json(timeout=15)
    assert reply["status"] == 200
    assert reply["rateLimits"] == [
        {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 5, "count": 1}
    ]
