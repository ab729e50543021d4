"""Placing, matching, cancelling and querying orders of every type."""

from __future__ import annotations

import re

import pytest

from tradeguard.sim import wire
from tradeguard.sim.records import NewOrder, SymbolSpec
from tradeguard.sim.rejects import Reject

from .scenario import (
    BEST_ASK,
    BEST_BID,
    LEVEL_QTY,
    SYMBOL,
    D,
    free,
    limit,
    locked,
    make,
    market,
    reports,
    stop,
)


def test_limit_below_the_market_rests_as_new() -> None:
    e = make()
    r = e.place_order("alice", limit("BUY", "0.01", "59000"), 10)
    assert r.order.status == "NEW"
    assert r.fills == []
    assert r.resp_type == "FULL"
    assert [o.order_id for o in e.open_orders("alice", SYMBOL)] == [r.order.order_id]
    assert e.book_ticker(SYMBOL)[0] == BEST_BID  # a lower bid does not change the top


def test_limit_inside_the_spread_becomes_the_best_bid() -> None:
    e = make()
    e.place_order("alice", limit("BUY", "0.01", "60000.00"), 10)
    assert e.book_ticker(SYMBOL)[:2] == (D("60000.00"), D("0.01"))


def test_crossing_limit_takes_at_the_makers_prices_and_rests_the_rest() -> None:
    e = make()
    r = e.place_order("alice", limit("BUY", "0.5", "60000.02"), 10)
    assert [(t.price, t.qty) for t in r.fills] == [(BEST_ASK, LEVEL_QTY)]
    assert r.order.status == "PARTIALLY_FILLED"
    assert r.order.executed_qty == LEVEL_QTY
    (o,) = e.open_orders("alice", SYMBOL)
    assert o.order_id == r.order.order_id
    bid, bid_qty, ask, _ = e.book_ticker(SYMBOL)
    assert (bid, bid_qty) == (D("60000.02"), D("0.5") - LEVEL_QTY)
    assert ask == D("60000.07")  # the first synthetic level was consumed


def test_market_buy_walks_synthetic_levels() -> None:
    e = make()
    r = e.place_order("alice", market("BUY", "0.5"), 10)
    assert [(t.price, t.qty) for t in r.fills] == [
        (D("60000.02"), LEVEL_QTY),
        (D("60000.07"), D("0.5") - LEVEL_QTY),
    ]
    assert r.order.status == "FILLED"
    assert r.order.price == 0
    assert r.order.time_in_force == "GTC"
    assert all(not t.is_maker for t in r.fills)


def test_market_buy_by_quote_order_qty_spends_at_most_that_much() -> None:
    e = make()
    r = e.place_order("alice", market("BUY", quote="1000"), 10)
    assert r.order.status == "FILLED"
    assert r.order.orig_quote_order_qty == D("1000")
    assert r.order.cummulative_quote_qty <= D("1000")
    assert r.order.executed_qty == D("0.01666")  # 1000 / 60000.02 rounded down to the step
    assert r.order.orig_qty == r.order.executed_qty


def test_market_sell_by_quote_order_qty() -> None:
    e = make()
    r = e.place_order("alice", market("SELL", quote="600"), 10)
    assert r.order.executed_qty == D("0.01")
    assert r.fills[0].price == BEST_BID


def test_market_larger_than_the_book_expires_the_rest() -> None:
    e = make(market_max_qty=D("0"), balances={"whale": {"USDT": D("10000000")}})
    _, _, asks = e.depth(SYMBOL, 100)
    assert len(asks) == 20
    r = e.place_order("whale", market("BUY", "8"), 10)  # 20 levels of about 0.3333
    assert r.order.status == "EXPIRED"
    assert r.order.executed_qty == sum(q for _, q in asks)
    assert free(e, "whale", "USDT") + r.order.cummulative_quote_qty == D("10000000")
    assert locked(e, "whale", "USDT") == 0


def test_ioc_takes_what_crosses_and_expires() -> None:
    e = make()
    r = e.place_order("alice", limit("BUY", "0.5", "60000.02", tif="IOC"), 10)
    assert r.order.status == "EXPIRED"
    assert r.order.executed_qty == LEVEL_QTY
    assert e.open_orders("alice", SYMBOL) == []
    assert locked(e, "alice", "USDT") == 0


def test_ioc_with_nothing_crossing_expires_empty() -> None:
    e = make()
    r = e.place_order("alice", limit("SELL", "0.1", "60010", tif="IOC"), 10)
    assert (r.order.status, r.order.executed_qty, r.fills) == ("EXPIRED", D(0), [])


def test_fok_that_cannot_fill_completely_trades_nothing() -> None:
    e = make()
    r = e.place_order("alice", limit("BUY", "0.5", "60000.02", tif="FOK"), 10)
    assert (r.order.status, r.order.executed_qty, r.fills) == ("EXPIRED", D(0), [])
    assert e.book_ticker(SYMBOL)[2:] == (BEST_ASK, LEVEL_QTY)  # nothing consumed


def test_fok_that_can_fill_fills_completely() -> None:
    e = make()
    r = e.place_order("alice", limit("BUY", "0.5", "60000.07", tif="FOK"), 10)
    assert r.order.status == "FILLED"
    assert sum(t.qty for t in r.fills) == D("0.5")


def test_limit_maker_rests_or_is_rejected_if_it_would_take() -> None:
    e = make()
    ok = e.place_order(
        "alice", NewOrder(SYMBOL, "SELL", "LIMIT_MAKER", quantity=D("0.1"), price=D("60001")), 10
    )
    assert ok.order.status == "NEW"
    assert ok.resp_type == "ACK"
    with pytest.raises(Reject) as err:
        e.place_order(
            "alice",
            NewOrder(SYMBOL, "BUY", "LIMIT_MAKER", quantity=D("0.1"), price=D("60000.02")),
            10,
        )
    assert (err.value.code, err.value.msg) == (-2010, "Order would immediately match and take.")


def test_limit_maker_is_rejected_against_a_user_order_too() -> None:
    e = make()
    e.place_order("bob", limit("SELL", "0.1", "60000.01"), 10)
    with pytest.raises(Reject) as err:
        e.place_order(
            "alice",
            NewOrder(SYMBOL, "BUY", "LIMIT_MAKER", quantity=D("0.1"), price=D("60000.01")),
            10,
        )
    assert err.value.code == -2010


def test_user_orders_match_each_other_before_synthetic_levels() -> None:
    e = make()
    maker = e.place_order("bob", limit("SELL", "0.1", "60000.02"), 10).order
    r = e.place_order("alice", limit("BUY", "0.2", "60000.02"), 20)
    assert [(t.price, t.qty, t.is_maker) for t in r.fills] == [
        (D("60000.02"), D("0.1"), False),
        (D("60000.02"), D("0.1"), False),
    ]
    assert e.get_order("bob", SYMBOL, maker.order_id, None).status == "FILLED"
    (bob_trade,) = e.my_trades("bob", SYMBOL)
    assert bob_trade.is_maker and not bob_trade.is_buyer
    assert bob_trade.id == r.fills[0].id  # one trade id for both sides of a match


def test_price_time_priority_among_user_orders() -> None:
    e = make()
    first = e.place_order("bob", limit("SELL", "0.1", "60000.01"), 10).order
    second = e.place_order("alice", limit("SELL", "0.1", "60000.01"), 11).order
    better = e.place_order("alice", limit("SELL", "0.1", "60000.00"), 12).order
    e.place_order("carol", market("BUY", "0.25"), 13)
    assert e.get_order("alice", SYMBOL, better.order_id, None).status == "FILLED"
    assert e.get_order("bob", SYMBOL, first.order_id, None).status == "FILLED"
    assert e.get_order("alice", SYMBOL, second.order_id, None).executed_qty == D("0.05")


def test_stop_orders_wait_without_working() -> None:
    e = make()
    r = e.place_order("alice", stop("STOP_LOSS", "SELL", "0.1", "59000"), 10)
    o = r.order
    assert (o.status, o.is_working, o.working_time, r.resp_type) == ("NEW", False, -1, "ACK")
    assert e.book_ticker(SYMBOL)[:2] == (BEST_BID, LEVEL_QTY)  # not on the book
    assert locked(e, "alice", "BTC") == D("0.1")


@pytest.mark.parametrize(
    ("type_", "side", "stop_price"),
    [
        ("STOP_LOSS", "SELL", "60001"),
        ("STOP_LOSS", "BUY", "59999"),
        ("TAKE_PROFIT", "SELL", "59999"),
        ("TAKE_PROFIT", "BUY", "60001"),
    ],
)
def test_stop_already_crossed_is_rejected(type_: str, side: str, stop_price: str) -> None:
    e = make()
    with pytest.raises(Reject) as err:
        e.place_order("alice", stop(type_, side, "0.1", stop_price), 10)
    assert (err.value.code, err.value.msg) == (-2010, "Order would trigger immediately.")


def test_duplicate_open_client_order_id_is_rejected() -> None:
    e = make()
    e.place_order("alice", limit("BUY", "0.01", "59000", new_client_order_id="mine-1"), 10)
    with pytest.raises(Reject) as err:
        e.place_order("alice", limit("BUY", "0.01", "59000", new_client_order_id="mine-1"), 10)
    assert (err.value.code, err.value.msg) == (-2010, "Duplicate order sent.")
    # another account may use it, and so may alice once the first one is closed
    e.place_order("bob", limit("BUY", "0.01", "59000", new_client_order_id="mine-1"), 10)
    e.cancel_order("alice", SYMBOL, None, "mine-1", None, 10)
    e.place_order("alice", limit("BUY", "0.01", "59000", new_client_order_id="mine-1"), 10)


def test_generated_client_ids_and_increasing_order_ids() -> None:
    e = make()
    ids = [e.place_order("alice", limit("BUY", "0.01", "59000"), 10).order for _ in range(3)]
    assert [o.order_id for o in ids] == [1, 2, 3]
    for o in ids:
        assert re.fullmatch(r"[A-Za-z0-9]{22}", o.client_order_id)
    assert len({o.client_order_id for o in ids}) == 3
    again = make()
    same = [again.place_order("alice", limit("BUY", "0.01", "59000"), 10).order for _ in range(3)]
    assert [o.client_order_id for o in same] == [o.client_order_id for o in ids]


def test_cancel_returns_the_cancel_id_and_the_original_id() -> None:
    e = make()
    o = e.place_order("alice", limit("BUY", "0.01", "59000", new_client_order_id="c1"), 10).order
    reports(e)
    out = e.cancel_order("alice", SYMBOL, o.order_id, None, "cancel-1", 20)
    assert (out.status, out.client_order_id, out.orig_client_order_id) == (
        "CANCELED",
        "cancel-1",
        "c1",
    )
    body = wire.cancel_json(out)
    assert (body["clientOrderId"], body["origClientOrderId"]) == ("cancel-1", "c1")
    (rep,) = reports(e)
    assert (rep["x"], rep["X"], rep["c"], rep["C"]) == ("CANCELED", "CANCELED", "cancel-1", "c1")
    assert e.get_order("alice", SYMBOL, None, "c1").status == "CANCELED"


@pytest.mark.parametrize("how", ["unknown", "filled", "canceled", "other-account"])
def test_cancel_of_an_order_that_is_not_open_is_unknown(how: str) -> None:
    e = make()
    o = e.place_order("alice", limit("BUY", "0.01", "59000"), 10).order
    order_id = o.order_id
    account = "alice"
    if how == "unknown":
        order_id = 999
    elif how == "filled":
        order_id = e.place_order("alice", market("BUY", "0.01"), 10).order.order_id
    elif how == "canceled":
        e.cancel_order("alice", SYMBOL, order_id, None, None, 10)
    else:
        account = "bob"
    with pytest.raises(Reject) as err:
        e.cancel_order(account, SYMBOL, order_id, None, None, 20)
    assert (err.value.code, err.value.msg) == (-2011, "Unknown order sent.")


def test_get_order_unknown() -> None:
    e = make()
    with pytest.raises(Reject) as err:
        e.get_order("alice", SYMBOL, 42, None)
    assert (err.value.code, err.value.msg) == (-2013, "Order does not exist.")
    with pytest.raises(Reject) as err:
        e.get_order("alice", SYMBOL, None, "nope")
    assert err.value.code == -2013


def test_cancel_open_orders_cancels_every_open_order_of_the_account() -> None:
    e = make()
    for price in ("59000", "59001"):
        e.place_order("alice", limit("BUY", "0.01", price), 10)
    e.place_order("bob", limit("BUY", "0.01", "59000"), 10)
    out = e.cancel_open_orders("alice", SYMBOL, 20)
    assert [o.status for o in out] == ["CANCELED", "CANCELED"]
    assert e.open_orders("alice", None) == []
    assert len(e.open_orders("bob", SYMBOL)) == 1
    assert locked(e, "alice", "USDT") == 0


def test_test_orders_validate_and_change_nothing() -> None:
    e = make()
    before = e.balances("alice")
    r = e.place_order("alice", limit("BUY", "0.01", "59000"), 10, test=True)
    assert r.fills == []
    assert e.open_orders("alice", SYMBOL) == []
    assert e.balances("alice") == before
    assert e.drain_user_events() == []
    with pytest.raises(Reject):
        e.place_order("alice", limit("BUY", "0.01", "59000.001"), 10, test=True)
    assert e.place_order("alice", limit("BUY", "0.01", "59000"), 10).order.order_id == 1


def test_all_orders_and_my_trades_queries() -> None:
    e = make()
    first = e.place_order("alice", limit("BUY", "0.01", "59000"), 10).order
    e.place_order("alice", market("BUY", "0.01"), 1500)
    e.place_order("alice", market("SELL", "0.01"), 2500)
    assert [o.order_id for o in e.all_orders("alice", SYMBOL)] == [1, 2, 3]
    assert [o.order_id for o in e.all_orders("alice", SYMBOL, order_id=2)] == [2, 3]
    assert [o.order_id for o in e.all_orders("alice", SYMBOL, limit=1)] == [3]
    assert [o.order_id for o in e.all_orders("alice", SYMBOL, start_time=1000)] == [2, 3]
    trades = e.my_trades("alice", SYMBOL)
    assert [t.order_id for t in trades] == [2, 3]
    assert [t.id for t in e.my_trades("alice", SYMBOL, from_id=trades[1].id)] == [trades[1].id]
    assert e.my_trades("alice", SYMBOL, order_id=first.order_id) == []
    assert e.all_orders("bob", SYMBOL) == []


def test_iceberg_shows_one_part_and_trades_through_all_parts() -> None:
    e = make()
    r = e.place_order("bob", limit("SELL", "0.3", "60000.01", iceberg_qty=D("0.1")), 10)
    assert e.book_ticker(SYMBOL)[2:] == (D("60000.01"), D("0.1"))
    _, _, asks = e.depth(SYMBOL, 2)
    assert asks[0] == (D("60000.01"), D("0.1"))
    t = e.place_order("alice", market("BUY", "0.25"), 20)
    assert [(f.price, f.qty) for f in t.fills] == [
        (D("60000.01"), D("0.1")),
        (D("60000.01"), D("0.1")),
        (D("60000.01"), D("0.05")),
    ]
    assert e.book_ticker(SYMBOL)[2:] == (D("60000.01"), D("0.05"))
    assert wire.order_json(e.get_order("bob", SYMBOL, r.order.order_id, None))["icebergQty"] == (
        "0.10000000"
    )


def test_iceberg_needs_gtc_and_a_smaller_part() -> None:
    e = make()
    with pytest.raises(Reject) as err:
        e.place_order("alice", limit("BUY", "0.3", "59000", tif="IOC", iceberg_qty=D("0.1")), 10)
    assert (err.value.code, err.value.msg) == (-2010, "Unsupported order combination")
    with pytest.raises(Reject) as err:
        e.place_order("alice", limit("BUY", "0.3", "59000", iceberg_qty=D("0.3")), 10)
    assert (err.value.code, err.value.msg) == (-2010, "IcebergQty exceeds QTY.")


def test_self_trade_prevention_expires_the_maker_by_default() -> None:
    e = make()
    maker = e.place_order("alice", limit("SELL", "0.1", "60000.01"), 10).order
    reports(e)
    r = e.place_order("alice", limit("BUY", "0.1", "60000.02"), 20)
    # the own order expired in match; the taker went on to the synthetic level
    assert [(t.price, t.qty) for t in r.fills] == [(D("60000.02"), D("0.1"))]
    got = e.get_order("alice", SYMBOL, maker.order_id, None)
    assert got.status == "EXPIRED_IN_MATCH"
    prevention = [x for x in reports(e) if x["x"] == "TRADE_PREVENTION"]
    assert len(prevention) == 1
    rep = prevention[0]
    assert (rep["i"], rep["X"], rep["A"], rep["B"], rep["U"]) == (
        maker.order_id,
        "EXPIRED_IN_MATCH",
        "0.10000000",
        "0.10000000",
        r.order.order_id,
    )
    assert locked(e, "alice", "BTC") == 0


def test_self_trade_prevention_expire_taker_and_none() -> None:
    e = make()
    maker = e.place_order("alice", limit("SELL", "0.1", "60000.01"), 10).order
    r = e.place_order(
        "alice", limit("BUY", "0.1", "60000.02", self_trade_prevention_mode="EXPIRE_TAKER"), 20
    )
    assert (r.order.status, r.fills) == ("EXPIRED_IN_MATCH", [])
    assert e.get_order("alice", SYMBOL, maker.order_id, None).status == "NEW"
    r = e.place_order(
        "alice", limit("BUY", "0.1", "60000.01", self_trade_prevention_mode="NONE"), 30
    )
    assert r.order.status == "FILLED"
    assert e.get_order("alice", SYMBOL, maker.order_id, None).status == "FILLED"


def test_other_symbols_keep_their_own_order_ids() -> None:
    eth = SymbolSpec("ETHUSDT", "ETH", "USDT", D("3000"))
    e = make(extra_symbols=[eth])
    e.place_order("alice", limit("BUY", "0.01", "59000"), 10)
    r = e.place_order(
        "alice",
        NewOrder(
            "ETHUSDT", "BUY", "LIMIT", time_in_force="GTC", quantity=D("0.01"), price=D("2900")
        ),
        10,
    )
    assert r.order.order_id == 1


def test_self_trade_prevention_expire_both() -> None:
    e = make()
    maker = e.place_order("alice", limit("SELL", "0.1", "60000.01"), 10).order
    reports(e)
    r = e.place_order(
        "alice", limit("BUY", "0.3", "60000.02", self_trade_prevention_mode="EXPIRE_BOTH"), 20
    )
    assert (r.order.status, r.fills) == ("EXPIRED_IN_MATCH", [])
    assert e.get_order("alice", SYMBOL, maker.order_id, None).status == "EXPIRED_IN_MATCH"
    reps = reports(e)
    assert [(x["i"], x["x"], x["X"]) for x in reps] == [
        (r.order.order_id, "NEW", "NEW"),
        (maker.order_id, "TRADE_PREVENTION", "EXPIRED_IN_MATCH"),
        (r.order.order_id, "TRADE_PREVENTION", "EXPIRED_IN_MATCH"),
    ]
    assert reps[1]["v"] == reps[2]["v"]  # one prevented match
    assert reps[2]["A"] == "0.30000000"
    assert locked(e, "alice", "USDT") == 0 and locked(e, "alice", "BTC") == 0


def test_an_order_copy_has_every_field_and_is_its_own_record() -> None:
    """SimOrder copies itself field by field (copy.copy's generic way was slow per order): a
    field added to the record and not to its copy fails here."""
    import copy
    import dataclasses

    from tradeguard.sim.records import SimOrder

    values = {f.name: f"v{i}" for i, f in enumerate(dataclasses.fields(SimOrder))}
    original = SimOrder(**values)  # type: ignore[arg-type]
    copied = copy.copy(original)
    assert copied is not original
    assert dataclasses.asdict(copied) == values
    copied.status = "FILLED"
    assert original.status == values["status"]
