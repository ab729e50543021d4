"""Public market-data endpoints: shapes, parameters and weights as Binance serves them."""

from __future__ import annotations

from decimal import Decimal

from tradeguard.sim.server import RunningSim

from .wire_client import WireClient

D8 = r"^\d+\.\d{8}$"


async def test_ping_and_time(wire: WireClient) -> None:
    ping = await wire.get("/api/v3/ping")
    assert (ping.status, ping.body) == (200, {})
    assert ping.headers["X-MBX-USED-WEIGHT-1M"] == "1"
    time = await wire.get("/api/v3/time")
    assert time.body == {"serverTime": wire.now_ms()}
    assert time.headers["X-MBX-USED-WEIGHT-1M"] == "2"
    assert time.headers["Content-Type"].startswith("application/json")


async def test_exchange_info_lists_symbols_filters_and_rate_limits(wire: WireClient) -> None:
    reply = await wire.get("/api/v3/exchangeInfo")
    info = reply.body
    assert reply.headers["X-MBX-USED-WEIGHT-1M"] == "20"
    assert info["timezone"] == "UTC" and info["serverTime"] == wire.now_ms()
    assert {
        "rateLimitType": "REQUEST_WEIGHT",
        "interval": "MINUTE",
        "intervalNum": 1,
        "limit": 6000,
    } in info["rateLimits"]
    symbols = {s["symbol"]: s for s in info["symbols"]}
    assert {"BTCUSDT", "ETHUSDT"} <= set(symbols)
    btc = symbols["BTCUSDT"]
    assert (btc["status"], btc["baseAsset"], btc["quoteAsset"]) == ("TRADING", "BTC", "USDT")
    assert "LIMIT" in btc["orderTypes"] and "LIMIT_MAKER" in btc["orderTypes"]
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01000000"
    assert filters["LOT_SIZE"]["stepSize"] == "0.00001000"
    assert {"NOTIONAL", "MARKET_LOT_SIZE", "ICEBERG_PARTS", "MAX_NUM_ORDERS"} <= set(filters)


async def test_exchange_info_by_symbol_and_symbols(wire: WireClient) -> None:
    one = await wire.get("/api/v3/exchangeInfo", {"symbol": "ETHUSDT"})
    assert [s["symbol"] for s in one.body["symbols"]] == ["ETHUSDT"]
    two = await wire.get("/api/v3/exchangeInfo", {"symbols": '["BTCUSDT","ETHUSDT"]'})
    assert [s["symbol"] for s in two.body["symbols"]] == ["BTCUSDT", "ETHUSDT"]
    none = await wire.get("/api/v3/exchangeInfo", {"permissions": "MARGIN"})
    assert none.body["symbols"] == []
    bad = await wire.get("/api/v3/exchangeInfo", {"symbol": "NOPEUSDT"})
    assert (bad.status, bad.code, bad.msg) == (400, -1121, "Invalid symbol.")


async def test_depth_is_sorted_and_weighs_by_limit(wire: WireClient) -> None:
    reply = await wire.get("/api/v3/depth", {"symbol": "BTCUSDT", "limit": "5"})
    book = reply.body
    assert reply.headers["X-MBX-USED-WEIGHT-1M"] == "5"
    assert isinstance(book["lastUpdateId"], int)
    bids = [Decimal(p) for p, _ in book["bids"]]
    asks = [Decimal(p) for p, _ in book["asks"]]
    assert len(bids) == len(asks) == 5
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert bids[0] < asks[0]
    heavy = await wire.get("/api/v3/depth", {"symbol": "BTCUSDT", "limit": "1000"})
    assert heavy.headers["X-MBX-USED-WEIGHT-1M"] == str(5 + 50)


async def test_tickers(wire: WireClient) -> None:
    price = await wire.get("/api/v3/ticker/price", {"symbol": "BTCUSDT"})
    assert price.body == {"symbol": "BTCUSDT", "price": "60000.00000000"}
    assert price.headers["X-MBX-USED-WEIGHT-1M"] == "2"
    every = await wire.get("/api/v3/ticker/price")
    assert {"symbol": "ETHUSDT", "price": "3000.00000000"} in every.body
    book = (await wire.get("/api/v3/ticker/bookTicker", {"symbol": "BTCUSDT"})).body
    assert set(book) == {"symbol", "bidPrice", "bidQty", "askPrice", "askQty"}
    assert Decimal(book["bidPrice"]) < Decimal(book["askPrice"])
    day = (await wire.get("/api/v3/ticker/24hr", {"symbol": "BTCUSDT"})).body
    assert day["symbol"] == "BTCUSDT" and day["lastPrice"] == "60000.00000000"
    avg = (await wire.get("/api/v3/avgPrice", {"symbol": "BTCUSDT"})).body
    assert avg["mins"] == 5 and Decimal(avg["price"]) > 0


async def test_klines_and_trades_follow_the_market(
    wire: WireClient, running_sim: RunningSim
) -> None:
    # A market buy makes a public trade; moving the clock makes minutes of klines.
    bought = await wire.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
    assert bought.status == 200, bought.text
    status, _ = await wire.control("POST", "clock", {"advance_ms": 180_000})
    assert status == 200
    trades = (await wire.get("/api/v3/trades", {"symbol": "BTCUSDT", "limit": "5"})).body
    assert trades and {"id", "price", "qty", "quoteQty", "time", "isBuyerMaker"} <= set(trades[0])
    aggregated = (await wire.get("/api/v3/aggTrades", {"symbol": "BTCUSDT", "limit": "5"})).body
    assert [a["a"] for a in aggregated] == [t["id"] for t in trades]
    assert {"p", "q", "f", "l", "T", "m"} <= set(aggregated[0])
    klines = (
        await wire.get("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m", "limit": "3"})
    ).body
    assert 1 <= len(klines) <= 3
    assert all(len(row) == 12 for row in klines)
    bad = await wire.get("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "7m"})
    assert (bad.status, bad.code, bad.msg) == (400, -1120, "Invalid interval.")


async def test_market_parameters_are_checked(wire: WireClient) -> None:
    missing = await wire.get("/api/v3/depth")
    assert (missing.status, missing.code) == (400, -1102)
    assert missing.msg == "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
    lower = await wire.get("/api/v3/depth", {"symbol": "btcusdt"})
    assert lower.code == -1100
    assert lower.msg == (
        "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'."
    )
    limit = await wire.get("/api/v3/depth", {"symbol": "BTCUSDT", "limit": "ten"})
    assert limit.code == -1100


async def test_spot_delist_schedule_is_an_empty_list(wire: WireClient) -> None:
    # Nothing is ever delisted on the simulator; freqtrade's DelistFilter asks all the same.
    reply = await wire.get("/sapi/v1/spot/delist-schedule", key="read-only", signed=True)
    assert (reply.status, reply.body) == (200, [])
    assert reply.headers["X-MBX-USED-WEIGHT-1M"] == "100"
    unsigned = await wire.get("/sapi/v1/spot/delist-schedule", key="trade-only")
    assert (unsigned.status, unsigned.body) == (200, [])  # MARKET_DATA: the API key is enough
    no_key = await wire.get("/sapi/v1/spot/delist-schedule")
    assert no_key.status == 401 and no_key.code == -2014
