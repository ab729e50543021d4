"""Unmodified ccxt.pro.bybit (async REST and the private WebSocket) against the simulator's Bybit
dialect, pointed at it by URL and options only (venues-ccxt-wire.md §1.1)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.realclients.public_reads import check_public_reads
from tradeguard.sim import server
from tradeguard.sim.config import SimConfig

pytestmark = pytest.mark.realclient

TIMEOUT_S = 10
SYMBOL = "BTC/USDT"


def bybit_options(urls: dict[str, str]) -> dict[str, Any]:
    """The ccxt config that points ccxt.pro.bybit at the dialect (spot, unified account)."""
    return {
        "enableRateLimit": False,
        "urls": {
            "api": {
                "public": urls["base_url"],
                "private": urls["base_url"],
                "ws": {"private": {"contract": urls["private_ws_url"]}},
            }
        },
        "options": {
            "defaultType": "spot",
            "fetchMarkets": {"types": ["spot"]},
            "enableUnifiedAccount": True,
            "enableUnifiedMargin": False,
            "fetchOrder": {"acknowledged": True},
        },
        "has": {"fetchCurrencies": False},
    }


class Venue:
    def __init__(self, running: server.RunningSim, http: aiohttp.ClientSession) -> None:
        self.running = running
        self.http = http

    def key(self, name: str) -> dict[str, Any]:
        return dict(next(k for k in self.running.key_listing if k["name"] == name))

    def client(self, key_name: str = "trade-only", **changes: Any) -> Any:
        import ccxt.pro as ccxtpro

        key = self.key(key_name)
        config = bybit_options(self.running.urls) | {
            "apiKey": key["api_key"],
            "secret": key["secret"],
        }
        return ccxtpro.bybit(config | changes)

    async def control(self, path: str, body: dict[str, Any]) -> Any:
        async with self.http.post(f"{self.running.control_url}/{path}", json=body) as reply:
            assert reply.status == 200, await reply.text()
            return await reply.json()

    async def subscribes(self, count: int) -> None:
        """Wait until `count` subscribe ops reached /v5/private (the watches are listening)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT_S
        while self.running.requests.counts["WS /v5/private subscribe"] < count:
            if loop.time() > deadline:
                raise TimeoutError(f"no {count} subscribe ops after {TIMEOUT_S}s")
            await asyncio.sleep(0.01)

    def bid_price(self, fraction: str = "0.98") -> float:
        last = self.running.sim.engine.last_price("BTCUSDT")
        return float((last * Decimal(fraction)).quantize(Decimal("0.01")))


@pytest.fixture
async def venue() -> AsyncIterator[Venue]:
    config = SimConfig.default(seed=11, venue="bybit")
    config.market = dataclasses.replace(config.market, volatility_bps=Decimal(0))
    running = await server.start(config)
    async with aiohttp.ClientSession() as http:
        try:
            yield Venue(running, http)
        finally:
            assert running.sim.unexpected_errors == []
            await running.close()


@pytest.fixture
async def exchange(venue: Venue) -> AsyncIterator[Any]:
    ex = venue.client()
    try:
        yield ex
    finally:
        await ex.close()


async def test_markets_carry_the_engines_rules_and_time_and_balance(
    exchange: Any, venue: Venue
) -> None:
    markets = await exchange.load_markets()
    spec = venue.running.sim.engine.symbols["BTCUSDT"]
    market = markets[SYMBOL]
    assert market["precision"]["price"] == float(spec.tick_size)
    assert market["precision"]["amount"] == float(spec.step_size)
    assert market["limits"]["amount"]["min"] == float(spec.min_qty)
    assert market["limits"]["cost"]["min"] == float(spec.min_notional)
    assert isinstance(await exchange.fetch_time(), int)
    balance = await exchange.fetch_balance()
    assert (balance["USDT"]["free"], balance["BTC"]["total"]) == (100000.0, 1.0)


async def test_every_unified_order_call(exchange: Any, venue: Venue) -> None:
    await exchange.load_markets()
    price = venue.bid_price()
    order = await exchange.create_order(
        SYMBOL, "limit", "buy", 0.01, price, {"clientOrderId": "tg-1"}
    )
    assert order["clientOrderId"] == "tg-1"
    fetched = await exchange.fetch_order(order["id"], SYMBOL)
    assert (fetched["status"], fetched["amount"], fetched["price"]) == ("open", 0.01, price)
    balance = await exchange.fetch_balance()
    assert balance["USDT"]["used"] == pytest.approx(0.01 * price)
    assert [o["id"] for o in await exchange.fetch_open_orders(SYMBOL)] == [order["id"]]
    by_link = await exchange.private_get_v5_order_realtime(
        {"category": "spot", "symbol": "BTCUSDT", "orderLinkId": "tg-1"}
    )
    assert [o["orderId"] for o in by_link["result"]["list"]] == [order["id"]]
    canceled = await exchange.cancel_order(order["id"], SYMBOL)
    assert canceled["id"] == order["id"]
    assert (await exchange.fetch_order(order["id"], SYMBOL))["status"] == "canceled"
    assert await exchange.fetch_open_orders(SYMBOL) == []

    market = await exchange.create_order(SYMBOL, "market", "buy", 0.01)
    done = await exchange.fetch_order(market["id"], SYMBOL)
    assert (done["status"], done["filled"]) == ("closed", 0.01)
    trades = await exchange.fetch_my_trades(SYMBOL)
    assert {t["order"] for t in trades} == {market["id"]}
    assert sum(t["amount"] for t in trades) == pytest.approx(0.01)
    assert all(t["fee"]["currency"] == "BTC" for t in trades)


async def test_post_only_ioc_and_a_stop_limit(exchange: Any, venue: Venue) -> None:
    await exchange.load_markets()
    maker = await exchange.create_order(
        SYMBOL, "limit", "buy", 0.01, venue.bid_price(), {"postOnly": True}
    )
    assert (await exchange.fetch_order(maker["id"], SYMBOL))["timeInForce"] == "PO"
    ioc = await exchange.create_order(
        SYMBOL, "limit", "buy", 0.01, venue.bid_price("0.9"), {"timeInForce": "IOC"}
    )
    assert (await exchange.fetch_order(ioc["id"], SYMBOL))["status"] == "canceled"
    stop_price = venue.bid_price("1.05")
    stop = await exchange.create_order(
        SYMBOL, "limit", "buy", 0.01, venue.bid_price("1.06"), {"triggerPrice": stop_price}
    )
    stops = await exchange.fetch_open_orders(SYMBOL, params={"trigger": True})
    assert [(o["id"], o["triggerPrice"]) for o in stops] == [(stop["id"], stop_price)]


async def test_watch_orders_and_my_trades_see_a_fill_with_its_trade_id(
    exchange: Any, venue: Venue
) -> None:
    await exchange.load_markets()
    order = await exchange.create_order(SYMBOL, "limit", "buy", 0.01, venue.bid_price())
    trades_watch = asyncio.ensure_future(exchange.watch_my_trades(SYMBOL))
    orders_watch = asyncio.ensure_future(exchange.watch_orders(SYMBOL))
    await venue.subscribes(2)
    filled = await venue.control(
        "fill", {"symbol": "BTCUSDT", "orderId": int(order["id"]), "qty": "0.004"}
    )
    trades = await asyncio.wait_for(trades_watch, TIMEOUT_S)
    orders = await asyncio.wait_for(orders_watch, TIMEOUT_S)
    (sim_trade,) = filled["trades"]
    assert [(t["id"], t["order"], t["amount"]) for t in trades] == [
        (str(sim_trade["id"]), order["id"], 0.004)
    ]
    assert [(o["id"], o["status"], o["filled"], o["remaining"]) for o in orders] == [
        (order["id"], "open", 0.004, 0.006)
    ]
    rest = await exchange.fetch_my_trades(SYMBOL)
    assert [t["id"] for t in rest] == [str(sim_trade["id"])]


async def _raises(call: Awaitable[Any]) -> type[BaseException]:
    try:
        await call
    except Exception as exc:
        return type(exc)
    raise AssertionError("no error raised")


async def test_each_refusal_is_the_matching_ccxt_class(exchange: Any, venue: Venue) -> None:
    import ccxt

    await exchange.load_markets()
    price = venue.bid_price()
    await exchange.create_order(SYMBOL, "limit", "buy", 0.01, price, {"clientOrderId": "dup"})
    cases: list[tuple[Awaitable[Any], type[BaseException]]] = [
        (exchange.create_order(SYMBOL, "limit", "buy", 100, price), ccxt.InsufficientFunds),
        (exchange.cancel_order("999", SYMBOL), ccxt.OrderNotFound),
        (exchange.fetch_order("999", SYMBOL), ccxt.OrderNotFound),
        (exchange.create_order(SYMBOL, "limit", "buy", 0.0001, 100), ccxt.InvalidOrder),
        (
            exchange.create_order(SYMBOL, "limit", "buy", 0.01, price, {"clientOrderId": "dup"}),
            ccxt.InvalidOrder,
        ),
    ]
    for call, expected in cases:
        assert await _raises(call) is expected


async def test_signing_refusals_are_the_matching_ccxt_classes(venue: Venue) -> None:
    import ccxt

    wrong_secret = venue.client(secret="x" * 64)
    stale = venue.client(
        options=bybit_options(venue.running.urls)["options"] | {"timeDifference": 60_000}
    )
    unknown = venue.client(apiKey="NoSuchKey")
    read_only = venue.client("read-only")
    try:
        for ex in (wrong_secret, stale, unknown, read_only):
            await ex.load_markets()
        assert await _raises(wrong_secret.fetch_balance()) is ccxt.AuthenticationError
        assert await _raises(stale.fetch_balance()) is ccxt.InvalidNonce
        assert await _raises(unknown.fetch_balance()) is ccxt.AuthenticationError
        assert (
            await _raises(read_only.create_order(SYMBOL, "market", "buy", 0.01))
            is ccxt.PermissionDenied
        )
    finally:
        for ex in (wrong_secret, stale, unknown, read_only):
            await ex.close()


async def test_a_rate_limit_and_a_5xx_are_the_matching_ccxt_classes(
    exchange: Any, venue: Venue
) -> None:
    import ccxt

    await exchange.load_markets()
    await venue.control("faults", {"kind": "error", "http_status": 429, "count": 1})
    assert await _raises(exchange.fetch_balance()) is ccxt.RateLimitExceeded
    await venue.control("faults", {"kind": "error", "http_status": 503, "count": 1})
    assert await _raises(exchange.fetch_balance()) is ccxt.ExchangeNotAvailable


async def test_a_wrong_ws_auth_is_an_authentication_error(venue: Venue) -> None:
    import ccxt

    ex = venue.client(secret="y" * 64)
    try:
        await ex.load_markets()
        assert (
            await _raises(asyncio.wait_for(ex.watch_orders(SYMBOL), TIMEOUT_S))
            is ccxt.AuthenticationError
        )
    finally:
        await ex.close()


async def test_key_permissions_read_through_ccxt(venue: Venue) -> None:
    for name, read_only, withdraw, ips in [
        ("trade-only", 0, False, ["127.0.0.1"]),
        ("read-only", 1, False, ["127.0.0.1"]),
        ("withdraw-enabled", 0, True, ["127.0.0.1"]),
        ("no-ip-restriction", 0, False, ["*"]),
    ]:
        ex = venue.client(name)
        try:
            info = (await ex.private_get_v5_user_query_api())["result"]
        finally:
            await ex.close()
        assert info["readOnly"] == read_only
        assert ("Withdraw" in info["permissions"]["Wallet"]) is withdraw
        assert info["ips"] == ips


async def test_the_public_book_trades_and_candles_parse_as_ccxt_reads_them(
    exchange: Any, venue: Venue
) -> None:
    await check_public_reads(exchange, venue.running.sim.engine, SYMBOL)
