"""Unmodified ccxt (async REST and ccxt.pro watch_orders) against the simulator, by URL only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from .conftest import SimHandle

pytestmark = pytest.mark.realclient

SPOT_ONLY = {"fetchCurrencies": False, "fetchMarkets": {"types": ["spot"]}, "fetchMargins": False}


def _point_at(exchange: Any, sim: SimHandle) -> None:
    exchange.urls["api"]["public"] = f"{sim.base_url}/api/v3"
    exchange.urls["api"]["private"] = f"{sim.base_url}/api/v3"
    exchange.urls["api"]["sapi"] = f"{sim.base_url}/sapi/v1"
    exchange.urls["api"]["ws"]["ws-api"]["spot"] = sim.ws_api_url


@pytest.fixture
async def exchange(sim: SimHandle) -> AsyncIterator[Any]:
    import ccxt.pro as ccxtpro

    key = sim.key("trade-only")
    ex = ccxtpro.binance(
        {
            "apiKey": key["api_key"],
            "secret": key["secret"],
            "enableRateLimit": False,
            "options": dict(SPOT_ONLY),
        }
    )
    _point_at(ex, sim)
    try:
        yield ex
    finally:
        await ex.close()


async def test_markets_time_balance_and_restrictions(exchange: Any, sim: SimHandle) -> None:
    markets = await exchange.load_markets()
    assert "BTC/USDT" in markets
    market = markets["BTC/USDT"]
    assert market["precision"]["price"] is not None
    assert market["limits"]["amount"]["min"] is not None

    server_time = await exchange.fetch_time()
    assert isinstance(server_time, int) and server_time > 0

    balance = await exchange.fetch_balance()
    assert balance["USDT"]["free"] > 0

    restrictions = await exchange.sapi_get_account_apirestrictions()
    assert restrictions["enableWithdrawals"] is False
    assert restrictions["ipRestrict"] is True
    assert restrictions["enableSpotAndMarginTrading"] is True


async def test_limit_order_lifecycle_with_client_order_id(exchange: Any, sim: SimHandle) -> None:
    await exchange.load_markets()
    last = float((await exchange.public_get_ticker_price({"symbol": "BTCUSDT"}))["price"])
    price = round(last * 0.9, 2)  # far below the market: rests
    order = await exchange.create_order(
        "BTC/USDT", "limit", "buy", 0.001, price, {"clientOrderId": "ccxtLimit1"}
    )
    assert order["clientOrderId"] == "ccxtLimit1"
    assert order["status"] == "open"

    fetched = await exchange.fetch_order(order["id"], "BTC/USDT")
    assert fetched["id"] == order["id"]
    assert fetched["amount"] == pytest.approx(0.001)

    by_client_id = await exchange.fetch_order(None, "BTC/USDT", {"origClientOrderId": "ccxtLimit1"})
    assert by_client_id["id"] == order["id"]

    open_orders = await exchange.fetch_open_orders("BTC/USDT")
    assert [o["id"] for o in open_orders] == [order["id"]]

    canceled = await exchange.cancel_order(order["id"], "BTC/USDT")
    assert canceled["status"] == "canceled"
    assert await exchange.fetch_open_orders("BTC/USDT") == []


async def test_market_order_fills_and_trades_are_listed(exchange: Any, sim: SimHandle) -> None:
    await exchange.load_markets()
    order = await exchange.create_order(
        "BTC/USDT", "market", "buy", 0.002, None, {"clientOrderId": "ccxtMarket1"}
    )
    assert order["status"] == "closed"
    assert order["filled"] == pytest.approx(0.002)
    assert order["fee"] is not None

    trades = await exchange.fetch_my_trades("BTC/USDT")
    assert trades
    assert sum(t["amount"] for t in trades if t["order"] == order["id"]) == pytest.approx(0.002)

    cost_order = await exchange.create_market_buy_order_with_cost("BTC/USDT", 50)
    assert cost_order["status"] == "closed"
    assert cost_order["cost"] == pytest.approx(50, rel=0.01)


async def test_errors_map_to_ccxt_classes(exchange: Any, sim: SimHandle) -> None:
    import ccxt

    await exchange.load_markets()
    with pytest.raises(ccxt.OrderNotFound):
        await exchange.fetch_order("999999", "BTC/USDT")
    with pytest.raises(ccxt.OrderNotFound):
        await exchange.cancel_order("999999", "BTC/USDT")
    with pytest.raises(ccxt.InsufficientFunds):
        await exchange.create_order("BTC/USDT", "limit", "buy", 100, 60000)
    # -1013 is in ccxt's exact table as BadRequest: the same class real Binance earns.
    with pytest.raises(ccxt.BadRequest, match="NOTIONAL"):
        await exchange.create_order("BTC/USDT", "limit", "buy", 0.00001, 1.0)


async def test_watch_orders_sees_new_partial_and_filled(exchange: Any, sim: SimHandle) -> None:
    await exchange.load_markets()
    watcher = asyncio.ensure_future(exchange.watch_orders("BTC/USDT"))
    await sim.wait_for_user_stream_subscribers(1)
    last = float((await exchange.public_get_ticker_price({"symbol": "BTCUSDT"}))["price"])
    price = round(last * 0.9, 2)

    seen: list[str] = []
    order = await exchange.create_order(
        "BTC/USDT", "limit", "buy", 0.004, price, {"clientOrderId": "proWatch1"}
    )
    updates = await asyncio.wait_for(watcher, 10)
    seen.extend(o["info"]["X"] for o in updates if o["clientOrderId"] == "proWatch1")

    async def watch_until(status: str) -> list[Any]:
        updates: list[Any] = []
        while status not in seen:
            updates = await asyncio.wait_for(exchange.watch_orders("BTC/USDT"), 10)
            seen.extend(o["info"]["X"] for o in updates if o["clientOrderId"] == "proWatch1")
        return updates

    # ccxt's cache keeps each order's latest state only: see the partial before the next fill.
    await sim.control("fill", {"symbol": "BTCUSDT", "orderId": int(order["id"]), "qty": "0.001"})
    await watch_until("PARTIALLY_FILLED")
    await sim.control("fill", {"symbol": "BTCUSDT", "orderId": int(order["id"]), "qty": "0.003"})
    updates = await watch_until("FILLED")
    assert seen[0] == "NEW"
    assert "PARTIALLY_FILLED" in seen
    assert seen[-1] == "FILLED"
    final = [o for o in updates if o["clientOrderId"] == "proWatch1"][-1]
    assert final["filled"] == pytest.approx(0.004)
