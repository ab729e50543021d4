"""Binance's refusals with its codes, texts and HTTP statuses: keys, signatures, clocks,
permissions, parameters, filters, balances, duplicates, unknown orders and paths."""

from __future__ import annotations

import dataclasses

import aiohttp
import pytest

from tradeguard.sim import server
from tradeguard.sim.config import SimConfig
from tradeguard.sim.server import RunningSim

from .wire_client import Reply, WireClient

LIMIT = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
INVALID_KEY = "Invalid API-key, IP, or permissions for action."


@pytest.fixture
def sim_config(sim_config: SimConfig) -> SimConfig:
    # A key whitelisted to an address no test connects from: its requests fail the IP check.
    return dataclasses.replace(
        sim_config, keys=[{"name": "elsewhere", "allowed_ips": ["10.9.9.9"]}]
    )


def _is(reply: Reply, status: int, code: int, msg: str) -> None:
    assert (reply.status, reply.code, reply.msg) == (status, code, msg), reply.text


# ── who is asking ────────────────────────────────────────────────────────────────────────────


async def test_bad_signature(wire: WireClient) -> None:
    reply = await wire.get("/api/v3/account", key="trade-only", signed=True, signature="00" * 32)
    _is(reply, 400, -1022, "Signature for this request is not valid.")


async def test_signature_over_the_raw_bytes_in_any_order(wire: WireClient) -> None:
    # python-binance sorts its parameters, ccxt does not: both orders verify.
    for params in (
        [("symbol", "BTCUSDT"), ("recvWindow", "10000")],
        [("recvWindow", "10000"), ("symbol", "BTCUSDT")],
    ):
        reply = await wire.get("/api/v3/openOrders", params, key="trade-only", signed=True)
        assert reply.status == 200, reply.text


async def test_stale_and_future_timestamps(wire: WireClient) -> None:
    stale = await wire.get(
        "/api/v3/account", key="trade-only", signed=True, timestamp=wire.now_ms() - 5001
    )
    _is(stale, 400, -1021, "Timestamp for this request is outside of the recvWindow.")
    widened = await wire.get(
        "/api/v3/account",
        {"recvWindow": "10000"},
        key="trade-only",
        signed=True,
        timestamp=wire.now_ms() - 5001,
    )
    assert widened.status == 200
    future = await wire.get(
        "/api/v3/account", key="trade-only", signed=True, timestamp=wire.now_ms() + 1000
    )
    _is(future, 400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    too_wide = await wire.get(
        "/api/v3/account", {"recvWindow": "60001"}, key="trade-only", signed=True
    )
    assert (too_wide.status, too_wide.code) == (400, -1131)


async def test_unknown_key_missing_key_and_missing_signature(wire: WireClient) -> None:
    unknown = await wire.get("/api/v3/account", {"timestamp": str(wire.now_ms())}, api_key="A" * 64)
    _is(unknown, 401, -2015, INVALID_KEY)
    missing = await wire.get("/api/v3/account", {"timestamp": str(wire.now_ms())})
    _is(missing, 401, -2014, "API-key format invalid.")
    unsigned = await wire.get(
        "/api/v3/account", {"timestamp": str(wire.now_ms())}, key="trade-only"
    )
    _is(
        unsigned,
        400,
        -1102,
        "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
    )


async def test_ip_not_whitelisted(wire: WireClient) -> None:
    reply = await wire.get("/api/v3/account", key="elsewhere", signed=True)
    _is(reply, 401, -2015, INVALID_KEY)
    unrestricted = await wire.get("/api/v3/account", key="no-ip-restriction", signed=True)
    assert unrestricted.status == 200


async def test_read_only_key_cannot_trade(wire: WireClient) -> None:
    reply = await wire.order(key="read-only", **LIMIT, quantity="0.001", price="50000")
    _is(reply, 401, -2015, INVALID_KEY)
    reads = await wire.get("/api/v3/account", key="read-only", signed=True)
    assert reads.status == 200
    assert "X-MBX-USED-WEIGHT-1M" in reply.headers


# ── what is asked ────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        (
            {"price": "1e5"},
            -1100,
            "Illegal characters found in parameter 'price'; legal range "
            "is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
        ),
        (
            {"quantity": "-0.001"},
            -1100,
            "Illegal characters found in parameter 'quantity'; "
            "legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
        ),
        (
            {"newClientOrderId": "no spaces!"},
            -1100,
            "Illegal characters found in parameter "
            "'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.",
        ),
        (
            {"newClientOrderId": "x" * 37},
            -1100,
            "Illegal characters found in parameter "
            "'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.",
        ),
        ({"side": "HOLD"}, -1117, "Invalid side."),
        ({"type": "ICEBERG"}, -1116, "Invalid orderType."),
        ({"timeInForce": "GTD"}, -1115, "Invalid timeInForce."),
        ({"symbol": "NOPEUSDT"}, -1121, "Invalid symbol."),
        (
            {"price": ""},
            -1102,
            "Mandatory parameter 'price' was not sent, was empty/null, or malformed.",
        ),
    ],
)
async def test_malformed_order_parameters(
    wire: WireClient, params: dict[str, str], code: int, msg: str
) -> None:
    reply = await wire.order(**(LIMIT | {"quantity": "0.001", "price": "50000"} | params))
    _is(reply, 400, code, msg)


async def test_duplicate_parameter(wire: WireClient) -> None:
    reply = await wire.get("/api/v3/depth", raw_query="symbol=BTCUSDT&symbol=ETHUSDT")
    _is(reply, 400, -1101, "Duplicate values for a parameter detected.")


@pytest.mark.parametrize(
    ("params", "failure"),
    [
        ({**LIMIT, "quantity": "0.001", "price": "50000.005"}, "PRICE_FILTER"),
        ({**LIMIT, "quantity": "0.001", "price": "2000000"}, "PRICE_FILTER"),
        ({**LIMIT, "quantity": "0.000015", "price": "50000"}, "LOT_SIZE"),
        ({**LIMIT, "quantity": "0.000001", "price": "50000"}, "LOT_SIZE"),
        ({**LIMIT, "quantity": "0.00001", "price": "50000"}, "NOTIONAL"),
        (
            {"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "101"},
            "MARKET_LOT_SIZE",
        ),
        ({**LIMIT, "quantity": "0.01", "price": "50000", "icebergQty": "0.0001"}, "ICEBERG_PARTS"),
        ({**LIMIT, "quantity": "190", "price": "50000"}, "NOTIONAL"),
        (
            {
                "symbol": "BTCUSDT",
                "side": "SELL",
                "type": "STOP_LOSS",
                "quantity": "0.001",
                "trailingDelta": "5",
            },
            "TRAILING_DELTA",
        ),
    ],
)
async def test_filter_failures(wire: WireClient, params: dict[str, str], failure: str) -> None:
    reply = await wire.order(**params)
    _is(reply, 400, -1013, f"Filter failure: {failure}")


async def test_max_num_orders_filter(http: aiohttp.ClientSession, sim_config: SimConfig) -> None:
    symbols = [dataclasses.replace(s, max_num_orders=2) for s in sim_config.symbols]
    async with await server.start(dataclasses.replace(sim_config, symbols=symbols)) as running:
        wire = WireClient(running, http)
        for _ in range(2):
            assert (await wire.order(**LIMIT, quantity="0.001", price="50000")).status == 200
        third = await wire.order(**LIMIT, quantity="0.001", price="50000")
        _is(third, 400, -1013, "Filter failure: MAX_NUM_ORDERS")


async def test_max_num_algo_orders_filter(wire: WireClient) -> None:
    stop = {"symbol": "BTCUSDT", "side": "SELL", "type": "STOP_LOSS", "quantity": "0.001"}
    replies = [await wire.order(**stop, stopPrice=str(50000 - n)) for n in range(6)]
    assert [r.status for r in replies[:5]] == [200] * 5
    _is(replies[5], 400, -1013, "Filter failure: MAX_NUM_ALGO_ORDERS")


async def test_matching_engine_refusals(wire: WireClient) -> None:
    poor = await wire.order(**LIMIT, quantity="10", price="50000")
    _is(poor, 400, -2010, "Account has insufficient balance for requested action.")
    first = await wire.order(**LIMIT, quantity="0.001", price="50000", newClientOrderId="dup-1")
    assert first.status == 200
    again = await wire.order(**LIMIT, quantity="0.001", price="50000", newClientOrderId="dup-1")
    _is(again, 400, -2010, "Duplicate order sent.")
    maker = await wire.order(
        symbol="BTCUSDT", side="BUY", type="LIMIT_MAKER", quantity="0.001", price="61000"
    )
    _is(maker, 400, -2010, "Order would immediately match and take.")


async def test_unknown_and_filled_orders(wire: WireClient) -> None:
    query = await wire.get(
        "/api/v3/order", {"symbol": "BTCUSDT", "orderId": "999999"}, key="trade-only", signed=True
    )
    _is(query, 400, -2013, "Order does not exist.")
    cancel = await wire.delete(
        "/api/v3/order", {"symbol": "BTCUSDT", "orderId": "999999"}, key="trade-only", signed=True
    )
    _is(cancel, 400, -2011, "Unknown order sent.")
    filled = await wire.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
    assert filled.body["status"] == "FILLED"
    late = await wire.delete(
        "/api/v3/order",
        {"symbol": "BTCUSDT", "orderId": str(filled.body["orderId"])},
        key="trade-only",
        signed=True,
    )
    _is(late, 400, -2011, "Unknown order sent.")
    neither = await wire.get("/api/v3/order", {"symbol": "BTCUSDT"}, key="trade-only", signed=True)
    _is(
        neither,
        400,
        -1102,
        "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!",
    )


async def test_unknown_path_and_wrong_method_are_binance_shaped(
    wire: WireClient, running_sim: RunningSim
) -> None:
    missing = await wire.get("/api/v3/nothing")
    assert missing.status == 404 and isinstance(missing.code, int) and missing.msg
    assert "X-MBX-USED-WEIGHT-1M" in missing.headers
    wrong = await wire.request("PATCH", "/api/v3/order")
    assert wrong.status == 405 and isinstance(wrong.code, int) and "POST" in wrong.msg
