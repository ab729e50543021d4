"""Orders over the WebSocket API: order.place/cancel/cancelReplace/status and openOrders, with
REST's replies, weights, order counts, bans and the order path's faults, in raw frames."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tradeguard.sim.rejects import Reject
from tradeguard.sim.server import RunningSim
from tradeguard.venues.binance import signing

from .wire_client import WireClient

TIMEOUT_S = 5


@pytest.fixture
async def ws(
    running_sim: RunningSim, http: aiohttp.ClientSession
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    async with http.ws_connect(running_sim.ws_api_url) as socket:
        yield socket


def signed(running: RunningSim, key_name: str = "trade-only", **params: Any) -> dict[str, Any]:
    key = running.key(key_name)
    out: dict[str, Any] = {"apiKey": key.api_key, "timestamp": running.sim.clock.now_ms()}
    out.update(params)
    out["signature"] = signing.sign(key.kind, key.secret, signing.ws_payload(out))
    return out


async def call(
    ws: aiohttp.ClientWebSocketResponse, method: str, params: Any, request_id: Any = 1
) -> dict[str, Any]:
    await ws.send_json({"id": request_id, "method": method, "params": params})
    reply: dict[str, Any] = await ws.receive_json(timeout=TIMEOUT_S)
    return reply


def limit_buy(
    running: RunningSim, coid: str, key_name: str = "trade-only", **extra: Any
) -> dict[str, Any]:
    order: dict[str, Any] = {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.001",
        "price": "50000",
        "newClientOrderId": coid,
    }
    return signed(running, key_name, **(order | extra))


def counts(reply: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(r["rateLimitType"], r["interval"]): r["count"] for r in reply["rateLimits"]}


async def test_place_status_cancel_as_rest_answers_them(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim, wire: WireClient
) -> None:
    placed = await call(ws, "order.place", limit_buy(running_sim, "ws-a"), request_id="p1")
    assert (placed["id"], placed["status"]) == ("p1", 200), placed
    result = placed["result"]
    assert (result["clientOrderId"], result["status"], result["fills"]) == ("ws-a", "NEW", [])
    # The order counts come with an order's reply, as REST's X-MBX-ORDER-COUNT-* headers.
    assert counts(placed)[("ORDERS", "SECOND")] == 1
    assert counts(placed)[("ORDERS", "DAY")] == 1
    assert counts(placed)[("REQUEST_WEIGHT", "MINUTE")] >= 1

    rest = await wire.get(
        "/api/v3/order",
        {"symbol": "BTCUSDT", "origClientOrderId": "ws-a"},
        key="trade-only",
        signed=True,
    )
    status = await call(
        ws, "order.status", signed(running_sim, symbol="BTCUSDT", origClientOrderId="ws-a")
    )
    assert status["result"] == rest.body
    assert ("ORDERS", "SECOND") not in counts(status)

    opened = await call(ws, "openOrders.status", signed(running_sim, symbol="BTCUSDT"))
    assert [o["clientOrderId"] for o in opened["result"]] == ["ws-a"]

    canceled = await call(
        ws, "order.cancel", signed(running_sim, symbol="BTCUSDT", orderId=result["orderId"])
    )
    assert canceled["status"] == 200, canceled
    assert (canceled["result"]["status"], canceled["result"]["origClientOrderId"]) == (
        "CANCELED",
        "ws-a",
    )


async def test_new_order_resp_type_shapes_the_result(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim
) -> None:
    ack = await call(ws, "order.place", limit_buy(running_sim, "ws-ack", newOrderRespType="ACK"))
    assert set(ack["result"]) == {
        "symbol",
        "orderId",
        "orderListId",
        "clientOrderId",
        "transactTime",
    }
    market = signed(running_sim, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
    full = await call(ws, "order.place", market)
    assert full["result"]["status"] == "FILLED" and full["result"]["fills"]


async def test_weights_are_rest_weights(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim
) -> None:
    first = await call(ws, "order.status", signed(running_sim, symbol="BTCUSDT", orderId=1))
    second = await call(ws, "order.status", signed(running_sim, symbol="BTCUSDT", orderId=1))
    weight = (
        counts(second)[("REQUEST_WEIGHT", "MINUTE")] - counts(first)[("REQUEST_WEIGHT", "MINUTE")]
    )
    assert weight == 4  # GET /api/v3/order's weight
    assert second["status"] == 400
    assert second["error"] == {"code": -2013, "msg": "Order does not exist."}


async def test_refusals_are_rest_errors(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim
) -> None:
    bad = limit_buy(running_sim, "ws-bad")
    bad["signature"] = "0" * 64
    refused = await call(ws, "order.place", bad)
    assert (refused["status"], refused["error"]["code"]) == (400, -1022)
    off_grid = await call(ws, "order.place", limit_buy(running_sim, "ws-tick", price="50000.001"))
    assert off_grid["error"]["code"] == -1013
    read_only = limit_buy(running_sim, "ws-ro", key_name="read-only")
    assert (await call(ws, "order.place", read_only))["error"]["code"] == -2015


async def test_cancel_replace_both_halves_and_failure_data(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim
) -> None:
    await call(ws, "order.place", limit_buy(running_sim, "ws-old"))
    replaced = await call(
        ws,
        "order.cancelReplace",
        limit_buy(
            running_sim,
            "ws-new",
            cancelReplaceMode="STOP_ON_FAILURE",
            cancelOrigClientOrderId="ws-old",
        ),
    )
    assert replaced["status"] == 200, replaced
    assert (replaced["result"]["cancelResult"], replaced["result"]["newOrderResult"]) == (
        "SUCCESS",
        "SUCCESS",
    )
    failed = await call(
        ws,
        "order.cancelReplace",
        limit_buy(
            running_sim,
            "ws-newer",
            cancelReplaceMode="STOP_ON_FAILURE",
            cancelOrigClientOrderId="ws-old",  # already canceled
        ),
    )
    assert (failed["status"], failed["error"]["code"]) == (400, -2022)
    assert failed["error"]["data"]["newOrderResult"] == "NOT_ATTEMPTED"
    assert counts(failed)[("ORDERS", "SECOND")] == 3  # counted though not attempted, as REST


async def test_a_ban_answers_418_with_retry_after(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim, wire: WireClient
) -> None:
    await wire.control(
        "POST",
        "faults",
        {"kind": "error", "http_status": 429, "retry_after_s": 30, "path_prefix": "/ws-api/v3"},
    )
    paused = await call(ws, "order.place", limit_buy(running_sim, "ws-429"))
    assert (paused["status"], paused["error"]["code"]) == (429, -1003)
    now = running_sim.sim.clock.now_ms()
    assert paused["error"]["data"]["retryAfter"] == now + 30_000
    await wire.control("DELETE", "faults")
    # A real ban, the ledger's own, covers REST and the WebSocket API alike: a request over
    # the weight limit opens a pause (429), and the next request during it is banned (418).
    limits = running_sim.sim.ledger.limits
    with pytest.raises(Reject):
        running_sim.sim.ledger.admit("127.0.0.1", limits.request_weight_per_min + 1, now)
    banned = await call(ws, "order.place", limit_buy(running_sim, "ws-418"))
    assert (banned["status"], banned["error"]["code"]) == (418, -1003)
    assert banned["error"]["data"]["retryAfter"] > now
    assert (await wire.get("/api/v3/time")).status == 418


async def test_a_rest_order_fault_meets_the_same_order_over_the_websocket_api(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim, wire: WireClient
) -> None:
    await wire.control(
        "POST",
        "faults",
        {"kind": "error", "http_status": 503, "method": "POST", "path_prefix": "/api/v3/order"},
    )
    refused = await call(ws, "order.place", limit_buy(running_sim, "ws-rest-fault"))
    assert (refused["status"], refused["error"]["code"]) == (503, -1000)
    # a GET's fault is not a POST's: order.status (GET /api/v3/order) passes
    status = await call(
        ws, "order.status", signed(running_sim, symbol="BTCUSDT", origClientOrderId="x")
    )
    assert status["error"]["code"] == -2013
    # and the WebSocket API's other requests never meet a request fault
    await wire.control("POST", "faults", {"kind": "error", "http_status": 500})
    assert (await call(ws, "ping", {}))["status"] == 200


async def test_a_5xx_fault_executes_nothing(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim, wire: WireClient
) -> None:
    await wire.control(
        "POST",
        "faults",
        {"kind": "error", "http_status": 503, "path_prefix": "/ws-api/v3/order.place", "count": 1},
    )
    failed = await call(ws, "order.place", limit_buy(running_sim, "ws-503"))
    assert (failed["status"], failed["error"]["code"]) == (503, -1000)
    missing = await wire.get(
        "/api/v3/order",
        {"symbol": "BTCUSDT", "origClientOrderId": "ws-503"},
        key="trade-only",
        signed=True,
    )
    assert missing.code == -2013
    assert (await call(ws, "order.place", limit_buy(running_sim, "ws-503")))["status"] == 200


async def test_maintenance_reaches_the_websocket_api(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim, wire: WireClient
) -> None:
    await wire.control("POST", "faults", {"kind": "maintenance"})
    refused = await call(ws, "order.place", limit_buy(running_sim, "ws-maint"))
    assert (refused["status"], refused["error"]["code"]) == (503, -1000)


@pytest.mark.parametrize(
    ("kind", "executed"), [("drop_after_execute", True), ("drop_before_execute", False)]
)
async def test_a_dropped_reply_cuts_the_connection(
    ws: aiohttp.ClientWebSocketResponse,
    running_sim: RunningSim,
    wire: WireClient,
    kind: str,
    executed: bool,
) -> None:
    await wire.control("POST", "faults", {"kind": kind, "path_prefix": "/ws-api/v3", "count": 1})
    await ws.send_json({"id": 1, "method": "order.place", "params": limit_buy(running_sim, "ws-x")})
    message = await ws.receive(timeout=TIMEOUT_S)
    assert message.type in (
        aiohttp.WSMsgType.CLOSED,
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSMsgType.ERROR,
    )
    found = await wire.get(
        "/api/v3/order",
        {"symbol": "BTCUSDT", "origClientOrderId": "ws-x"},
        key="trade-only",
        signed=True,
    )
    assert (found.status == 200) is executed


async def test_a_held_reply_comes_late_and_others_pass_it(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim, wire: WireClient
) -> None:
    await wire.control(
        "POST",
        "faults",
        {"kind": "hold_after_execute", "seconds": 0.3, "path_prefix": "/ws-api/v3", "count": 1},
    )
    await ws.send_json(
        {"id": "held", "method": "order.place", "params": limit_buy(running_sim, "ws-h")}
    )
    await ws.send_json({"id": "ping", "method": "ping"})
    first = await ws.receive_json(timeout=TIMEOUT_S)
    second = await ws.receive_json(timeout=TIMEOUT_S)
    assert (first["id"], second["id"]) == ("ping", "held")
    assert second["result"]["clientOrderId"] == "ws-h"


async def test_an_orders_events_come_before_its_reply_on_its_connection_and_reach_others(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    subscribed = await call(ws, "userDataStream.subscribe.signature", signed(running_sim))
    assert subscribed["status"] == 200, subscribed
    await ws.send_json(
        {"id": "own", "method": "order.place", "params": limit_buy(running_sim, "ws-own")}
    )
    frames = [await ws.receive_json(timeout=TIMEOUT_S)]
    while "status" not in frames[-1]:
        frames.append(await ws.receive_json(timeout=TIMEOUT_S))
    assert frames[-1]["id"] == "own"
    own = [f["event"]["c"] for f in frames[:-1] if f["event"]["e"] == "executionReport"]
    assert own == ["ws-own"]  # the subscribed connection hears its order before the reply

    # An order from a connection without subscriptions: its reply, and the subscriber its event.
    async with http.ws_connect(running_sim.ws_api_url) as other:
        params = limit_buy(running_sim, "ws-other")
        placed = await call(other, "order.place", params, request_id="other")
        assert (placed["id"], placed["status"]) == ("other", 200), placed
        while True:
            frame = await ws.receive_json(timeout=TIMEOUT_S)
            if frame["event"]["e"] == "executionReport":
                assert frame["event"]["c"] == "ws-other"
                break


async def test_order_rate_limit_is_shared_with_rest(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim, wire: WireClient
) -> None:
    limit = running_sim.sim.ledger.limits.orders_per_10s
    for i in range(limit):
        placed = await wire.order(
            symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
            quantity="0.001", price="40000", newClientOrderId=f"rest-{i}",
        )  # fmt: skip
        assert placed.status == 200, placed.body
    refused = await call(ws, "order.place", limit_buy(running_sim, "ws-over"))
    assert (refused["status"], refused["error"]["code"]) == (429, -1015)
    assert counts(refused)[("ORDERS", "SECOND")] == limit


def oco_sell(running: RunningSim, list_coid: str) -> dict[str, Any]:
    return signed(
        running,
        symbol="BTCUSDT",
        side="SELL",
        quantity="0.01",
        listClientOrderId=list_coid,
        aboveType="LIMIT_MAKER",
        abovePrice="65000",
        belowType="STOP_LOSS_LIMIT",
        belowStopPrice="55000",
        belowPrice="54900",
        belowTimeInForce="GTC",
    )


async def test_an_oco_placed_queried_and_cancelled_as_rest_answers_them(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim, wire: WireClient
) -> None:
    placed = await call(ws, "orderList.place.oco", oco_sell(running_sim, "ws-oco"))
    assert placed["status"] == 200, placed
    oco = placed["result"]
    assert (oco["contingencyType"], oco["listClientOrderId"]) == ("OCO", "ws-oco")
    assert len(oco["orderReports"]) == 2
    assert counts(placed)[("ORDERS", "SECOND")] == 2  # two orders, as REST counts them

    rest = await wire.get(
        "/api/v3/orderList", {"orderListId": str(oco["orderListId"])}, key="trade-only", signed=True
    )
    status = await call(ws, "orderList.status", signed(running_sim, orderListId=oco["orderListId"]))
    assert status["result"] == rest.body and status["result"]["listOrderStatus"] == "EXECUTING"

    canceled = await call(
        ws, "orderList.cancel", signed(running_sim, symbol="BTCUSDT", listClientOrderId="ws-oco")
    )
    assert canceled["status"] == 200, canceled
    assert canceled["result"]["listOrderStatus"] == "ALL_DONE"
    assert {r["status"] for r in canceled["result"]["orderReports"]} == {"CANCELED"}


async def test_a_rest_oco_fault_meets_the_oco_over_the_websocket_api(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim, wire: WireClient
) -> None:
    await wire.control(
        "POST",
        "faults",
        {"kind": "drop_after_execute", "method": "POST", "path_prefix": "/api/v3/orderList/oco"},
    )
    await ws.send_json(
        {"id": 1, "method": "orderList.place.oco", "params": oco_sell(running_sim, "ws-oco-lost")}
    )
    closed = await ws.receive(timeout=TIMEOUT_S)
    assert closed.type in (
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSMsgType.CLOSED,
        aiohttp.WSMsgType.ERROR,
    )
    # the engine acted before the connection was cut: the list is there
    rest = await wire.get(
        "/api/v3/orderList", {"origClientOrderId": "ws-oco-lost"}, key="trade-only", signed=True
    )
    assert rest.status == 200 and rest.body["listClientOrderId"] == "ws-oco-lost"


async def test_server_shutdown_sends_its_event_answers_what_is_asked_then_closes(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim, wire: WireClient
) -> None:
    assert (await call(ws, "ping", {}))["status"] == 200  # the connection is open
    await wire.control(
        "POST",
        "faults",
        {"kind": "server_shutdown", "path_prefix": "/ws-api/v3", "close_after_s": 0.3, "count": 1},
    )
    event = await ws.receive_json(timeout=TIMEOUT_S)
    assert event["event"]["e"] == "serverShutdown" and isinstance(event["event"]["E"], int)
    # until the close, requests are still answered
    placed = await call(ws, "order.place", limit_buy(running_sim, "ws-before-close"))
    assert placed["status"] == 200, placed
    closed = await ws.receive(timeout=TIMEOUT_S)
    assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    _, faults = await wire.control("GET", "faults")
    assert "server_shutdown" not in str(faults)  # counted down by the one connection: gone


async def test_server_shutdown_close_after_s_is_checked() -> None:
    from tradeguard.sim.faults import parse_fault

    with pytest.raises(ValueError, match="close_after_s"):
        parse_fault({"kind": "server_shutdown", "close_after_s": -1})


async def test_the_deprecated_order_list_place_is_the_legacy_oco(
    ws: aiohttp.ClientWebSocketResponse, running_sim: RunningSim
) -> None:
    """orderList.place, Binance's deprecated twin of POST /api/v3/order/oco: the legacy
    parameters, the legacy reply (the stop leg first)."""
    params = signed(
        running_sim, symbol="BTCUSDT", side="SELL", quantity="0.01", price="65000",
        stopPrice="55000", stopLimitPrice="54900", stopLimitTimeInForce="GTC",
        listClientOrderId="ws-legacy", limitClientOrderId="ws-legacy-L",
        stopClientOrderId="ws-legacy-S",
    )  # fmt: skip
    placed = await call(ws, "orderList.place", params)
    assert placed["status"] == 200, placed
    oco = placed["result"]
    assert (oco["contingencyType"], oco["listClientOrderId"]) == ("OCO", "ws-legacy")
    reports = [(r["clientOrderId"], r["type"]) for r in oco["orderReports"]]
    assert reports == [("ws-legacy-S", "STOP_LOSS_LIMIT"), ("ws-legacy-L", "LIMIT_MAKER")]
    assert counts(placed)[("ORDERS", "SECOND")] == 2
