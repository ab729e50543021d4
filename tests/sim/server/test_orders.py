"""Signed endpoints: orders, OCO lists, account, key restrictions, order-rate usage, listenKeys."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeguard.sim.server import RunningSim

from .wire_client import WireClient


async def _rest_limit_buy(wire: WireClient, client_id: str, qty: str = "0.001") -> dict[str, Any]:
    reply = await wire.order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity=qty,
        price="50000",
        newClientOrderId=client_id,
    )
    assert reply.status == 200, reply.text
    body: dict[str, Any] = reply.body
    return body


async def test_order_lifecycle(wire: WireClient) -> None:
    placed = await wire.order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.001",
        price="50000",
        newClientOrderId="life-1",
    )
    assert placed.headers["X-MBX-ORDER-COUNT-10S"] == "1"
    assert placed.headers["X-MBX-ORDER-COUNT-1D"] == "1"
    order = placed.body
    assert (order["status"], order["clientOrderId"], order["fills"]) == ("NEW", "life-1", [])
    assert order["price"] == "50000.00000000" and order["origQty"] == "0.00100000"

    by_id = await wire.get(
        "/api/v3/order",
        {"symbol": "BTCUSDT", "orderId": str(order["orderId"])},
        key="trade-only",
        signed=True,
    )
    assert by_id.body["clientOrderId"] == "life-1" and by_id.body["isWorking"] is True
    assert by_id.headers["X-MBX-USED-WEIGHT-1M"] == "5"  # POST order 1 + GET order 4
    by_client = await wire.get(
        "/api/v3/order",
        {"symbol": "BTCUSDT", "origClientOrderId": "life-1"},
        key="trade-only",
        signed=True,
    )
    assert by_client.body["orderId"] == order["orderId"]

    opened = await wire.get(
        "/api/v3/openOrders", {"symbol": "BTCUSDT"}, key="trade-only", signed=True
    )
    assert [o["orderId"] for o in opened.body] == [order["orderId"]]

    # python-binance sends DELETE parameters in a form body: the simulator reads them there.
    canceled = await wire.delete(
        "/api/v3/order",
        {"symbol": "BTCUSDT", "orderId": str(order["orderId"])},
        key="trade-only",
        signed=True,
        in_body=True,
    )
    assert canceled.status == 200, canceled.text
    assert canceled.body["status"] == "CANCELED"
    assert canceled.body["origClientOrderId"] == "life-1"

    every = await wire.get(
        "/api/v3/allOrders", {"symbol": "BTCUSDT"}, key="trade-only", signed=True
    )
    assert [o["status"] for o in every.body] == ["CANCELED"]


async def test_market_order_fills_with_commission_and_trades(wire: WireClient) -> None:
    reply = await wire.order(
        symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.002", newOrderRespType="FULL"
    )
    order = reply.body
    assert order["status"] == "FILLED" and order["executedQty"] == "0.00200000"
    assert sum(Decimal(f["qty"]) for f in order["fills"]) == Decimal("0.002")
    assert all(f["commissionAsset"] == "BTC" for f in order["fills"])

    trades = await wire.get(
        "/api/v3/myTrades", {"symbol": "BTCUSDT"}, key="trade-only", signed=True
    )
    assert {t["orderId"] for t in trades.body} == {order["orderId"]}
    assert trades.body[0]["isBuyer"] is True and trades.body[0]["isMaker"] is False
    by_order = await wire.get(
        "/api/v3/myTrades",
        {"symbol": "BTCUSDT", "orderId": str(order["orderId"])},
        key="trade-only",
        signed=True,
    )
    assert len(by_order.body) == len(trades.body)

    quote = await wire.order(symbol="BTCUSDT", side="BUY", type="MARKET", quoteOrderQty="100")
    assert quote.body["status"] == "FILLED"
    assert Decimal(quote.body["cummulativeQuoteQty"]) <= Decimal("100")


async def test_response_types(wire: WireClient) -> None:
    ack = await wire.order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.001",
        price="50000",
        newOrderRespType="ACK",
    )
    assert set(ack.body) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    result = await wire.order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.001",
        price="50000",
        newOrderRespType="RESULT",
    )
    assert "status" in result.body and "fills" not in result.body


async def test_order_test_validates_without_placing(wire: WireClient) -> None:
    tested = await wire.post(
        "/api/v3/order/test",
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "0.001",
            "price": "50000",
        },
        key="trade-only",
        signed=True,
    )
    assert (tested.status, tested.body) == (200, {})
    assert "X-MBX-ORDER-COUNT-10S" not in tested.headers
    rates = await wire.post(
        "/api/v3/order/test",
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "MARKET",
            "quantity": "0.001",
            "computeCommissionRates": "true",
        },
        key="trade-only",
        signed=True,
    )
    assert rates.body["standardCommissionForOrder"] == {
        "maker": "0.00100000",
        "taker": "0.00100000",
    }
    bad = await wire.post(
        "/api/v3/order/test",
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "0.001",
            "price": "50000.001",
        },
        key="trade-only",
        signed=True,
    )
    assert (bad.code, bad.msg) == (-1013, "Filter failure: PRICE_FILTER")
    opened = await wire.get("/api/v3/openOrders", key="trade-only", signed=True)
    assert opened.body == []
    assert opened.headers["X-MBX-USED-WEIGHT-1M"] == str(1 + 20 + 1 + 80)


async def test_cancel_all_open_orders(wire: WireClient) -> None:
    for n in range(3):
        await _rest_limit_buy(wire, f"all-{n}")
    canceled = await wire.delete(
        "/api/v3/openOrders", {"symbol": "BTCUSDT"}, key="trade-only", signed=True
    )
    assert sorted(o["origClientOrderId"] for o in canceled.body) == ["all-0", "all-1", "all-2"]
    assert all(o["status"] == "CANCELED" for o in canceled.body)


async def test_oco_place_query_and_cancel(wire: WireClient) -> None:
    placed = await wire.post(
        "/api/v3/orderList/oco",
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "quantity": "0.01",
            "listClientOrderId": "oco-1",
            "aboveType": "LIMIT_MAKER",
            "abovePrice": "65000",
            "belowType": "STOP_LOSS_LIMIT",
            "belowStopPrice": "55000",
            "belowPrice": "54900",
            "belowTimeInForce": "GTC",
        },
        key="trade-only",
        signed=True,
    )
    assert placed.status == 200, placed.text
    oco = placed.body
    assert oco["contingencyType"] == "OCO" and oco["listClientOrderId"] == "oco-1"
    assert len(oco["orders"]) == 2 and len(oco["orderReports"]) == 2
    assert placed.headers["X-MBX-ORDER-COUNT-10S"] == "2"

    queried = await wire.get(
        "/api/v3/orderList", {"orderListId": str(oco["orderListId"])}, key="trade-only", signed=True
    )
    assert queried.body["listOrderStatus"] == "EXECUTING"
    opened = await wire.get("/api/v3/openOrderList", key="trade-only", signed=True)
    assert [o["orderListId"] for o in opened.body] == [oco["orderListId"]]

    canceled = await wire.delete(
        "/api/v3/orderList",
        {"symbol": "BTCUSDT", "listClientOrderId": "oco-1"},
        key="trade-only",
        signed=True,
    )
    assert canceled.status == 200, canceled.text
    assert canceled.body["listOrderStatus"] == "ALL_DONE"
    assert {r["status"] for r in canceled.body["orderReports"]} == {"CANCELED"}


async def test_legacy_oco_endpoint(wire: WireClient) -> None:
    placed = await wire.post(
        "/api/v3/order/oco",
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "quantity": "0.01",
            "price": "65000",
            "stopPrice": "55000",
            "stopLimitPrice": "54900",
            "stopLimitTimeInForce": "GTC",
        },
        key="trade-only",
        signed=True,
    )
    assert placed.status == 200, placed.text
    # Binance's legacy reply: the stop leg first, whichever side it is on
    types = [r["type"] for r in placed.body["orderReports"]]
    assert types == ["STOP_LOSS_LIMIT", "LIMIT_MAKER"]
    reports = [r["clientOrderId"] for r in placed.body["orderReports"]]
    assert [o["clientOrderId"] for o in placed.body["orders"]] == reports


async def test_account_restrictions_and_order_usage(wire: WireClient) -> None:
    account = (await wire.get("/api/v3/account", key="trade-only", signed=True)).body
    assert account["accountType"] == "SPOT" and account["canTrade"] is True
    balances = {b["asset"]: b for b in account["balances"]}
    assert balances["USDT"] == {"asset": "USDT", "free": "100000.00000000", "locked": "0.00000000"}
    await _rest_limit_buy(wire, "locks")
    after = (
        await wire.get(
            "/api/v3/account", {"omitZeroBalances": "true"}, key="trade-only", signed=True
        )
    ).body
    usdt = next(b for b in after["balances"] if b["asset"] == "USDT")
    assert usdt["locked"] == "50.00000000"

    for name, withdraw, ip_restrict, trade in [
        ("trade-only", False, True, True),
        ("withdraw-enabled", True, True, True),
        ("read-only", False, True, False),
        ("no-ip-restriction", False, False, True),
    ]:
        restrictions = (
            await wire.get("/sapi/v1/account/apiRestrictions", key=name, signed=True)
        ).body
        assert restrictions["enableWithdrawals"] is withdraw, name
        assert restrictions["ipRestrict"] is ip_restrict, name
        assert restrictions["enableSpotAndMarginTrading"] is trade, name

    usage = (await wire.get("/api/v3/rateLimit/order", key="trade-only", signed=True)).body
    assert [(u["interval"], u["count"]) for u in usage] == [("SECOND", 1), ("DAY", 1)]


async def test_ed25519_key_signs_orders(wire: WireClient) -> None:
    reply = await wire.post(
        "/api/v3/order",
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "0.001",
            "price": "50000",
        },
        key="trade-only-ed25519",
        signed=True,
    )
    assert reply.status == 200, reply.text


async def test_system_status(wire: WireClient) -> None:
    reply = await wire.get("/sapi/v1/system/status")
    assert reply.body == {"status": 0, "msg": "normal"}


async def test_listen_key_lifecycle(wire: WireClient, running_sim: RunningSim) -> None:
    created = await wire.post("/api/v3/userDataStream", key="trade-only")
    listen_key = created.body["listenKey"]
    assert len(listen_key) == 64
    again = await wire.post("/api/v3/userDataStream", key="trade-only")
    assert again.body["listenKey"] == listen_key  # the account's live key, extended
    kept = await wire.request(
        "PUT", "/api/v3/userDataStream", {"listenKey": listen_key}, key="trade-only"
    )
    assert (kept.status, kept.body) == (200, {})
    closed = await wire.delete(
        "/api/v3/userDataStream", {"listenKey": listen_key}, key="trade-only"
    )
    assert (closed.status, closed.body) == (200, {})
    gone = await wire.request(
        "PUT", "/api/v3/userDataStream", {"listenKey": listen_key}, key="trade-only"
    )
    assert (gone.status, gone.code, gone.msg) == (400, -1125, "This listenKey does not exist.")
    nokey = await wire.post("/api/v3/userDataStream")
    assert (nokey.status, nokey.code) == (401, -2014)
