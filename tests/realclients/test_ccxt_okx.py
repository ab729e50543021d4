"""Unmodified ccxt.pro.okx against the simulator's OKX dialect, pointed at it by URL only."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.realclients.public_reads import check_public_reads
from tradeguard.sim import server
from tradeguard.sim.config import SimConfig
from tradeguard.sim.okx import state_of

pytestmark = pytest.mark.realclient

WATCH_TIMEOUT_S = 10


@pytest.fixture
async def running() -> AsyncIterator[Any]:
    config = SimConfig(venue="okx", seed=11)
    config.market = dataclasses.replace(config.market, volatility_bps=Decimal(0))
    sim = await server.start(config)
    try:
        yield sim
    finally:
        await sim.close()


def _client(running: Any, key_name: str = "trade-only", **overrides: str) -> Any:
    import ccxt.pro as ccxtpro

    key = next(k for k in running.key_listing if k["name"] == key_name)
    creds = {"apiKey": key["api_key"], "secret": key["secret"], "password": key["passphrase"]}
    return ccxtpro.okx(
        creds
        | overrides
        | {
            "enableRateLimit": False,
            "urls": {"api": {"rest": running.base_url, "ws": running.urls["ws_url"]}},
            "options": {"fetchMarkets": {"types": ["spot"]}},
            "has": {"fetchCurrencies": False},
        }
    )


@pytest.fixture
async def okx(running: Any) -> AsyncIterator[Any]:
    ex = _client(running)
    try:
        await ex.load_markets()
        yield ex
    finally:
        await ex.close()


async def _control(running: Any, path: str, body: dict[str, Any]) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{running.control_url}/{path}", json=body) as reply,
    ):
        assert reply.status == 200, await reply.text()
        return await reply.json()


async def test_markets_carry_the_engines_tick_and_step(okx: Any) -> None:
    market = okx.markets["BTC/USDT"]
    assert market["id"] == "BTC-USDT"
    assert market["precision"]["price"] == pytest.approx(0.01)
    assert market["precision"]["amount"] == pytest.approx(0.00001)
    assert market["limits"]["amount"]["min"] == pytest.approx(0.00001)
    assert set(okx.markets) == {"BTC/USDT", "ETH/USDT", "ETH/BTC"}


async def test_time_balance_and_key_config(okx: Any, running: Any) -> None:
    assert await okx.fetch_time() == pytest.approx(running.sim.clock.now_ms(), abs=5_000)
    balance = await okx.fetch_balance()
    assert balance["USDT"]["free"] == pytest.approx(100_000)
    config = (await okx.private_get_account_config())["data"][0]
    assert config["perm"] == "read_only,trade"
    assert config["ip"] == "127.0.0.1"


async def test_limit_order_lifecycle_by_id_and_by_client_id(okx: Any) -> None:
    order = await okx.create_order(
        "BTC/USDT", "limit", "buy", 0.001, 50_000, {"clientOrderId": "tgOkx1"}
    )
    assert order["clientOrderId"] == "tgOkx1"
    fetched = await okx.fetch_order(order["id"], "BTC/USDT")
    assert (fetched["status"], fetched["price"], fetched["amount"]) == ("open", 50_000, 0.001)
    by_client = await okx.fetch_order(None, "BTC/USDT", {"clOrdId": "tgOkx1"})
    assert by_client["id"] == order["id"]
    assert [o["id"] for o in await okx.fetch_open_orders("BTC/USDT")] == [order["id"]]
    await okx.cancel_order(order["id"], "BTC/USDT")
    assert (await okx.fetch_order(order["id"], "BTC/USDT"))["status"] == "canceled"
    assert await okx.fetch_open_orders("BTC/USDT") == []


async def test_order_kinds_post_only_ioc_fok_market_stop_and_iceberg(okx: Any) -> None:
    post_only = await okx.create_order(
        "BTC/USDT", "limit", "buy", 0.001, 50_000, {"postOnly": True}
    )
    assert (await okx.fetch_order(post_only["id"], "BTC/USDT"))["postOnly"] is True
    ioc = await okx.create_order("BTC/USDT", "limit", "buy", 0.001, 50_000, {"timeInForce": "IOC"})
    ioc_seen = await okx.fetch_order(ioc["id"], "BTC/USDT")
    assert (ioc_seen["timeInForce"], ioc_seen["status"]) == ("IOC", "canceled")
    fok = await okx.create_order("BTC/USDT", "limit", "buy", 0.001, 70_000, {"timeInForce": "FOK"})
    assert (await okx.fetch_order(fok["id"], "BTC/USDT"))["status"] == "closed"
    market = await okx.create_order("BTC/USDT", "market", "sell", 0.001)
    assert (await okx.fetch_order(market["id"], "BTC/USDT"))["filled"] == pytest.approx(0.001)
    stop = await okx.create_order(
        "BTC/USDT", "limit", "sell", 0.001, 49_000, {"triggerPrice": 50_000}
    )
    algo = await okx.fetch_order(stop["id"], "BTC/USDT", {"trigger": True})
    assert (algo["status"], algo["triggerPrice"]) == ("open", 50_000)
    iceberg = await okx.create_order(
        "BTC/USDT", "iceberg", "buy", 0.01, 50_000, {"szLimit": "0.002", "pxVar": "0.01"}
    )
    assert iceberg["id"]
    await okx.cancel_order(stop["id"], "BTC/USDT", {"trigger": True})
    pending = await okx.fetch_open_orders("BTC/USDT", None, None, {"trigger": True})
    assert pending == []


async def test_fills_reach_fetch_my_trades_and_both_watches(okx: Any, running: Any) -> None:
    order = await okx.create_order("BTC/USDT", "limit", "buy", 0.002, 50_000)
    watching_orders = asyncio.create_task(okx.watch_orders("BTC/USDT"))
    watching_trades = asyncio.create_task(okx.watch_my_trades("BTC/USDT"))
    await _wait_for_subscriptions(running, okx, 2)
    await _control(
        running, "fill", {"symbol": "BTCUSDT", "orderId": int(order["id"]), "qty": "0.001"}
    )
    orders = await asyncio.wait_for(watching_orders, WATCH_TIMEOUT_S)
    trades = await asyncio.wait_for(watching_trades, WATCH_TIMEOUT_S)
    assert orders[-1]["id"] == order["id"] and orders[-1]["filled"] == pytest.approx(0.001)
    rest_trades = await okx.fetch_my_trades("BTC/USDT")
    assert [t["id"] for t in trades] == [t["id"] for t in rest_trades]
    assert trades[0]["order"] == order["id"] and trades[0]["takerOrMaker"] == "maker"
    assert rest_trades[0]["fee"]["cost"] > 0  # OKX reports the charge negative; ccxt flips it


async def test_fills_come_in_the_engines_order(okx: Any, running: Any) -> None:
    order = await okx.create_order("BTC/USDT", "limit", "buy", 0.003, 50_000)
    watching = asyncio.create_task(okx.watch_my_trades("BTC/USDT"))
    await _wait_for_subscriptions(running, okx, 1)
    for _ in range(3):
        await _control(
            running, "fill", {"symbol": "BTCUSDT", "orderId": int(order["id"]), "qty": "0.001"}
        )
    await asyncio.wait_for(watching, WATCH_TIMEOUT_S)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WATCH_TIMEOUT_S
    while len(okx.myTrades or []) < 3 and loop.time() < deadline:
        await asyncio.wait_for(okx.watch_my_trades("BTC/USDT"), WATCH_TIMEOUT_S)
    ids = [int(t["id"]) for t in okx.myTrades]
    assert ids == sorted(ids) and len(ids) == 3


async def _wait_for_subscriptions(running: Any, okx: Any, count: int) -> None:
    """Until the client's login and `count` subscribe acks went through (push after them)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WATCH_TIMEOUT_S
    while True:
        if state_of(running.sim).subscriptions() >= count:
            return
        assert loop.time() < deadline, "ccxt never subscribed"
        await asyncio.sleep(0.01)


async def test_errors_map_to_ccxt_classes(okx: Any, running: Any) -> None:
    import ccxt

    with pytest.raises(ccxt.InsufficientFunds):
        await okx.create_order("BTC/USDT", "limit", "buy", 5, 50_000)
    with pytest.raises(ccxt.OrderNotFound):
        await okx.fetch_order("999999", "BTC/USDT")
    with pytest.raises(ccxt.OrderNotFound):
        await okx.cancel_order("999999", "BTC/USDT")
    with pytest.raises(ccxt.InvalidOrder):
        await okx.create_order("BTC/USDT", "limit", "buy", 0.00001, 50_000)  # under min notional
    await okx.create_order("BTC/USDT", "limit", "buy", 0.001, 50_000, {"clientOrderId": "dup1"})
    with pytest.raises(ccxt.InvalidOrder, match="51016"):
        await okx.create_order("BTC/USDT", "limit", "buy", 0.001, 50_000, {"clientOrderId": "dup1"})
    state_of(running.sim).limiter.set_limit("GET /api/v5/account/balance", 1)
    await okx.fetch_balance()
    with pytest.raises(ccxt.RateLimitExceeded):
        await okx.fetch_balance()


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"secret": "not-the-secret"}, "AuthenticationError"),
        ({"password": "wrong"}, "AuthenticationError"),
        ({"apiKey": "unknownKey"}, "AuthenticationError"),
    ],
)
async def test_bad_credentials_are_authentication_errors(
    running: Any, overrides: dict[str, str], error: str
) -> None:
    import ccxt

    ex = _client(running, **overrides)
    try:
        with pytest.raises(getattr(ccxt, error)):
            await ex.fetch_balance()
    finally:
        await ex.close()


async def test_a_skewed_clock_is_invalid_nonce(running: Any) -> None:
    import ccxt

    running.sim.set_clock_offset(60_000)
    ex = _client(running)
    try:
        with pytest.raises(ccxt.InvalidNonce):
            await ex.fetch_balance()
    finally:
        await ex.close()


async def test_a_bad_login_on_the_websocket_is_an_authentication_error(running: Any) -> None:
    import ccxt

    ex = _client(running, secret="not-the-secret")
    try:
        await ex.load_markets()
        with pytest.raises(ccxt.AuthenticationError):
            await asyncio.wait_for(ex.watch_orders("BTC/USDT"), WATCH_TIMEOUT_S)
    finally:
        await ex.close()


async def test_the_public_book_trades_and_candles_parse_as_ccxt_reads_them(
    okx: Any, running: Any
) -> None:
    await check_public_reads(okx, running.sim.engine, "BTC/USDT")


async def test_watch_ohlcv_reads_candles_from_business(okx: Any, running: Any) -> None:
    """ccxt.pro asks for candle1m on /ws/v5/business (where OKX serves candles) and sees the
    taker buy's volume in the forming candle."""
    from tests.realclients.public_reads import QTY, until

    first = await asyncio.wait_for(okx.watch_ohlcv("BTC/USDT", "1m"), WATCH_TIMEOUT_S)
    assert first and first[-1][2] >= first[-1][3]
    engine = running.sim.engine
    above = (engine.last_price("BTCUSDT") * Decimal("1.01")).quantize(Decimal("0.01"))
    await okx.create_order("BTC/USDT", "limit", "buy", QTY, float(above))
    candles = await until(
        lambda: okx.watch_ohlcv("BTC/USDT", "1m"), lambda c: c[-1][5] == pytest.approx(QTY)
    )
    assert candles[-1][0] % 60_000 == 0
    assert any(url.endswith("/ws/v5/business") for url in okx.clients)


async def test_a_stop_loss_and_a_take_profit_are_conditional_algo_orders_as_on_okx(
    okx: Any,
) -> None:
    import ccxt

    last = float((await okx.fetch_ticker("BTC/USDT"))["last"])
    stop, profit = round(last * 0.9), round(last * 1.1)
    sl = await okx.create_order(
        "BTC/USDT", "market", "sell", 0.001, None, {"stopLossPrice": stop, "algoClOrdId": "sl1"}
    )
    tp = await okx.create_order(
        "BTC/USDT",
        "limit",
        "sell",
        0.001,
        profit,
        {"takeProfitPrice": profit, "algoClOrdId": "tp1"},
    )
    seen = await okx.fetch_order(None, "BTC/USDT", {"trigger": True, "clientOrderId": "sl1"})
    assert (seen["id"], seen["type"], seen["status"]) == (sl["id"], "conditional", "open")
    assert (seen["stopLossPrice"], seen["takeProfitPrice"]) == (stop, None)
    assert seen["info"]["slOrdPx"] == "-1" and seen["info"]["algoClOrdId"] == "sl1"
    tp_seen = await okx.fetch_order(tp["id"], "BTC/USDT", {"trigger": True})
    assert (tp_seen["takeProfitPrice"], tp_seen["info"]["tpOrdPx"]) == (profit, str(profit))
    with pytest.raises(ccxt.OrderNotFound):  # the regular order endpoints do not know them
        await okx.fetch_order(sl["id"], "BTC/USDT")
    assert await okx.fetch_open_orders("BTC/USDT") == []
    with pytest.raises(ccxt.OrderNotFound):
        await okx.cancel_order(sl["id"], "BTC/USDT")
    pending = await okx.fetch_open_orders("BTC/USDT", None, None, {"ordType": "conditional"})
    assert {o["id"] for o in pending} == {sl["id"], tp["id"]}
    await okx.cancel_order(sl["id"], "BTC/USDT", {"trigger": True})
    pending = await okx.fetch_open_orders("BTC/USDT", None, None, {"ordType": "conditional"})
    assert [o["id"] for o in pending] == [tp["id"]]
    gone = await okx.fetch_canceled_orders("BTC/USDT", None, None, {"ordType": "conditional"})
    assert [(o["id"], o["status"]) for o in gone] == [(sl["id"], "canceled")]


async def test_a_triggered_stop_loss_is_effective_and_its_order_is_a_regular_one(
    okx: Any, running: Any
) -> None:
    last = float((await okx.fetch_ticker("BTC/USDT"))["last"])
    stop = round(last * 0.95)
    sl = await okx.create_order(
        "BTC/USDT", "market", "sell", 0.001, None, {"stopLossPrice": stop, "algoClOrdId": "sl2"}
    )
    await _control(running, "price", {"symbol": "BTCUSDT", "price": str(round(last * 0.94))})
    algo = await okx.fetch_order(sl["id"], "BTC/USDT", {"trigger": True})
    assert (algo["status"], algo["info"]["state"]) == ("closed", "effective")
    placed = algo["info"]["ordId"]
    assert placed and algo["clientOrderId"] == "sl2"
    order = await okx.fetch_order(placed, "BTC/USDT")
    assert (order["type"], order["status"]) == ("market", "closed")
    # the order the algo placed has an ordId of its own and no clOrdId; it names its algo
    # (ccxt's parse_order takes algoId before ordId for the id)
    assert placed != sl["id"] and order["info"]["ordId"] == placed and order["id"] == sl["id"]
    assert order["filled"] == pytest.approx(0.001) and order["clientOrderId"] is None
    assert (order["info"]["algoId"], order["info"]["algoClOrdId"]) == (sl["id"], "sl2")
    (fill,) = await okx.fetch_my_trades("BTC/USDT")
    assert fill["order"] == placed
    assert await okx.fetch_open_orders("BTC/USDT", None, None, {"ordType": "conditional"}) == []
    done = await okx.fetch_closed_orders(
        "BTC/USDT", None, None, {"ordType": "conditional", "state": "effective"}
    )
    assert [o["id"] for o in done] == [sl["id"]]


async def test_an_untriggered_stop_is_pushed_on_orders_algo_and_not_on_orders(
    okx: Any, running: Any
) -> None:
    last = float((await okx.fetch_ticker("BTC/USDT"))["last"])
    algo_watch = asyncio.create_task(okx.watch_orders("BTC/USDT", None, None, {"trigger": True}))
    order_watch = asyncio.create_task(okx.watch_orders("BTC/USDT"))
    await _wait_for_subscriptions(running, okx, 2)  # orders-algo on /business, orders on /private
    sl = await okx.create_order(
        "BTC/USDT", "market", "sell", 0.001, None, {"stopLossPrice": round(last * 0.9)}
    )
    plain = await okx.create_order("BTC/USDT", "limit", "buy", 0.001, round(last * 0.5))
    algos = await asyncio.wait_for(algo_watch, WATCH_TIMEOUT_S)
    assert [(o["id"], o["info"]["state"]) for o in algos] == [(sl["id"], "live")]
    orders = await asyncio.wait_for(order_watch, WATCH_TIMEOUT_S)
    assert [o["id"] for o in orders] == [plain["id"]]  # the stop is not on `orders`
    algo_watch = asyncio.create_task(okx.watch_orders("BTC/USDT", None, None, {"trigger": True}))
    await okx.cancel_order(sl["id"], "BTC/USDT", {"trigger": True})
    algos = await asyncio.wait_for(algo_watch, WATCH_TIMEOUT_S)
    assert (algos[-1]["id"], algos[-1]["info"]["state"]) == (sl["id"], "canceled")
