"""POST /api/v3/order/cancelReplace on the wire: both modes, the 200 / 409 -2021 / 400 -2022
shapes with `data`, filter failures before the cancel, the order count, the user stream.

Shapes follow binance-spot-api-docs rest-api.md ("Cancel an Existing Order and Send a New
Order") and errors.md (-2021, -2022).
"""

from __future__ import annotations

from typing import Any

import aiohttp

from tradeguard.sim.server import RunningSim

from .wire_client import Reply, WireClient

PATH = "/api/v3/order/cancelReplace"
TIMEOUT_S = 5


async def _rest(wire: WireClient, client_id: str, price: str = "50000") -> dict[str, Any]:
    reply = await wire.order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.001",
        price=price,
        newClientOrderId=client_id,
    )
    assert reply.status == 200, reply.text
    body: dict[str, Any] = reply.body
    return body


async def _replace(wire: WireClient, mode: str = "STOP_ON_FAILURE", **extra: str) -> Reply:
    params = {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.002",
        "price": "49000",
        "cancelReplaceMode": mode,
        "cancelOrigClientOrderId": "old-1",
        "newClientOrderId": "new-1",
    }
    params.update(extra)
    return await wire.post(PATH, params, key="trade-only", signed=True)


async def _status(wire: WireClient, client_id: str) -> str:
    reply = await wire.get(
        "/api/v3/order",
        {"symbol": "BTCUSDT", "origClientOrderId": client_id},
        key="trade-only",
        signed=True,
    )
    assert reply.status == 200, reply.text
    return str(reply.body["status"])


async def _fill(wire: WireClient, client_id: str, qty: str = "0.001") -> None:
    status, body = await wire.control(
        "POST", "fill", {"symbol": "BTCUSDT", "origClientOrderId": client_id, "qty": qty}
    )
    assert status == 200, body


async def test_both_succeed_200_with_both_responses(wire: WireClient) -> None:
    old = await _rest(wire, "old-1")
    reply = await _replace(wire, cancelNewClientOrderId="cxl-1")
    assert reply.status == 200, reply.text
    body = reply.body
    assert list(body) == ["cancelResult", "newOrderResult", "cancelResponse", "newOrderResponse"]
    assert (body["cancelResult"], body["newOrderResult"]) == ("SUCCESS", "SUCCESS")
    cancel = body["cancelResponse"]
    assert (cancel["symbol"], cancel["origClientOrderId"], cancel["clientOrderId"]) == (
        "BTCUSDT",
        "old-1",
        "cxl-1",
    )
    assert cancel["orderId"] == old["orderId"] and cancel["status"] == "CANCELED"
    new = body["newOrderResponse"]
    assert (new["clientOrderId"], new["status"], new["price"], new["origQty"]) == (
        "new-1",
        "NEW",
        "49000.00000000",
        "0.00200000",
    )
    assert new["fills"] == []  # LIMIT defaults to FULL, as on POST /api/v3/order
    assert reply.headers["X-MBX-ORDER-COUNT-10S"] == "2"  # the first order and this one
    assert await _status(wire, "old-1") == "CANCELED"
    assert await _status(wire, "new-1") == "NEW"


async def test_stop_on_failure_cancel_fails_400_2022_new_order_not_attempted(
    wire: WireClient,
) -> None:
    await _rest(wire, "old-1")
    await _fill(wire, "old-1")
    reply = await _replace(wire)
    assert reply.status == 400
    assert reply.body == {
        "code": -2022,
        "msg": "Order cancel-replace failed.",
        "data": {
            "cancelResult": "FAILURE",
            "newOrderResult": "NOT_ATTEMPTED",
            "cancelResponse": {"code": -2011, "msg": "Unknown order sent."},
            "newOrderResponse": None,
        },
    }
    missing = await wire.get(
        "/api/v3/order",
        {"symbol": "BTCUSDT", "origClientOrderId": "new-1"},
        key="trade-only",
        signed=True,
    )
    assert missing.code == -2013
    # counted against the order limits though not attempted (Binance says so)
    after = await wire.order(
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001",
        price="50000",
    )  # fmt: skip
    assert after.headers["X-MBX-ORDER-COUNT-10S"] == "3"


async def test_allow_failure_cancel_of_a_filled_order_409_new_order_live(
    wire: WireClient,
) -> None:
    await _rest(wire, "old-1")
    await _fill(wire, "old-1")
    reply = await _replace(wire, "ALLOW_FAILURE")
    assert reply.status == 409
    body = reply.body
    assert (body["code"], body["msg"]) == (-2021, "Order cancel-replace partially failed.")
    data = body["data"]
    assert (data["cancelResult"], data["newOrderResult"]) == ("FAILURE", "SUCCESS")
    assert data["cancelResponse"] == {"code": -2011, "msg": "Unknown order sent."}
    assert data["newOrderResponse"]["clientOrderId"] == "new-1"
    assert data["newOrderResponse"]["status"] == "NEW"
    assert await _status(wire, "old-1") == "FILLED"
    assert await _status(wire, "new-1") == "NEW"


async def test_cancel_succeeds_new_order_fails_409(wire: WireClient) -> None:
    await _rest(wire, "old-1")
    # a LIMIT_MAKER sell below the market would take: the engine refuses it (-2010)
    reply = await _replace(
        wire, side="SELL", type="LIMIT_MAKER", timeInForce="", price="50000", quantity="0.001"
    )
    assert reply.status == 409
    data = reply.body["data"]
    assert (data["cancelResult"], data["newOrderResult"]) == ("SUCCESS", "FAILURE")
    assert data["cancelResponse"]["status"] == "CANCELED"
    assert data["newOrderResponse"] == {
        "code": -2010,
        "msg": "Order would immediately match and take.",
    }
    assert await _status(wire, "old-1") == "CANCELED"


async def test_allow_failure_both_fail_400_2022(wire: WireClient) -> None:
    reply = await _replace(
        wire, "ALLOW_FAILURE", side="SELL", type="LIMIT_MAKER", timeInForce="", price="50000",
        quantity="0.001",
    )  # fmt: skip
    assert reply.status == 400
    body = reply.body
    assert (body["code"], body["msg"]) == (-2022, "Order cancel-replace failed.")
    assert body["data"] == {
        "cancelResult": "FAILURE",
        "newOrderResult": "FAILURE",
        "cancelResponse": {"code": -2011, "msg": "Unknown order sent."},
        "newOrderResponse": {"code": -2010, "msg": "Order would immediately match and take."},
    }


async def test_filter_failure_is_a_plain_error_and_nothing_is_cancelled(wire: WireClient) -> None:
    await _rest(wire, "old-1")
    reply = await _replace(wire, price="49000.005")
    assert reply.status == 400
    assert reply.body == {"code": -1013, "msg": "Filter failure: PRICE_FILTER"}
    assert await _status(wire, "old-1") == "NEW"


async def test_parameter_errors(wire: WireClient) -> None:
    no_mode = await _replace(wire, cancelReplaceMode="")
    assert no_mode.code == -1102
    bad_mode = await _replace(wire, "SOMETIMES")
    assert (bad_mode.code, bad_mode.msg) == (
        -1130,
        "Data sent for parameter 'cancelReplaceMode' is not valid.",
    )
    no_ref = await _replace(wire, cancelOrigClientOrderId="")
    assert (no_ref.code, no_ref.msg) == (
        -1102,
        "Param 'cancelOrderId' or 'cancelOrigClientOrderId' must be sent, but both were "
        "empty/null!",
    )
    bad_restriction = await _replace(wire, cancelRestrictions="ONLY_OLD")
    assert (bad_restriction.code, bad_restriction.msg) == (-1145, "Invalid cancelRestrictions")


async def test_cancel_by_order_id_and_cancel_restrictions(wire: WireClient) -> None:
    old = await _rest(wire, "old-1")
    restricted = await _replace(
        wire, cancelOrigClientOrderId="", cancelOrderId=str(old["orderId"]),
        cancelRestrictions="ONLY_PARTIALLY_FILLED",
    )  # fmt: skip
    assert restricted.status == 400
    data = restricted.body["data"]
    assert data["cancelResponse"] == {
        "code": -2011,
        "msg": "Order was not canceled due to cancel restrictions.",
    }
    assert data["newOrderResult"] == "NOT_ATTEMPTED"
    ok = await _replace(
        wire, cancelOrigClientOrderId="", cancelOrderId=str(old["orderId"]),
        cancelRestrictions="ONLY_NEW",
    )  # fmt: skip
    assert ok.status == 200, ok.text


async def test_exchange_info_allows_cancel_replace(wire: WireClient) -> None:
    info = await wire.get("/api/v3/exchangeInfo", {"symbol": "BTCUSDT"})
    assert info.body["symbols"][0]["cancelReplaceAllowed"] is True


async def test_user_stream_reports_the_cancel_and_the_new_order(
    running_sim: RunningSim, http: aiohttp.ClientSession, wire: WireClient
) -> None:
    await _rest(wire, "old-1")
    listen_key = (await wire.post("/api/v3/userDataStream", key="trade-only")).body["listenKey"]
    async with http.ws_connect(f"{running_sim.stream_url}/{listen_key}") as ws:
        reply = await _replace(wire, cancelNewClientOrderId="cxl-1")
        assert reply.status == 200, reply.text
        reports: list[dict[str, Any]] = []
        while len(reports) < 2:
            event = await ws.receive_json(timeout=TIMEOUT_S)
            if event["e"] == "executionReport":
                reports.append(event)
    assert [(r["x"], r["X"], r["c"], r["C"]) for r in reports] == [
        ("CANCELED", "CANCELED", "cxl-1", "old-1"),
        ("NEW", "NEW", "new-1", ""),
    ]
