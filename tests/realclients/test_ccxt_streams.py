"""Unmodified ccxt.pro public streams (watch_trades, watch_ticker, watch_order_book, watch_ohlcv)
against the simulator, pointed at it by URL only, while the test moves the market."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from .conftest import SimHandle

pytestmark = pytest.mark.realclient

SPOT_ONLY = {"fetchCurrencies": False, "fetchMarkets": {"types": ["spot"]}, "fetchMargins": False}
TIMEOUT_S = 10
SYMBOL = "BTC/USDT"


@pytest.fixture
async def exchange(still_sim: SimHandle) -> AsyncIterator[Any]:
    import ccxt.pro as ccxtpro

    key = still_sim.key("trade-only")
    ex = ccxtpro.binance(
        {"apiKey": key["api_key"], "secret": key["secret"], "options": dict(SPOT_ONLY)}
    )
    ex.urls["api"]["public"] = f"{still_sim.base_url}/api/v3"
    ex.urls["api"]["private"] = f"{still_sim.base_url}/api/v3"
    ex.urls["api"]["sapi"] = f"{still_sim.base_url}/sapi/v1"
    ex.urls["api"]["ws"]["spot"] = still_sim.stream_url  # public streams: stream_url + "/<n>"
    ex.urls["api"]["ws"]["ws-api"]["spot"] = still_sim.ws_api_url
    await ex.load_markets()
    try:
        yield ex
    finally:
        await ex.close()


async def watch_until(watch: Callable[[], Awaitable[Any]], done: Callable[[Any], bool]) -> Any:
    """Call `watch` until what it returns satisfies `done`."""

    async def loop() -> Any:
        while True:
            got = await watch()
            if done(got):
                return got

    return await asyncio.wait_for(loop(), TIMEOUT_S)


async def resting_bid(exchange: Any, fraction: float, amount: float) -> dict[str, Any]:
    """A limit buy `fraction` of the last price: behind the synthetic best bid, it rests."""
    last = float((await exchange.public_get_ticker_price({"symbol": "BTCUSDT"}))["price"])
    order: dict[str, Any] = await exchange.create_order(
        SYMBOL, "limit", "buy", amount, round(last * fraction, 2)
    )
    return order


async def test_watch_trades_sees_a_fill_the_test_makes(exchange: Any, still_sim: SimHandle) -> None:
    order = await resting_bid(exchange, 0.98, 0.003)
    watcher = asyncio.ensure_future(exchange.watch_trades(SYMBOL))
    await still_sim.wait_for_market_stream("btcusdt@trade")
    filled = await still_sim.control(
        "fill", {"symbol": "BTCUSDT", "orderId": int(order["id"]), "qty": "0.002"}
    )
    trades = await asyncio.wait_for(watcher, TIMEOUT_S)
    (sim_trade,) = filled["trades"]
    assert [(t["id"], t["price"], t["amount"], t["side"]) for t in trades] == [
        (str(sim_trade["id"]), float(sim_trade["price"]), 0.002, "sell")  # the taker sold
    ]


@pytest.mark.parametrize("stream", ["miniTicker", "ticker"])
async def test_watch_ticker_follows_a_price_move(
    exchange: Any, still_sim: SimHandle, stream: str
) -> None:
    # ccxt's watch_ticker takes <symbol>@miniTicker unless told {"name": "ticker"}.
    params = {"name": stream}
    first = await asyncio.wait_for(exchange.watch_ticker(SYMBOL, params), TIMEOUT_S)
    await still_sim.wait_for_market_stream(f"btcusdt@{stream}")
    assert first["symbol"] == SYMBOL and first["info"]["s"] == "BTCUSDT"
    target = round(first["last"] * 1.01, 2)
    await still_sim.control("price", {"symbol": "BTCUSDT", "price": str(target)})
    moved = await watch_until(
        lambda: exchange.watch_ticker(SYMBOL, params), lambda t: t["last"] == target
    )
    assert moved["high"] >= target and moved["open"] == first["open"]
    if stream == "ticker":  # the full ticker carries the top of the book
        assert moved["bid"] < target < moved["ask"]


async def test_watch_order_book_is_the_engines_book(exchange: Any, still_sim: SimHandle) -> None:
    book = await asyncio.wait_for(exchange.watch_order_book(SYMBOL), TIMEOUT_S)
    assert book["bids"] and book["asks"]
    orders = [await resting_bid(exchange, 0.999 - 0.001 * n, 0.001 * (n + 1)) for n in range(3)]
    await exchange.cancel_order(orders[1]["id"], SYMBOL)
    engine = still_sim.running.sim.engine
    update_id = engine.depth("BTCUSDT", 5000)[0]
    book = await watch_until(
        lambda: exchange.watch_order_book(SYMBOL), lambda b: b["nonce"] >= update_id
    )
    _, bids, asks = engine.depth("BTCUSDT", 5000)
    assert book["nonce"] == update_id
    assert book["bids"] == [[float(p), float(q)] for p, q in bids]
    assert book["asks"] == [[float(p), float(q)] for p, q in asks]
    for kept in (orders[0], orders[2]):
        assert [kept["price"], kept["amount"]] in book["bids"]
    assert orders[1]["price"] not in [price for price, _ in book["bids"]]


async def test_watch_ohlcv_counts_a_trade_in_the_current_kline(
    exchange: Any, still_sim: SimHandle
) -> None:
    first = await asyncio.wait_for(exchange.watch_ohlcv(SYMBOL, "1m"), TIMEOUT_S)
    opened, volume = first[-1][0], first[-1][5]
    order = await resting_bid(exchange, 0.98, 0.004)
    await still_sim.control(
        "fill", {"symbol": "BTCUSDT", "orderId": int(order["id"]), "qty": "0.004"}
    )
    candles = await watch_until(
        lambda: exchange.watch_ohlcv(SYMBOL, "1m"),
        lambda rows: rows[-1][0] > opened or rows[-1][5] > volume,
    )
    rest = await exchange.fetch_ohlcv(SYMBOL, "1m", since=candles[-1][0], limit=1)
    if candles[-1][0] == opened:  # the same minute: the fill is in it
        assert candles[-1][5] == pytest.approx(volume + 0.004)
        assert candles[-1][3] <= order["price"] <= candles[-1][2]
    assert candles[-1][:5] == rest[0][:5]
