"""The synthetic market: price steps, synthetic flow, crossing, replenishment, market data."""

from __future__ import annotations

from decimal import Decimal

from tradeguard.sim.records import SymbolSpec

from .scenario import BEST_ASK, BEST_BID, LEVEL_QTY, SYMBOL, D, limit, make, market, reports


def test_flow_fills_an_order_at_the_top_of_book_over_several_steps() -> None:
    e = make(flow="500")
    o = e.place_order("alice", limit("BUY", "0.02", str(BEST_BID)), 10).order
    reports(e)
    statuses = []
    for t in (1000, 2000, 3000):
        e.advance(t)
        statuses.append(e.get_order("alice", SYMBOL, o.order_id, None).executed_qty)
    # 500 USDT of selling per step buys 0.00833 BTC at 59999.98
    assert statuses == [D("0.00833"), D("0.01666"), D("0.02")]
    reps = reports(e, "alice")
    assert [(r["x"], r["X"], r["l"], r["m"]) for r in reps] == [
        ("TRADE", "PARTIALLY_FILLED", "0.00833000", True),
        ("TRADE", "PARTIALLY_FILLED", "0.00833000", True),
        ("TRADE", "FILLED", "0.00334000", True),
    ]
    assert [r["E"] for r in reps] == [1000, 2000, 3000]


def test_flow_lifts_asks_at_or_below_the_synthetic_best_ask() -> None:
    e = make(flow="500")
    o = e.place_order("alice", limit("SELL", "0.1", "60000.01"), 10).order
    e.advance(1000)
    assert e.get_order("alice", SYMBOL, o.order_id, None).executed_qty == D("0.00833")


def test_flow_does_not_reach_orders_behind_the_synthetic_best() -> None:
    e = make(flow="500")
    o = e.place_order("alice", limit("BUY", "0.02", "59999.97"), 10).order
    e.advance(10_000)
    assert e.get_order("alice", SYMBOL, o.order_id, None).executed_qty == 0


def test_moving_the_price_through_a_resting_order_fills_it_at_its_price() -> None:
    e = make()
    o = e.place_order("alice", limit("SELL", "0.5", "60010"), 10).order
    e.set_price(SYMBOL, D("60100"), 20)
    got = e.get_order("alice", SYMBOL, o.order_id, None)
    assert got.status == "FILLED"
    assert got.cummulative_quote_qty == D("60010") * D("0.5")
    trades = e.my_trades("alice", SYMBOL)
    assert all(t.is_maker and t.price == D("60010") for t in trades)
    assert sum(t.qty for t in trades) == D("0.5")
    assert e.last_price(SYMBOL) == D("60100")


def test_price_moves_that_cross_bids_fill_them() -> None:
    e = make()
    o = e.place_order("alice", limit("BUY", "0.1", "59990"), 10).order
    e.set_price(SYMBOL, D("59900"), 20)
    assert e.get_order("alice", SYMBOL, o.order_id, None).status == "FILLED"


def test_consumed_levels_refill_step_by_step() -> None:
    e = make()
    e.place_order("alice", market("BUY", str(LEVEL_QTY)), 10)
    assert e.book_ticker(SYMBOL)[2] == D("60000.07")
    e.advance(1000)  # a quarter of what was taken comes back: 0.33333 - 0.24999
    assert e.book_ticker(SYMBOL)[2:] == (BEST_ASK, D("0.08334"))
    e.advance(60_000)
    assert e.book_ticker(SYMBOL)[2:] == (BEST_ASK, LEVEL_QTY)


def test_reference_price_walk_is_seeded_and_on_the_tick_grid() -> None:
    a, b, c = make(vol="5", seed=7), make(vol="5", seed=7), make(vol="5", seed=8)
    path_a: list[Decimal] = []
    path_b: list[Decimal] = []
    path_c: list[Decimal] = []
    for t in range(1000, 30_001, 1000):
        for engine, path in ((a, path_a), (b, path_b), (c, path_c)):
            engine.advance(t)
            path.append(engine.last_price(SYMBOL))
    assert path_a == path_b
    assert path_a != path_c
    assert len(set(path_a)) > 5
    assert all(p % D("0.01") == 0 for p in path_a)


def test_advancing_at_once_equals_advancing_step_by_step() -> None:
    once, stepped = make(vol="5", flow="500"), make(vol="5", flow="500")
    for engine in (once, stepped):
        for n in range(5):
            engine.place_order("alice", limit("BUY", "0.2", str(59990 - 10 * n)), 10)
            engine.place_order("bob", limit("SELL", "0.3", str(60010 + 10 * n)), 10)
    once.advance(600_000)
    for t in range(1000, 600_001, 1000):
        stepped.advance(t)
    assert once.drain_user_events() == stepped.drain_user_events()
    # trades are identical; bookTicker is sent per call (the top as it stands after the call)
    trades = [
        [ev for ev in engine.drain_market_events() if ev.stream.endswith("@trade")]
        for engine in (once, stepped)
    ]
    assert trades[0] == trades[1]
    assert len(trades[0]) > 10
    assert once.last_price(SYMBOL) == stepped.last_price(SYMBOL)
    assert once.klines(SYMBOL, 60_000, None, None, 20) == stepped.klines(
        SYMBOL, 60_000, None, None, 20
    )


def test_advance_backwards_is_a_no_op() -> None:
    e = make(vol="5")
    e.advance(5000)
    price = e.last_price(SYMBOL)
    e.advance(3000)
    e.advance(5000)
    assert e.last_price(SYMBOL) == price
    assert e.now_ms == 5000


def test_symbols_walk_independently_of_each_other() -> None:
    eth = SymbolSpec("ETHUSDT", "ETH", "USDT", D("3000"))
    quiet = make(vol="5", extra_symbols=[eth])
    busy = make(vol="5", extra_symbols=[eth], balances={"a": {"USDT": D("10000")}})
    busy.advance(1500)
    from tradeguard.sim.records import NewOrder

    busy.place_order("a", NewOrder("ETHUSDT", "BUY", "MARKET", quantity=D("1")), 1500)
    quiet.advance(20_000)
    busy.advance(20_000)
    assert quiet.last_price(SYMBOL) == busy.last_price(SYMBOL)


def test_depth_merges_user_orders_into_synthetic_levels() -> None:
    e = make()
    e.place_order("alice", limit("BUY", "0.1", str(BEST_BID)), 10)
    e.place_order("bob", limit("BUY", "0.2", "59999.99"), 10)
    e.place_order("bob", limit("BUY", "0.3", "59000"), 10)
    update_id, bids, asks = e.depth(SYMBOL, 3)
    assert bids == [
        (D("59999.99"), D("0.2")),
        (BEST_BID, LEVEL_QTY + D("0.1")),
        (D("59999.93"), LEVEL_QTY),
    ]
    assert asks[0] == (BEST_ASK, LEVEL_QTY)
    assert len(asks) == 3
    _, all_bids, _ = e.depth(SYMBOL, 1000)
    assert (D("59000"), D("0.3")) in all_bids
    assert len(all_bids) == 22
    assert isinstance(update_id, int)


def test_klines_rows_have_binances_shape_and_count_trades() -> None:
    e = make(vol="5")
    e.advance(1500)
    e.place_order("alice", market("BUY", "0.1"), 1500)
    e.advance(130_000)
    rows = e.klines(SYMBOL, 60_000, None, None, 10)
    assert [r[0] for r in rows] == [0, 60_000, 120_000]
    first = rows[0]
    assert len(first) == 12
    _, o, h, low, c, vol, close_time, qvol, n, tbase, tquote, ignore = first
    assert Decimal(str(low)) <= Decimal(str(c)) <= Decimal(str(h))
    assert close_time == 59_999
    assert (vol, n, tbase, ignore) == ("0.10000000", 1, "0.10000000", "0")
    assert Decimal(str(low)) <= Decimal(str(o)) <= Decimal(str(h))
    assert Decimal(str(qvol)) == Decimal(str(tquote)) > 0
    seconds = e.klines(SYMBOL, 1000, 1000, 3000, 500)
    assert [r[0] for r in seconds] == [1000, 2000, 3000]
    assert e.klines(SYMBOL, 1000, None, None, 2)[-1][0] == 130_000
    assert len(e.klines(SYMBOL, 1000, None, None, 5000)) <= 1000


def test_trade_and_book_ticker_streams() -> None:
    e = make(flow="500")
    e.drain_market_events()
    e.place_order("alice", limit("BUY", "0.1", "60000.00"), 10)
    events = e.drain_market_events()
    assert [ev.stream for ev in events] == ["btcusdt@depthUpdate", "btcusdt@bookTicker"]
    ticker = events[1].payload
    assert set(ticker) == {"u", "s", "b", "B", "a", "A"}
    assert (ticker["b"], ticker["B"]) == ("60000.00000000", "0.10000000")
    e.advance(1000)
    events = e.drain_market_events()
    trades = [ev.payload for ev in events if ev.stream == "btcusdt@trade"]
    assert len(trades) == 1
    assert set(trades[0]) == {"e", "E", "s", "t", "p", "q", "T", "m", "M"}
    assert trades[0]["m"] is True  # the buyer (alice, resting) was the maker
    assert trades[0]["p"] == "60000.00000000"
    e.advance(1000)
    assert e.drain_market_events() == []  # nothing changed, nothing sent


def test_a_kline_bar_counts_its_trades_and_their_first_and_last_ids() -> None:
    e = make(vol="5")
    e.advance(1500)
    first = e.place_order("alice", market("BUY", "0.1"), 1500).fills[0].id
    last = e.place_order("alice", market("SELL", "0.05"), 1700).fills[-1].id
    bar = e.kline_bar(SYMBOL, 60_000, 0)
    assert bar is not None
    assert (bar.open_time, bar.close_time, bar.trades) == (0, 59_999, 2)
    assert (bar.first_trade_id, bar.last_trade_id) == (first, last)
    assert bar.volume == D("0.15") and bar.taker_buy_volume == D("0.1")
    assert bar.low <= bar.open <= bar.high and bar.low <= bar.close <= bar.high
    e.advance(2000)
    quiet = e.kline_bar(SYMBOL, 1000, 2000)  # a step's price sample, no trade
    assert quiet is not None
    assert (quiet.trades, quiet.first_trade_id, quiet.last_trade_id) == (0, -1, -1)
    assert e.kline_bar(SYMBOL, 60_000, 60_000) is None  # nothing seen in it yet


def test_the_first_kline_opens_at_the_initial_price_when_the_price_moves_at_once() -> None:
    e = make()
    e.set_price(SYMBOL, D("61000"), 10)
    row = e.klines(SYMBOL, 60_000, None, None, 1)[0]
    assert (row[0], row[1], row[2], row[4]) == (
        0,
        "60000.00000000",
        "61000.00000000",
        "61000.00000000",
    )
