"""The public market streams over the wire: every stream kind, the live request protocol with
Binance's error frames, the limits, and a local book kept from @depth that matches REST depth."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tradeguard.sim import server
from tradeguard.sim.config import SimConfig
from tradeguard.sim.records import SymbolSpec
from tradeguard.sim.server import RunningSim

from .wire_client import WireClient

TIMEOUT_S = 5
START_MS = 1_767_225_600_000
Ws = aiohttp.ClientWebSocketResponse


@pytest.fixture
def sim_config() -> SimConfig:
    # A still market: the book changes only when a test changes it (orders, control price).
    config = SimConfig.default(seed=7, clock="manual", start_ms=START_MS)
    config.market = dataclasses.replace(config.market, volatility_bps=Decimal(0))
    return config


async def frame(ws: Ws) -> Any:
    return await ws.receive_json(timeout=TIMEOUT_S)


async def reply(ws: Ws) -> Any:
    """The next reply to a request, past any stream frames."""
    while True:
        got = await frame(ws)
        if "id" in got:
            return got


async def no_frame(ws: Ws) -> None:
    """Nothing more arrives (a short wait on a real socket; the clock does not move)."""
    with pytest.raises(TimeoutError):
        await ws.receive_json(timeout=0.2)


async def control(wire: WireClient, method: str, path: str, body: Any = None) -> Any:
    status, reply = await wire.control(method, path, body)
    assert status == 200, reply
    return reply


async def advance(wire: WireClient, ms: int) -> None:
    await control(wire, "POST", "clock", {"advance_ms": ms})


async def rest_order(wire: WireClient, **params: str) -> dict[str, Any]:
    reply = await wire.order(symbol="BTCUSDT", **params)
    assert reply.status == 200, reply.text
    body: dict[str, Any] = reply.body
    return body


async def resting_bid(wire: WireClient, price: str, qty: str = "0.01") -> dict[str, Any]:
    return await rest_order(
        wire, side="BUY", type="LIMIT", timeInForce="GTC", quantity=qty, price=price
    )


async def subscribe(ws: Ws, *names: str, request_id: int = 1) -> None:
    await ws.send_json({"method": "SUBSCRIBE", "params": list(names), "id": request_id})
    assert await reply(ws) == {"result": None, "id": request_id}


async def rest_depth(wire: WireClient, limit: int = 5000) -> dict[str, Any]:
    reply = await wire.get("/api/v3/depth", {"symbol": "BTCUSDT", "limit": str(limit)})
    assert reply.status == 200, reply.text
    body: dict[str, Any] = reply.body
    return body


# ── the stream kinds ────────────────────────────────────────────────────────────────────────


async def test_agg_trade_stream(running_sim: RunningSim, http: Any, wire: WireClient) -> None:
    async with http.ws_connect(f"{running_sim.stream_url}/btcusdt@aggTrade") as ws:
        order = await rest_order(wire, side="BUY", type="MARKET", quantity="0.001")
        agg = await frame(ws)
        trade_id = order["fills"][0]["tradeId"]
        assert agg["e"] == "aggTrade" and agg["s"] == "BTCUSDT"
        assert (agg["a"], agg["f"], agg["l"]) == (trade_id, trade_id, trade_id)
        assert (agg["p"], agg["q"]) == (order["fills"][0]["price"], order["fills"][0]["qty"])
        assert agg["m"] is False  # the buyer took: not the maker
        assert set(agg) == {"e", "E", "s", "a", "p", "q", "f", "l", "T", "m", "M"}


async def test_diff_depth_batches_changes_once_per_update_speed(
    running_sim: RunningSim, http: Any, wire: WireClient
) -> None:
    async with http.ws_connect(f"{running_sim.stream_url}/btcusdt@depth@100ms") as ws:
        snapshot = await rest_depth(wire)
        await resting_bid(wire, "50000.00")
        first = await frame(ws)  # a stream's first update goes out at once
        assert first["e"] == "depthUpdate" and first["s"] == "BTCUSDT"
        assert first["U"] == first["u"] == snapshot["lastUpdateId"] + 1
        assert first["b"] == [["50000.00000000", "0.01000000"]] and first["a"] == []
        await resting_bid(wire, "50001.00")
        await resting_bid(wire, "50000.00", "0.02")
        await no_frame(ws)  # held until 100 ms of simulator time have passed
        await advance(wire, 100)
        merged = await frame(ws)
        assert (merged["U"], merged["u"]) == (first["u"] + 1, first["u"] + 2)
        assert merged["b"] == [["50001.00000000", "0.01000000"], ["50000.00000000", "0.03000000"]]
        assert merged["E"] == running_sim.sim.clock.now_ms()


async def test_diff_depth_without_speed_is_once_a_second(
    running_sim: RunningSim, http: Any, wire: WireClient
) -> None:
    async with http.ws_connect(f"{running_sim.stream_url}/btcusdt@depth") as ws:
        await resting_bid(wire, "50000.00")
        await frame(ws)
        await resting_bid(wire, "50001.00")
        await advance(wire, 999)
        await no_frame(ws)
        await advance(wire, 1)
        assert ["50001.00000000", "0.01000000"] in (await frame(ws))["b"]


async def test_a_local_book_from_snapshot_and_diffs_is_rest_depth(
    running_sim: RunningSim, http: Any, wire: WireClient
) -> None:
    # Binance's recipe: buffer the stream, take a snapshot, drop updates with u <= its
    # lastUpdateId, the first kept one spans lastUpdateId + 1, then each U is the last u + 1.
    async with http.ws_connect(f"{running_sim.base_url}/stream?streams=btcusdt@depth@100ms") as ws:
        await resting_bid(wire, "59000.00")
        snapshot = await rest_depth(wire)
        book = {
            "b": {Decimal(p): q for p, q in snapshot["bids"]},
            "a": {Decimal(p): q for p, q in snapshot["asks"]},
        }
        update_id = snapshot["lastUpdateId"]
        orders = []
        for n in range(6):
            orders.append(await resting_bid(wire, f"{59900 + n}.00"))
            await rest_order(wire, side="SELL", type="MARKET", quantity="0.004")
            # the reference moves: the synthetic ladder shifts, crossed bids fill
            price = f"{59950 + 30 * (n % 3)}.00"
            await control(wire, "POST", "price", {"symbol": "BTCUSDT", "price": price})
            await advance(wire, 70)
        await wire.delete(
            "/api/v3/order", {"symbol": "BTCUSDT", "orderId": str(orders[2]["orderId"])},
            key="trade-only", signed=True,
        )  # fmt: skip
        await advance(wire, 100)
        final = await rest_depth(wire)
        while update_id < final["lastUpdateId"]:
            wrapped = await frame(ws)
            assert wrapped["stream"] == "btcusdt@depth@100ms"
            event = wrapped["data"]
            if event["u"] <= update_id:
                continue
            assert event["U"] <= update_id + 1 <= event["u"]
            for side in ("b", "a"):
                for price, qty in event[side]:
                    if Decimal(qty):
                        book[side][Decimal(price)] = qty
                    else:
                        book[side].pop(Decimal(price), None)
            update_id = event["u"]
        assert update_id == final["lastUpdateId"]
        bids = [[f"{p:.8f}", q] for p, q in sorted(book["b"].items(), reverse=True)]
        asks = [[f"{p:.8f}", q] for p, q in sorted(book["a"].items())]
        assert (bids, asks) == (final["bids"], final["asks"])


async def test_partial_depth_sends_the_top_levels_when_they_change(
    running_sim: RunningSim, http: Any, wire: WireClient
) -> None:
    async with http.ws_connect(f"{running_sim.stream_url}/btcusdt@depth5") as ws:
        first = await frame(ws)
        assert first == await rest_depth(wire, 5)
        assert set(first) == {"lastUpdateId", "bids", "asks"} and len(first["bids"]) == 5
        # between the first two levels, behind the synthetic best bid that synthetic flow hits
        price = Decimal(first["bids"][0][0]) - Decimal("0.03")
        await resting_bid(wire, str(price))
        await no_frame(ws)
        await advance(wire, 1000)
        second = await frame(ws)
        assert second["bids"][1] == [f"{price:.8f}", "0.01000000"]
        assert second["bids"][2] == first["bids"][1]
        assert second["lastUpdateId"] > first["lastUpdateId"]


async def test_partial_depth_at_100ms(running_sim: RunningSim, http: Any, wire: WireClient) -> None:
    async with http.ws_connect(running_sim.stream_url) as ws:
        await subscribe(ws, "btcusdt@depth10@100ms")
        first = await frame(ws)
        assert len(first["bids"]) == len(first["asks"]) == 10
        await resting_bid(wire, first["bids"][0][0])
        await advance(wire, 100)
        assert (await frame(ws))["lastUpdateId"] > first["lastUpdateId"]


async def test_kline_stream_updates_then_closes_the_interval(
    running_sim: RunningSim, http: Any, wire: WireClient
) -> None:
    now = running_sim.sim.clock.now_ms()
    async with http.ws_connect(f"{running_sim.stream_url}/btcusdt@kline_1m") as ws:
        first = await frame(ws)
        kline = first["k"]
        assert first["e"] == "kline" and first["s"] == "BTCUSDT"
        assert (kline["i"], kline["s"], kline["x"]) == ("1m", "BTCUSDT", False)
        assert (kline["t"], kline["T"]) == (now - now % 60_000, now - now % 60_000 + 59_999)
        order = await rest_order(wire, side="BUY", type="MARKET", quantity="0.002")
        await advance(wire, 2000)
        update = (await frame(ws))["k"]
        trade_id = order["fills"][0]["tradeId"]
        assert (update["t"], update["n"], update["f"], update["L"]) == (
            kline["t"], 1, trade_id, trade_id,
        )  # fmt: skip
        assert (update["v"], update["V"]) == ("0.00200000", "0.00200000")
        assert Decimal(update["l"]) <= Decimal(update["c"]) <= Decimal(update["h"])
        await advance(wire, 60_000)
        closed, opened = (await frame(ws))["k"], (await frame(ws))["k"]
        assert (closed["t"], closed["x"], closed["n"]) == (kline["t"], True, 1)
        assert (opened["t"], opened["x"]) == (kline["t"] + 60_000, False)
        rows = (
            await wire.get(
                "/api/v3/klines",
                {"symbol": "BTCUSDT", "interval": "1m", "startTime": str(kline["t"]), "limit": "1"},
            )
        ).body
        assert rows[0][1:6] == [closed["o"], closed["h"], closed["l"], closed["c"], closed["v"]]


async def test_one_second_klines_update_every_second(
    running_sim: RunningSim, http: Any, wire: WireClient
) -> None:
    async with http.ws_connect(f"{running_sim.stream_url}/btcusdt@kline_1s") as ws:
        first = (await frame(ws))["k"]
        await advance(wire, 1000)
        closed, opened = (await frame(ws))["k"], (await frame(ws))["k"]
        assert (closed["t"], closed["x"]) == (first["t"], True)
        assert opened["t"] == first["t"] + 1000 and opened["i"] == "1s"


async def test_ticker_and_mini_ticker_agree_with_rest(
    running_sim: RunningSim, http: Any, wire: WireClient
) -> None:
    url = f"{running_sim.base_url}/stream?streams=btcusdt@ticker/btcusdt@miniTicker"
    async with http.ws_connect(url) as ws:
        await rest_order(wire, side="BUY", type="MARKET", quantity="0.003")
        await advance(wire, 1000)
        frames = {f["stream"]: f["data"] for f in [await frame(ws) for _ in range(4)]}
        ticker, mini = frames["btcusdt@ticker"], frames["btcusdt@miniTicker"]
        row = (await wire.get("/api/v3/ticker/24hr", {"symbol": "BTCUSDT"})).body
        assert ticker["e"] == "24hrTicker" and mini["e"] == "24hrMiniTicker"
        pairs = {"c": "lastPrice", "o": "openPrice", "h": "highPrice", "l": "lowPrice",
                 "v": "volume", "q": "quoteVolume"}  # fmt: skip
        for short, long in pairs.items():
            assert ticker[short] == mini[short] == row[long], short
        assert (ticker["b"], ticker["a"]) == (row["bidPrice"], row["askPrice"])
        assert ticker["n"] == row["count"] == 1
        assert set(ticker) == {
            "e", "E", "s", "p", "P", "w", "x", "c", "Q", "b", "B", "a", "A", "o", "h", "l", "v",
            "q", "O", "C", "F", "L", "n",
        }  # fmt: skip


async def test_set_property_switches_a_raw_connection_to_combined(
    running_sim: RunningSim, http: Any, wire: WireClient
) -> None:
    async with http.ws_connect(f"{running_sim.stream_url}/btcusdt@trade") as ws:
        await ws.send_json({"method": "GET_PROPERTY", "params": ["combined"], "id": 1})
        assert await frame(ws) == {"result": False, "id": 1}
        await ws.send_json({"method": "SET_PROPERTY", "params": ["combined", True], "id": 2})
        assert await frame(ws) == {"result": None, "id": 2}
        await rest_order(wire, side="BUY", type="MARKET", quantity="0.001")
        wrapped = await frame(ws)
        assert wrapped["stream"] == "btcusdt@trade" and wrapped["data"]["e"] == "trade"


# ── requests, errors and limits ─────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("sent", "error", "reply_id"),
    [
        ("{broken", {"code": 3, "msg": "Invalid JSON: expected value at line 1 column 1"}, None),
        ('{"method": "SUBSCRIBE", "params": ["btcusdt@trade"]}',
         {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"}, None),
        ('{"method": "SUBSCRIBE", "params": [], "id": 1.5}',
         {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"}, None),
        ('{"params": [], "id": 3}',
         {"code": 2, "msg": "Invalid request: missing field `method` at line 1 column 23"}, 3),
        ('{"method": "DANCE", "id": 4}',
         {"code": 2, "msg": "Invalid request: unknown variant `DANCE`, expected one of "
          "`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY` at "
          "line 1 column 18"}, 4),
        ('{"method": "SUBSCRIBE", "params": ["btcusdt@trade", "nopeusdt@trade"], "id": "a5"}',
         {"code": 2, "msg": "Invalid request: invalid stream"}, "a5"),
        ('{"method": "SUBSCRIBE", "params": ["btcusdt@kline_7m"], "id": 6}',
         {"code": 2, "msg": "Invalid request: invalid stream"}, 6),
        ('{"method": "SET_PROPERTY", "params": ["verbose", true], "id": 7}',
         {"code": 0, "msg": "Unknown property"}, 7),
        ('{"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 8}',
         {"code": 1, "msg": "Invalid value type: expected Boolean"}, 8),
        ('{"method": "GET_PROPERTY", "params": [5], "id": 9}',
         {"code": 2, "msg": "Invalid request: property name must be a string"}, 9),
    ],
)  # fmt: skip
async def test_bad_requests_get_binances_error_frames_and_change_nothing(
    running_sim: RunningSim, http: Any, sent: str, error: dict[str, Any], reply_id: object
) -> None:
    async with http.ws_connect(running_sim.stream_url) as ws:
        await ws.send_str(sent)
        assert await frame(ws) == {"error": error, "id": reply_id}
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 10})
        assert await frame(ws) == {"result": [], "id": 10}


async def test_subscriptions_list_in_order_and_unsubscribe_stops_the_stream(
    running_sim: RunningSim, http: Any, wire: WireClient
) -> None:
    async with http.ws_connect(f"{running_sim.stream_url}/ethusdt@trade") as ws:
        await subscribe(ws, "btcusdt@trade", "BTCUSDT@aggTrade", "btcusdt@trade")
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 2})
        listed = await frame(ws)
        assert listed == {"result": ["ethusdt@trade", "btcusdt@trade", "btcusdt@aggTrade"], "id": 2}
        await ws.send_json({"method": "UNSUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 3})
        assert await frame(ws) == {"result": None, "id": 3}
        await rest_order(wire, side="BUY", type="MARKET", quantity="0.001")
        assert (await frame(ws))["e"] == "trade"
        await no_frame(ws)
    streams = await control(wire, "GET", "streams")
    assert streams["market_subscriptions"] == {}


async def test_more_than_five_messages_a_second_close_the_connection(
    running_sim: RunningSim, http: Any, wire: WireClient
) -> None:
    async with http.ws_connect(running_sim.stream_url) as ws:
        for n in range(5):
            await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": n})
            assert (await frame(ws))["id"] == n
        await advance(wire, 1000)  # a new second: five more are fine
        for n in range(5):
            await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": n})
            assert (await frame(ws))["id"] == n
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 99})
        closed = await ws.receive(timeout=TIMEOUT_S)
        assert closed.type is aiohttp.WSMsgType.CLOSE
        assert (closed.data, closed.extra) == (1008, "Too many requests")


async def test_a_connection_carries_at_most_1024_streams(http: aiohttp.ClientSession) -> None:
    config = SimConfig.default(seed=3, clock="manual", start_ms=START_MS)
    config.symbols = [SymbolSpec(f"C{n}USDT", f"C{n}", "USDT", Decimal("100")) for n in range(40)]
    names = [
        f"c{n}usdt@{kind}"
        for n in range(40)
        for kind in ("trade", "aggTrade", "bookTicker", "ticker", "miniTicker", "depth",
                     "depth@100ms", "kline_1m", "kline_5m", "kline_1h", "kline_1d", "kline_1w",
                     "depth5", "depth10", "depth20", "depth5@100ms", "depth10@100ms",
                     "depth20@100ms", "kline_1s", "kline_3m", "kline_15m", "kline_30m",
                     "kline_2h", "kline_4h", "kline_6h", "kline_8h")
    ]  # fmt: skip
    assert len(names) == 1040
    async with await server.start(config) as running, http.ws_connect(running.stream_url) as ws:
        await subscribe(ws, *names[:1000])
        await ws.send_json({"method": "SUBSCRIBE", "params": names[1000:1030], "id": 2})
        assert await reply(ws) == {"error": {"code": 4, "msg": "Too many subscriptions"}, "id": 2}
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 3})
        assert len((await reply(ws))["result"]) == 1000
        await subscribe(ws, *names[1000:1024], request_id=4)


async def test_market_stream_faults_apply_and_terminate_is_server_shutdown(
    running_sim: RunningSim, http: Any, wire: WireClient
) -> None:
    url = f"{running_sim.base_url}/stream?streams=btcusdt@trade"
    async with http.ws_connect(url) as ws:
        await control(wire, "POST", "faults", {"kind": "duplicate_next", "channel": "market",
                                               "count": 1})  # fmt: skip
        await rest_order(wire, side="BUY", type="MARKET", quantity="0.001")
        assert await frame(ws) == await frame(ws)  # the trade, twice
        await control(wire, "POST", "faults", {"kind": "stream_terminate", "channel": "market"})
        shutdown = await frame(ws)
        assert shutdown["stream"] == "!serverShutdown"
        assert shutdown["data"] == {"e": "serverShutdown", "E": running_sim.sim.clock.now_ms()}
        closed = await ws.receive(timeout=TIMEOUT_S)
        assert closed.type is aiohttp.WSMsgType.CLOSE


async def test_a_silenced_depth_stream_loses_updates_and_the_gap_shows_in_its_ids(
    running_sim: RunningSim, http: Any, wire: WireClient
) -> None:
    async with http.ws_connect(f"{running_sim.stream_url}/btcusdt@depth@100ms") as ws:
        await resting_bid(wire, "50000.00")
        before = await frame(ws)
        await control(wire, "POST", "faults", {"kind": "stream_silence", "channel": "market"})
        await advance(wire, 100)
        await resting_bid(wire, "50001.00")  # its update is discarded, not buffered
        await no_frame(ws)
        await control(wire, "DELETE", "faults")
        await advance(wire, 100)
        await resting_bid(wire, "50002.00")
        after = await frame(ws)
        assert after["U"] > before["u"] + 1  # a client following the recipe must resync
        assert after["b"] == [["50002.00000000", "0.01000000"]]


async def test_a_user_stream_fault_leaves_market_streams_alone(
    running_sim: RunningSim, http: Any, wire: WireClient
) -> None:
    async with http.ws_connect(f"{running_sim.stream_url}/btcusdt@trade") as ws:
        await control(wire, "POST", "faults", {"kind": "stream_silence", "channel": "user"})
        await control(wire, "POST", "faults", {"kind": "stream_drop", "channel": "user"})
        await rest_order(wire, side="BUY", type="MARKET", quantity="0.001")
        assert (await frame(ws))["e"] == "trade"


async def test_streams_follow_a_reset_simulator(
    running_sim: RunningSim, http: Any, wire: WireClient
) -> None:
    async with http.ws_connect(f"{running_sim.stream_url}/btcusdt@depth5") as ws:
        await frame(ws)
        await control(wire, "POST", "reset", {})
        after = await frame(ws)  # the new engine's book, sent afresh at once
        assert after == await rest_depth(wire, 5)


async def test_a_quiet_wall_clock_market_sends_periodic_streams_by_itself(
    http: aiohttp.ClientSession,
) -> None:
    config = SimConfig.default(seed=4, clock="wall")
    config.market = dataclasses.replace(config.market, step_ms=20, volatility_bps=Decimal(50))
    async with (
        await server.start(config) as running,
        http.ws_connect(f"{running.stream_url}/btcusdt@depth@100ms") as ws,
    ):
        first, second = await frame(ws), await frame(ws)
        assert second["U"] == first["u"] + 1
