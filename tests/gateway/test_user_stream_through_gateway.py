"""The user-data stream through the gateway: ccxt.pro and python-binance, unmodified, watch
their orders and fills over the gateway's WebSocket API; the events are the journal's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from tests.gateway.conftest import SPOT_ONLY, Served, pb_client_class, point_ccxt
from tradeguard.events import OrderFilled

pytestmark = pytest.mark.realclient


async def _subscribed(served: Served) -> None:
    """Until the client's subscription is in (a short wait on a real socket)."""
    streams = served.running.gateway.user_streams
    for _ in range(500):
        if streams.subscribers:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the client never subscribed")


def _booked(served: Served, coid: str) -> list[OrderFilled]:
    order = served.tg.order(coid)
    assert order is not None
    return list(order.fills)


@pytest.fixture
async def pro(served: Served) -> AsyncIterator[Any]:
    import ccxt.pro as ccxtpro

    ex = ccxtpro.binance(
        {"apiKey": served.key.api_key, "secret": served.secret, "enableRateLimit": False,
         "options": dict(SPOT_ONLY)}
    )  # fmt: skip
    point_ccxt(ex, served.base_url)
    ws_root = served.base_url.replace("http", "ws", 1)
    ex.urls["api"]["ws"]["ws-api"]["spot"] = f"{ws_root}/ws-api/v3"
    ex.urls["api"]["ws"]["spot"] = f"{ws_root}/ws"
    try:
        yield ex
    finally:
        await ex.close()


async def test_ccxt_pro_watches_orders_and_trades_the_journal_booked(
    pro: Any, served: Served
) -> None:
    await pro.load_markets()
    watching = asyncio.ensure_future(pro.watch_my_trades("BTC/USDT"))
    watching_orders = asyncio.ensure_future(pro.watch_orders("BTC/USDT"))
    await _subscribed(served)
    order = await pro.create_order(
        "BTC/USDT", "market", "buy", 0.001, None, {"clientOrderId": "proGw1"}
    )
    trades = await asyncio.wait_for(watching, 10)
    booked = _booked(served, "proGw1")
    assert booked, "the session booked the fills"
    assert trades[0]["order"] == order["id"]
    assert [int(t["id"]) for t in trades] == [f.trade_id for f in booked][: len(trades)]
    assert Decimal(str(trades[0]["fee"]["cost"])) == booked[0].commission
    orders = await asyncio.wait_for(watching_orders, 10)
    assert orders[-1]["clientOrderId"] == "proGw1"


async def test_ccxt_pro_sees_a_new_order_and_its_cancel(pro: Any, served: Served) -> None:
    await pro.load_markets()
    ticker = await pro.fetch_ticker("BTC/USDT")
    price = round(float(ticker["last"]) * 0.99, 2)
    watching = asyncio.ensure_future(pro.watch_orders("BTC/USDT"))
    await _subscribed(served)
    order = await pro.create_order(
        "BTC/USDT", "limit", "buy", 0.001, price, {"clientOrderId": "proGw2"}
    )
    [seen] = await asyncio.wait_for(watching, 10)
    assert (seen["id"], seen["status"]) == (order["id"], "open")
    await pro.cancel_order(order["id"], "BTC/USDT")
    while True:
        orders = await asyncio.wait_for(pro.watch_orders("BTC/USDT"), 10)
        if orders[-1]["status"] == "canceled":
            break
    assert orders[-1]["clientOrderId"] == "proGw2"


async def test_a_refused_order_never_reaches_the_stream(pro: Any, served: Served) -> None:
    import ccxt

    await pro.load_markets()
    watching = asyncio.ensure_future(pro.watch_orders("BTC/USDT"))
    await _subscribed(served)
    with pytest.raises(ccxt.InvalidOrder):
        await pro.create_order("BTC/USDT", "market", "buy", 0.5)  # over the 1000 USDT cap
    await pro.create_order("BTC/USDT", "market", "buy", 0.001, None, {"clientOrderId": "ok1"})
    orders = await asyncio.wait_for(watching, 10)
    assert {o["clientOrderId"] for o in orders} == {"ok1"}


async def test_python_binance_user_socket_gets_execution_reports(served: Served) -> None:
    from binance import AsyncClient, BinanceSocketManager

    ws_root = served.base_url.replace("http", "ws", 1)
    local = pb_client_class(AsyncClient, served.base_url)
    local.WS_API_URL = f"{ws_root}/ws-api/v3"  # type: ignore[attr-defined]
    client = await local.create(served.key.api_key, served.secret)
    try:
        manager = BinanceSocketManager(client)
        async with manager.user_socket() as socket:
            await client.create_order(
                symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001",
                newClientOrderId="pbUser1",
            )  # fmt: skip
            reports: list[dict[str, Any]] = []
            while not any(r.get("x") == "TRADE" for r in reports):
                msg = await asyncio.wait_for(socket.recv(), 10)
                if msg.get("e") == "executionReport":
                    reports.append(msg)
    finally:
        await client.close_connection()
    assert reports[0]["x"] == "NEW" and reports[0]["c"] == "pbUser1"
    trade = next(r for r in reports if r["x"] == "TRADE")
    first = _booked(served, "pbUser1")[0]
    assert (trade["t"], Decimal(trade["l"]), Decimal(trade["n"])) == (
        first.trade_id,
        first.qty,
        first.commission,
    )
    assert Decimal(trade["z"]) == first.qty


async def test_a_bad_signature_on_the_subscription_is_binances_1022(served: Served) -> None:
    import aiohttp

    ws_url = served.base_url.replace("http", "ws", 1) + "/ws-api/v3"
    now = served.tg.transport.server_now_ms()  # type: ignore[attr-defined]
    params = {"apiKey": served.key.api_key, "timestamp": now, "signature": "0" * 64}
    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url) as ws:
        await ws.send_json({"id": "a", "method": "userDataStream.subscribe.signature",
                            "params": params})  # fmt: skip
        reply = await ws.receive_json(timeout=5)
        await ws.send_json({"id": "b", "method": "order.place", "params": {}})
        other = await ws.receive_json(timeout=5)
    assert (reply["id"], reply["status"], reply["error"]["code"]) == ("a", 400, -1022)
    assert other["error"]["code"] == -1102  # an order unsigned: Binance's "apiKey" not sent
