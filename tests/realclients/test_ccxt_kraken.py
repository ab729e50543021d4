"""Unmodified ccxt.pro.kraken against the simulator's Kraken dialect, pointed at it by URL only
(venues-ccxt-wire.md §3.1): every unified spot call, watch_orders / watch_my_trades seeing a
fill with its trade id, and each refusal raised as ccxt's class."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from tests.realclients.public_reads import check_public_reads
from tradeguard.sim import server
from tradeguard.sim.config import SimConfig
from tradeguard.sim.kraken import KrakenLimits, state_of
from tradeguard.sim.server import RunningSim

pytestmark = pytest.mark.realclient

TIMEOUT_S = 10
SYMBOL = "BTC/USDT"


@pytest.fixture
async def kraken() -> AsyncIterator[RunningSim]:
    config = SimConfig.default(seed=11, venue="kraken")
    config.market = dataclasses.replace(config.market, volatility_bps=Decimal(0))
    running = await server.start(config)
    try:
        yield running
    finally:
        assert running.sim.unexpected_errors == []
        await running.close()


def client(kraken: RunningSim, key: str = "trade-only") -> Any:
    import ccxt.pro as ccxtpro

    entry = next(k for k in kraken.key_listing if k["name"] == key)
    urls = kraken.urls
    return ccxtpro.kraken(
        {
            "apiKey": entry["api_key"],
            "secret": entry["secret"],
            "enableRateLimit": False,
            "urls": {
                "api": {
                    "public": urls["base_url"],
                    "private": urls["base_url"],
                    "ws": {"privateV2": urls["private_ws_url"], "publicV2": urls["private_ws_url"]},
                }
            },
        }
    )


@pytest.fixture
async def exchange(kraken: RunningSim) -> AsyncIterator[Any]:
    ex = client(kraken)
    await ex.load_markets()
    try:
        yield ex
    finally:
        await ex.close()


async def until(
    watch: Callable[[], Awaitable[list[dict[str, Any]]]],
    done: Callable[[list[dict[str, Any]]], bool],
) -> list[dict[str, Any]]:
    async def loop() -> list[dict[str, Any]]:
        while True:
            got = await watch()
            if done(got):
                return got

    return await asyncio.wait_for(loop(), TIMEOUT_S)


async def test_every_unified_call(exchange: Any, kraken: RunningSim) -> None:
    market = exchange.market(SYMBOL)
    assert market["id"] == "XBTUSDT" and market["precision"]["price"] == 0.01
    assert market["limits"]["amount"]["min"] == 0.00001 and market["limits"]["cost"]["min"] == 5
    assert await exchange.fetch_time() == kraken.sim.clock.now_ms() // 1000 * 1000
    balance = await exchange.fetch_balance()
    assert balance["total"]["BTC"] == 1 and balance["free"]["USDT"] == 100000
    order = await exchange.create_order(
        SYMBOL, "limit", "buy", 0.001, 50000, {"clientOrderId": "cc-1"}
    )
    fetched = await exchange.fetch_order(order["id"])
    assert (fetched["status"], fetched["clientOrderId"], fetched["price"]) == (
        "open",
        "cc-1",
        50000,
    )
    assert [o["id"] for o in await exchange.fetch_open_orders(SYMBOL)] == [order["id"]]
    by_client = await exchange.fetch_open_orders(SYMBOL, params={"cl_ord_id": "cc-1"})
    assert [o["id"] for o in by_client] == [order["id"]]
    await exchange.cancel_order(order["id"])
    assert (await exchange.fetch_order(order["id"]))["status"] == "canceled"
    closed = await exchange.fetch_closed_orders(SYMBOL, params={"cl_ord_id": "cc-1"})
    assert [o["id"] for o in closed] == [order["id"]]
    bought = await exchange.create_order(SYMBOL, "market", "buy", 0.001)
    trades = await exchange.fetch_my_trades(SYMBOL)
    assert [t["order"] for t in trades] == [bought["id"]] and trades[0]["amount"] == 0.001
    post = await exchange.create_order(SYMBOL, "limit", "buy", 0.001, 50000, {"postOnly": True})
    assert (await exchange.fetch_order(post["id"]))["postOnly"] is True
    stop = await exchange.create_order(
        SYMBOL, "limit", "sell", 0.001, 54000, {"stopLossPrice": 55000}
    )
    assert (await exchange.fetch_order(stop["id"]))["stopLossPrice"] == 55000
    ioc = await exchange.create_order(SYMBOL, "limit", "buy", 0.001, 50000, {"timeInForce": "IOC"})
    assert (await exchange.fetch_order(ioc["id"]))["status"] == "canceled"
    info = await exchange.private_post_getapikeyinfo()
    assert "withdraw_funds" not in info["result"]["permissions"]


async def test_watch_orders_and_my_trades_see_a_fill_with_its_trade_id(exchange: Any) -> None:
    orders = asyncio.ensure_future(
        until(exchange.watch_orders, lambda os: any(o["status"] == "closed" for o in os))
    )
    await asyncio.sleep(0.3)  # the single executions subscription goes out first
    trades = asyncio.ensure_future(until(exchange.watch_my_trades, lambda ts: len(ts) > 0))
    await asyncio.sleep(0.3)
    placed = await exchange.create_order(SYMBOL, "market", "buy", 0.001)
    seen_orders, seen_trades = await asyncio.gather(orders, trades)
    closed = next(o for o in seen_orders if o["status"] == "closed")
    assert closed["id"] == placed["id"] and closed["filled"] == 0.001
    rest_trades = await exchange.fetch_my_trades(SYMBOL)
    assert seen_trades[0]["order"] == placed["id"]
    assert seen_trades[0]["id"] == rest_trades[0]["id"]


async def test_each_refusal_is_raised_as_ccxts_class(exchange: Any, kraken: RunningSim) -> None:
    import ccxt

    with pytest.raises(ccxt.InsufficientFunds):
        await exchange.create_order(SYMBOL, "limit", "buy", 100, 50000)
    with pytest.raises(ccxt.InvalidOrder):
        await exchange.create_order(SYMBOL, "limit", "buy", 0.000001, 50000)
    with pytest.raises(ccxt.OrderNotFound):
        await exchange.cancel_order("OAAAAA-AAAAA-AAAAAZ")
    with pytest.raises(ccxt.OrderNotFound):
        await exchange.fetch_order("OAAAAA-AAAAA-AAAAAZ")
    behind = client(kraken)  # the same key, its clock an hour behind: its nonce is stale
    behind.options["timeDifference"] = 3_600_000
    try:
        with pytest.raises(ccxt.InvalidNonce):
            await behind.fetch_balance()
    finally:
        await behind.close()
    state_of(kraken.sim).counter.limits = KrakenLimits(max_counter=1)
    with pytest.raises(ccxt.DDoSProtection):
        await exchange.fetch_balance()
        await exchange.fetch_balance()
    read_only = client(kraken, "read-only")
    try:
        with pytest.raises(ccxt.PermissionDenied):
            await read_only.create_order(SYMBOL, "market", "buy", 0.001)
    finally:
        await read_only.close()
    unknown = client(kraken)
    unknown.apiKey = "nosuchkey"
    try:
        with pytest.raises(ccxt.AuthenticationError):
            await unknown.fetch_balance()
    finally:
        await unknown.close()


async def test_the_public_book_trades_and_candles_parse_as_ccxt_reads_them(
    exchange: Any, kraken: RunningSim
) -> None:
    await check_public_reads(exchange, kraken.sim.engine, SYMBOL)


async def test_watch_balance_sees_the_snapshot_then_a_trades_ledger_entries(exchange: Any) -> None:
    first = await asyncio.wait_for(exchange.watch_balance(), TIMEOUT_S)
    assert first["total"]["BTC"] == 1
    await exchange.create_order(SYMBOL, "limit", "buy", 0.001, 50000)  # holds: no entry
    await exchange.create_order(SYMBOL, "market", "sell", 0.5)
    then = await asyncio.wait_for(exchange.watch_balance(), TIMEOUT_S)
    assert then["total"]["BTC"] == 0.5 and then["total"]["USDT"] > 100000
    entries = {e["asset"]: e for e in then["info"]["data"]}
    assert entries["BTC"]["amount"] == -0.5 and entries["BTC"]["wallet_type"] == "spot"
