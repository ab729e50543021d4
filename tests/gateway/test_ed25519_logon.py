"""A bot with an Ed25519 local key (the gateway holds only its public key) logs on to the
gateway's WebSocket API once (`session.logon`), then sends orders without signing each one, as
Binance allows for Ed25519 keys only; `session.status` and `session.logout` as Binance's. Its
REST requests verify against the public key too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.gateway.conftest import Served
from tests.scenarios.conftest import FAST_RESOLVE
from tradeguard.gateway import server
from tradeguard.gateway.local_keys import LocalKey, LocalKeys
from tradeguard.session.connect import connect
from tradeguard.venues.binance import signing

ED_API_KEY = "EdBot" + "x" * 59


def _pems() -> tuple[str, str]:
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


@pytest.fixture
async def two_keys() -> AsyncIterator[tuple[Served, str]]:
    """A gateway with an HMAC key and an Ed25519 key; the Ed25519 private key PEM."""
    private_pem, public_pem = _pems()
    tg = await connect("gw", resolve=FAST_RESOLVE)
    hmac_key = LocalKey.generate()
    ed_key = LocalKey.ed25519("edbot", ED_API_KEY, public_pem)
    running = await server.start(tg, LocalKeys([hmac_key, ed_key]))
    try:
        yield Served(tg, running, hmac_key, None), private_pem  # type: ignore[arg-type]
    finally:
        await running.close()
        await tg.close()


async def _call(ws: aiohttp.ClientWebSocketResponse, method: str, **params: Any) -> Any:
    await ws.send_json({"id": method, "method": method, "params": params})
    return await ws.receive_json(timeout=15)


async def test_log_on_once_then_trade_unsigned(two_keys: tuple[Served, str]) -> None:
    served, private_pem = two_keys
    now = served.tg.server_now_ms()
    logon = {"apiKey": ED_API_KEY, "timestamp": now}
    logon["signature"] = signing.ed25519_sign_b64(private_pem, signing.ws_payload(logon).encode())  # type: ignore[assignment]
    url = served.base_url.replace("http", "ws", 1) + "/ws-api/v3"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        before = await _call(ws, "session.status")
        on = await _call(ws, "session.logon", **logon)
        status = await _call(ws, "session.status")
        placed = await _call(
            ws, "order.place", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001",
            newClientOrderId="edOrder1", timestamp=served.tg.server_now_ms(),
        )  # fmt: skip
        off = await _call(ws, "session.logout")
        unsigned = await _call(
            ws, "order.place", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001",
            timestamp=served.tg.server_now_ms(),
        )  # fmt: skip
    assert before["result"]["apiKey"] is None
    assert on["status"] == 200 and on["result"]["apiKey"] == ED_API_KEY
    assert {"authorizedSince", "connectedSince", "serverTime"} <= set(on["result"])
    assert status["result"]["apiKey"] == ED_API_KEY
    assert placed["status"] == 200 and placed["result"]["status"] == "FILLED"
    intended = served.tg.intent_of("edOrder1")
    assert intended is not None and intended.placed_by == "edbot"
    assert off["result"]["apiKey"] is None
    assert unsigned["status"] == 400 and unsigned["error"]["code"] == -1102


async def test_an_hmac_key_cannot_log_on_and_a_forged_logon_is_refused(
    two_keys: tuple[Served, str],
) -> None:
    served, _ = two_keys
    now = served.tg.server_now_ms()
    hmac_logon: dict[str, Any] = {"apiKey": served.key.api_key, "timestamp": now}
    hmac_logon["signature"] = signing.hmac_sha256_hex(served.secret, signing.ws_payload(hmac_logon))
    other_pem, _ = _pems()
    forged: dict[str, Any] = {"apiKey": ED_API_KEY, "timestamp": now}
    forged["signature"] = signing.ed25519_sign_b64(other_pem, signing.ws_payload(forged).encode())
    url = served.base_url.replace("http", "ws", 1) + "/ws-api/v3"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        hmac_refused = await _call(ws, "session.logon", **hmac_logon)
        forged_refused = await _call(ws, "session.logon", **forged)
        status = await _call(ws, "session.status")
    # Binance's own answer to an HMAC key's logon (its spot docs say Ed25519 only and list no
    # code; this is what its WebSocket API answers): -4056, status 400
    assert hmac_refused["status"] == 400
    assert hmac_refused["error"] == {"code": -4056, "msg": "HMAC_SHA256 API key is not supported."}
    assert forged_refused["error"]["code"] == -1022
    assert status["result"]["apiKey"] is None


async def test_rest_requests_verify_against_the_public_key(two_keys: tuple[Served, str]) -> None:
    served, private_pem = two_keys
    query = f"symbol=BTCUSDT&timestamp={served.tg.server_now_ms()}"
    signature = signing.ed25519_sign_b64(private_pem, query.encode())
    url = f"{served.base_url}/api/v3/openOrders?{query}&signature={signing.quote_value(signature)}"
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"X-MBX-APIKEY": ED_API_KEY}) as ok:
            assert (ok.status, await ok.json()) == (200, [])
        bad = url.replace(signing.quote_value(signature), signing.quote_value("A" * 88))
        async with http.get(bad, headers={"X-MBX-APIKEY": ED_API_KEY}) as refused:
            assert (await refused.json())["code"] == -1022


@pytest.mark.realclient
async def test_binance_sdk_spot_logs_on_with_its_ed25519_key(two_keys: tuple[Served, str]) -> None:
    from binance_common.configuration import ConfigurationWebSocketAPI
    from binance_sdk_spot.spot import Spot
    from binance_sdk_spot.websocket_api.models import OrderPlaceSideEnum, OrderPlaceTypeEnum

    served, private_pem = two_keys
    config = ConfigurationWebSocketAPI(
        api_key=ED_API_KEY, private_key=private_pem,
        stream_url=served.base_url.replace("http", "ws", 1) + "/ws-api/v3", reconnect_attempts=1,
    )  # fmt: skip
    connection = await Spot(config_ws_api=config).websocket_api.create_connection()
    try:
        logged_on = (await connection.session_logon()).data().result
        placed = (
            await connection.order_place(
                symbol="BTCUSDT", side=OrderPlaceSideEnum.BUY, type=OrderPlaceTypeEnum.MARKET,
                quantity=0.001, new_client_order_id="sdkEd1",
            )
        ).data().result  # fmt: skip
    finally:
        await connection.close_connection()
    assert logged_on.api_key == ED_API_KEY
    assert placed.status == "FILLED"
    intended = served.tg.intent_of("sdkEd1")
    assert intended is not None and intended.placed_by == "edbot"


async def test_a_logged_on_socket_subscribes_to_its_user_stream_unsigned(
    two_keys: tuple[Served, str],
) -> None:
    served, private_pem = two_keys
    logon: dict[str, Any] = {"apiKey": ED_API_KEY, "timestamp": served.tg.server_now_ms()}
    logon["signature"] = signing.ed25519_sign_b64(private_pem, signing.ws_payload(logon).encode())
    url = served.base_url.replace("http", "ws", 1) + "/ws-api/v3"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        refused = await _call(ws, "userDataStream.subscribe")
        await _call(ws, "session.logon", **logon)
        subscribed = await _call(ws, "userDataStream.subscribe")
        status = await _call(ws, "session.status")
        await served.tg.market_buy("BTC/USDT", qty="0.001")
        event = await ws.receive_json(timeout=10)
    assert refused["status"] == 401 and "session.logon" in refused["error"]["msg"]
    assert subscribed["result"] == {"subscriptionId": 0}
    assert status["result"]["userDataStream"] is True
    assert event["subscriptionId"] == 0 and event["event"]["e"] == "executionReport"
