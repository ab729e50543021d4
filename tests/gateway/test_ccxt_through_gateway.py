"""Unmodified ccxt (async) pointed at the gateway, which runs a session on the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from tests.gateway.conftest import SPOT_ONLY, Served, point_ccxt
from tests.scenarios.conftest import placements
from tradeguard.events import OrderIntended, OrderUpdated
from tradeguard.model import OrderStatus

pytestmark = pytest.mark.realclient


@pytest.fixture
async def exchange(served: Served) -> AsyncIterator[Any]:
    import ccxt.async_support as ccxt_async

    ex = ccxt_async.binance(
        {
            "apiKey": served.key.api_key,
            "secret": served.secret,
            "enableRateLimit": False,
            "options": dict(SPOT_ONLY),
        }
    )
    point_ccxt(ex, served.base_url)
    try:
        yield ex
    finally:
        await ex.close()


async def _resting_price(exchange: Any) -> float:
    ticker = await exchange.fetch_ticker("BTC/USDT")
    return round(float(ticker["last"]) * 0.99, 2)


async def test_place_list_and_cancel_an_order_with_balances(exchange: Any, served: Served) -> None:
    await exchange.load_markets()
    balance = await exchange.fetch_balance()
    assert balance["USDT"]["free"] > 0
    price = await _resting_price(exchange)
    order = await exchange.create_order(
        "BTC/USDT", "limit", "buy", 0.001, price, {"clientOrderId": "ccxtGw1"}
    )
    assert order["clientOrderId"] == "ccxtGw1" and order["status"] == "open"
    # the order went through the guard: its intent is in the session's journal
    intended = [e for e in served.tg.recorder.journal.events() if isinstance(e, OrderIntended)]
    assert [e.intent.client_order_id for e in intended] == ["ccxtGw1"]
    assert served.tg.order("ccxtGw1") is not None
    [listed] = await exchange.fetch_open_orders("BTC/USDT")
    assert listed["id"] == order["id"]
    fetched = await exchange.fetch_order(order["id"], "BTC/USDT")
    assert fetched["price"] == price
    canceled = await exchange.cancel_order(order["id"], "BTC/USDT")
    assert canceled["status"] == "canceled"
    assert served.tg.order("ccxtGw1").status is OrderStatus.CANCELED  # type: ignore[union-attr]
    assert await exchange.fetch_open_orders("BTC/USDT") == []
    [closed] = await exchange.fetch_orders("BTC/USDT")  # GET allOrders
    assert closed["clientOrderId"] == "ccxtGw1" and closed["status"] == "canceled"


async def test_market_order_answers_with_its_fills_and_my_trades(exchange: Any) -> None:
    await exchange.load_markets()
    order = await exchange.create_order("BTC/USDT", "market", "buy", 0.001)
    assert order["status"] == "closed" and order["filled"] == 0.001
    assert order["trades"], "FULL carries the fills the journal booked"
    trades = await exchange.fetch_my_trades("BTC/USDT")
    assert sum(t["amount"] for t in trades) == pytest.approx(0.001)


async def test_risk_denial_is_a_binance_error_saying_why(exchange: Any, served: Served) -> None:
    import ccxt

    await exchange.load_markets()
    price = await _resting_price(exchange)
    before = (await served.remote.requests())["requests"].get("POST /api/v3/order", 0)
    with pytest.raises(ccxt.InvalidOrder) as denied:
        await exchange.create_order("BTC/USDT", "limit", "buy", 0.5, price)
    assert "tradeguard" in str(denied.value) and "1000" in str(denied.value)
    after = (await served.remote.requests())["requests"].get("POST /api/v3/order", 0)
    assert after == before  # refused by the guard: nothing reached the exchange


async def test_withdraw_is_refused_whatever_the_key(exchange: Any, served: Served) -> None:
    import ccxt

    before = await _sapi_requests(served)
    with pytest.raises(ccxt.AuthenticationError) as refused:
        await exchange.withdraw("USDT", 10, "TXyz0000000000000000000000000000ab")
    assert "-2015" in str(refused.value)
    assert await _sapi_requests(served) == before  # never forwarded


async def _sapi_requests(served: Served) -> dict[str, int]:
    counts = (await served.remote.requests())["requests"]
    return {name: n for name, n in counts.items() if "/sapi/" in name}


async def test_a_wrong_secret_is_refused_as_binance_does(served: Served) -> None:
    import ccxt
    import ccxt.async_support as ccxt_async

    ex = ccxt_async.binance(
        {"apiKey": served.key.api_key, "secret": "not-the-secret", "options": dict(SPOT_ONLY)}
    )
    point_ccxt(ex, served.base_url)
    try:
        with pytest.raises(ccxt.AuthenticationError) as refused:
            await ex.fetch_balance()
        assert "-1022" in str(refused.value)
    finally:
        await ex.close()


async def test_a_dropped_reply_is_resolved_without_a_duplicate(
    exchange: Any, served: Served
) -> None:
    await exchange.load_markets()
    await served.remote.add_fault(
        {"kind": "drop_after_execute", "method": "POST", "path_prefix": "/api/v3/order",
         "count": 1}
    )  # fmt: skip
    order = await exchange.create_order(
        "BTC/USDT", "market", "buy", 0.001, None, {"clientOrderId": "ccxtDrop1"}
    )
    assert order["status"] == "closed" and order["clientOrderId"] == "ccxtDrop1"
    assert placements(served.tg.sim)["ccxtDrop1"] == 1
    # the reply was lost: the session held the order UNKNOWN and resolved it
    statuses = [
        e.status for e in served.tg.recorder.journal.events()
        if isinstance(e, OrderUpdated) and e.client_order_id == "ccxtDrop1"
    ]  # fmt: skip
    assert OrderStatus.UNKNOWN in statuses
    assert Decimal(str(order["filled"])) == Decimal("0.001")


async def test_exchange_info_is_read_once_for_many_loads(exchange: Any, served: Served) -> None:
    def info_reads(counts: dict[str, int]) -> int:
        return counts.get("GET /api/v3/exchangeInfo", 0)

    before = info_reads((await served.remote.requests())["requests"])
    await exchange.load_markets()
    await exchange.load_markets(reload=True)
    await exchange.fetch_ticker("BTC/USDT")  # public reads go out through the session
    after = (await served.remote.requests())["requests"]
    assert info_reads(after) == before + 1
    assert served.running.gateway.public.forwarded == 2  # exchangeInfo once, the ticker once
