"""Property: whatever arrives over HTTP, the simulator answers in Binance's shape and keeps
serving. Every reply is JSON; every refusal is {"code": int, "msg": str} with a status below
500; no request makes the server hit an unexpected exception; /api/v3/ping still answers.

The simulator runs in its own thread and event loop for the whole module (Hypothesis runs many
examples per test; starting a server per example would be slow), and the examples are sent
with the standard library's blocking HTTP client.
"""

from __future__ import annotations

import asyncio
import dataclasses
import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeguard.sim import server
from tradeguard.sim.config import RateLimitSpec, SimConfig
from tradeguard.venues.binance import signing

ROUTES = [
    ("GET", "/api/v3/ping"),
    ("GET", "/api/v3/time"),
    ("GET", "/api/v3/exchangeInfo"),
    ("GET", "/api/v3/depth"),
    ("GET", "/api/v3/ticker/price"),
    ("GET", "/api/v3/ticker/bookTicker"),
    ("GET", "/api/v3/ticker/24hr"),
    ("GET", "/api/v3/klines"),
    ("GET", "/api/v3/trades"),
    ("GET", "/api/v3/aggTrades"),
    ("GET", "/api/v3/avgPrice"),
    ("GET", "/api/v3/account"),
    ("POST", "/api/v3/order"),
    ("POST", "/api/v3/order/test"),
    ("GET", "/api/v3/order"),
    ("DELETE", "/api/v3/order"),
    ("GET", "/api/v3/openOrders"),
    ("DELETE", "/api/v3/openOrders"),
    ("GET", "/api/v3/allOrders"),
    ("GET", "/api/v3/myTrades"),
    ("POST", "/api/v3/orderList/oco"),
    ("POST", "/api/v3/order/oco"),
    ("GET", "/api/v3/orderList"),
    ("DELETE", "/api/v3/orderList"),
    ("GET", "/api/v3/openOrderList"),
    ("GET", "/api/v3/rateLimit/order"),
    ("GET", "/sapi/v1/account/apiRestrictions"),
    ("GET", "/sapi/v1/system/status"),
    ("GET", "/sapi/v1/spot/delist-schedule"),
    ("POST", "/api/v3/userDataStream"),
    ("PUT", "/api/v3/userDataStream"),
    ("DELETE", "/api/v3/userDataStream"),
    ("GET", "/api/v3/nowhere"),
    ("PATCH", "/api/v3/order"),
    ("GET", "/ws-api/v3"),
    ("GET", "/ws/btcusdt@trade"),
    ("GET", "/ws"),
    ("GET", "/stream"),
]
NAMES = [
    "symbol", "symbols", "side", "type", "timeInForce", "quantity", "quoteOrderQty", "price",
    "newClientOrderId", "stopPrice", "trailingDelta", "icebergQty", "newOrderRespType",
    "selfTradePreventionMode", "strategyId", "strategyType", "orderId", "origClientOrderId",
    "limit", "interval", "startTime", "endTime", "fromId", "recvWindow", "listenKey",
    "orderListId", "listClientOrderId", "aboveType", "belowType", "abovePrice", "belowPrice",
    "belowStopPrice", "aboveStopPrice", "stopLimitPrice", "computeCommissionRates",
    "omitZeroBalances", "permissions", "timestamp", "signature",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(
        [
            "BTCUSDT",
            "ETHUSDT",
            "btcusdt",
            "BUY",
            "SELL",
            "LIMIT",
            "MARKET",
            "LIMIT_MAKER",
            "STOP_LOSS_LIMIT",
            "TAKE_PROFIT",
            "GTC",
            "IOC",
            "FOK",
            "ACK",
            "FULL",
            "RESULT",
            "0",
            "0.001",
            "1",
            "50000",
            "60000.01",
            "1e5",
            "-1",
            "NaN",
            "Infinity",
            "1m",
            "1M",
            "true",
            "false",
            '["BTCUSDT"]',
            '["',
            "[]",
            "99999999999999999999999",
            "",
            " ",
        ]
    ),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=10).map(str),
    st.text(max_size=40),
)
PARAMS = st.lists(st.tuples(st.sampled_from(NAMES) | st.text(max_size=12), VALUES), max_size=10)


@dataclasses.dataclass
class Threaded:
    running: server.RunningSim
    loop: asyncio.AbstractEventLoop
    host: str
    port: int

    def send(
        self, method: str, path: str, query: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes, str]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            target = path + (f"?{query}" if query else "")
            conn.request(method, target, body=body or None, headers=headers)
            reply = conn.getresponse()
            return reply.status, reply.read(), reply.getheader("Content-Type", "")
        finally:
            conn.close()


@pytest.fixture(scope="module")
def threaded() -> Iterator[Threaded]:
    config = SimConfig.default(seed=13, clock="manual", start_ms=1_767_225_600_000)
    # Limits high enough that the fuzzing itself never gets the IP banned.
    config = dataclasses.replace(
        config,
        limits=RateLimitSpec(
            request_weight_per_min=10**9, orders_per_10s=10**9, raw_requests_per_5min=10**9
        ),
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    running = asyncio.run_coroutine_threadsafe(server.start(config), loop).result(30)
    host, port = running.base_url.removeprefix("http://").rsplit(":", 1)
    try:
        yield Threaded(running, loop, host, int(port))
    finally:
        asyncio.run_coroutine_threadsafe(running.close(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _check(status: int, raw: bytes, content_type: str) -> None:
    assert status < 500, (status, raw[:300])
    assert content_type.startswith("application/json"), (status, content_type, raw[:200])
    body: Any = json.loads(raw)
    if status != 200:
        assert isinstance(body, dict) and set(body) == {"code", "msg"}, body
        assert isinstance(body["code"], int) and isinstance(body["msg"], str), body


def _encode(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(route=st.sampled_from(ROUTES), pairs=PARAMS, in_body=st.booleans())
def test_unsigned_requests_get_binance_shaped_answers(
    threaded: Threaded, route: tuple[str, str], pairs: list[tuple[str, str]], in_body: bool
) -> None:
    method, path = route
    encoded = _encode(pairs)
    query, body = ("", encoded.encode()) if in_body and method != "GET" else (encoded, b"")
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    _check(*threaded.send(method, path, query, body, headers))


@FUZZ
@given(
    route=st.sampled_from(ROUTES),
    pairs=PARAMS,
    key=st.sampled_from(["trade-only", "trade-only-ed25519", "read-only"]),
)
def test_signed_requests_reach_the_handlers_and_get_binance_shaped_answers(
    threaded: Threaded, route: tuple[str, str], pairs: list[tuple[str, str]], key: str
) -> None:
    # Validly signed and on time, so the fuzzed parameters get past authentication.
    method, path = route
    api_key = threaded.running.key(key)
    seen: set[str] = set()
    unique = [(k, v) for k, v in pairs if k not in ("timestamp", "signature") and not (
        k in seen or seen.add(k))]  # fmt: skip
    unique.append(("timestamp", str(threaded.running.sim.clock.now_ms())))
    payload = _encode(unique)
    signature = signing.sign(api_key.kind, api_key.secret, payload)
    payload += f"&signature={quote(signature, safe='')}"
    in_body = method not in ("GET",)
    query, body = ("", payload.encode()) if in_body else (payload, b"")
    headers = {"X-MBX-APIKEY": api_key.api_key}
    if in_body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    _check(*threaded.send(method, path, query, body, headers))


@FUZZ
@given(
    route=st.sampled_from(ROUTES),
    query=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=60),
    body=st.binary(max_size=200),
    api_key=st.none() | st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126)),
)
def test_raw_garbage_gets_binance_shaped_answers(
    threaded: Threaded, route: tuple[str, str], query: str, body: bytes, api_key: str | None
) -> None:
    method, path = route
    query = query.replace("#", "%23")  # a fragment never reaches a server
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if api_key is not None:
        headers["X-MBX-APIKEY"] = api_key
    _check(*threaded.send(method, path, query, body if method != "GET" else b"", headers))


def test_the_server_survived_and_nothing_unexpected_happened(threaded: Threaded) -> None:
    status, raw, _ = threaded.send("GET", "/api/v3/ping", "", b"", {})
    assert (status, json.loads(raw)) == (200, {})
    assert threaded.running.sim.unexpected_errors == []
