"""Stop-loss, take-profit and trailing triggers, and OCO order lists."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tradeguard.sim.engine import Engine
from tradeguard.sim.records import NewOco
from tradeguard.sim.rejects import Reject

from .scenario import SYMBOL, D, free, limit, locked, make, market, reports, stop


def status(e: Engine, order_id: int, account: str = "alice") -> str:
    return e.get_order(account, SYMBOL, order_id, None).status


@pytest.mark.parametrize(
    ("type_", "side", "stop_price", "quiet", "trigger"),
    [
        ("STOP_LOSS", "SELL", "59000", "59001", "59000"),
        ("STOP_LOSS", "BUY", "61000", "60999", "61000"),
        ("TAKE_PROFIT", "SELL", "61000", "60999", "61000"),
        ("TAKE_PROFIT", "BUY", "59000", "59001", "59000"),
    ],
)
def test_stop_market_orders_trigger_at_their_stop_price(
    type_: str, side: str, stop_price: str, quiet: str, trigger: str
) -> None:
    e = make()
    o = e.place_order("alice", stop(type_, side, "0.1", stop_price), 10).order
    e.set_price(SYMBOL, D(quiet), 20)
    assert status(e, o.order_id) == "NEW"
    e.set_price(SYMBOL, D(trigger), 30)
    got = e.get_order("alice", SYMBOL, o.order_id, None)
    assert (got.status, got.is_working, got.working_time) == ("FILLED", True, 30)
    assert got.executed_qty == D("0.1")
    assert locked(e, "alice", "USDT") == 0
    assert locked(e, "alice", "BTC") == 0


def test_stop_limit_becomes_a_limit_order_that_rests_when_it_cannot_trade() -> None:
    e = make()
    o = e.place_order(
        "alice", stop("STOP_LOSS_LIMIT", "SELL", "0.1", "59000", price="59500"), 10
    ).order
    e.set_price(SYMBOL, D("58999"), 20)
    got = e.get_order("alice", SYMBOL, o.order_id, None)
    assert (got.status, got.is_working, got.working_time) == ("NEW", True, 20)
    _, _, asks = e.depth(SYMBOL, 100)
    assert (D("59500"), D("0.1")) in asks
    e.set_price(SYMBOL, D("59600"), 30)
    assert status(e, o.order_id) == "FILLED"


def test_stop_limit_that_crosses_on_trigger_trades_at_once() -> None:
    e = make()
    o = e.place_order(
        "alice", stop("TAKE_PROFIT_LIMIT", "SELL", "0.1", "61000", price="60900"), 10
    ).order
    e.set_price(SYMBOL, D("61000"), 20)
    assert status(e, o.order_id) == "FILLED"
    (trade,) = e.my_trades("alice", SYMBOL)
    assert trade.price == D("60999.98") and not trade.is_maker


def test_a_trade_can_trigger_a_stop() -> None:
    e = make()
    o = e.place_order("bob", stop("STOP_LOSS", "BUY", "0.1", "60000.05"), 10).order
    e.place_order("alice", market("BUY", "0.5"), 20)  # prints 60000.07
    assert status(e, o.order_id, "bob") == "FILLED"


def test_stop_market_buy_tops_up_its_lock_when_the_price_ran_away() -> None:
    e = make(balances={"a": {"USDT": D("10000")}})
    o = e.place_order("a", stop("STOP_LOSS", "BUY", "0.1", "61000"), 10).order
    assert locked(e, "a", "USDT") == D("6100")
    e.set_price(SYMBOL, D("70000"), 20)
    got = e.get_order("a", SYMBOL, o.order_id, None)
    assert got.status == "FILLED"
    assert got.cummulative_quote_qty > D("6100")
    assert free(e, "a", "USDT") == D("10000") - got.cummulative_quote_qty
    assert locked(e, "a", "USDT") == 0


def test_stop_market_buy_buys_only_what_the_balance_pays_for() -> None:
    e = make(balances={"a": {"USDT": D("6100")}})
    o = e.place_order("a", stop("STOP_LOSS", "BUY", "0.1", "61000"), 10).order
    e.set_price(SYMBOL, D("70000"), 20)
    got = e.get_order("a", SYMBOL, o.order_id, None)
    assert got.status == "EXPIRED"
    assert 0 < got.executed_qty < D("0.1")
    assert free(e, "a", "USDT") >= 0
    assert locked(e, "a", "USDT") == 0


def test_trailing_stop_sell_without_stop_price_tracks_the_high() -> None:
    e = make()
    r = e.place_order("alice", stop("STOP_LOSS", "SELL", "0.1", trailing_delta=100), 10)
    assert r.order.trailing_time == 10  # tracking from placement
    e.set_price(SYMBOL, D("61000"), 20)  # new high
    e.set_price(SYMBOL, D("60400"), 30)  # 0.98% down: not yet
    assert status(e, r.order.order_id) == "NEW"
    e.set_price(SYMBOL, D("60390"), 40)  # 1% below 61000
    assert status(e, r.order.order_id) == "FILLED"


def test_trailing_stop_buy_tracks_the_low() -> None:
    e = make()
    r = e.place_order("alice", stop("STOP_LOSS", "BUY", "0.1", trailing_delta=100), 10)
    e.set_price(SYMBOL, D("59000"), 20)
    e.set_price(SYMBOL, D("59589"), 30)
    assert status(e, r.order.order_id) == "NEW"
    e.set_price(SYMBOL, D("59590"), 40)  # 1% above 59000
    assert status(e, r.order.order_id) == "FILLED"


def test_trailing_take_profit_with_an_activation_price() -> None:
    e = make()
    r = e.place_order("alice", stop("TAKE_PROFIT", "SELL", "0.1", "61000", trailing_delta=100), 10)
    assert r.order.trailing_time is None  # not tracking yet
    e.set_price(SYMBOL, D("60500"), 20)
    e.set_price(SYMBOL, D("59000"), 30)  # a fall before activation is ignored
    assert status(e, r.order.order_id) == "NEW"
    e.set_price(SYMBOL, D("61000"), 40)  # activates, tracking from 61000
    assert e.get_order("alice", SYMBOL, r.order.order_id, None).trailing_time == 40
    e.set_price(SYMBOL, D("61500"), 50)
    e.set_price(SYMBOL, D("60886"), 60)
    assert status(e, r.order.order_id) == "NEW"
    e.set_price(SYMBOL, D("60885"), 70)  # 1% below 61500
    assert status(e, r.order.order_id) == "FILLED"


def test_trailing_stop_reports_carry_the_trailing_fields() -> None:
    e = make()
    e.place_order("alice", stop("STOP_LOSS", "SELL", "0.1", trailing_delta=250), 10)
    (new,) = reports(e)
    assert (new["d"], new["D"], new["w"], new["W"]) == (250, 10, False, -1)


def test_stops_trigger_on_the_random_walk_as_time_passes() -> None:
    e = make(vol="20", seed=3)
    below = e.place_order("alice", stop("STOP_LOSS", "SELL", "0.1", "59700"), 10).order
    above = e.place_order("alice", stop("TAKE_PROFIT", "SELL", "0.1", "60300"), 10).order
    e.advance(3_600_000)
    done = [e.get_order("alice", SYMBOL, o.order_id, None) for o in (below, above)]
    assert any(o.status == "FILLED" for o in done)
    for o in done:
        if o.status == "FILLED":
            assert o.working_time % 1000 == 0 and o.working_time > 10


# ── OCO ─────────────────────────────────────────────────────────────────────────────────────
def sell_oco(**kw: Any) -> NewOco:
    base: dict[str, Any] = {
        "symbol": SYMBOL,
        "side": "SELL",
        "quantity": D("0.5"),
        "above_type": "LIMIT_MAKER",
        "above_price": D("61000"),
        "below_type": "STOP_LOSS_LIMIT",
        "below_stop_price": D("59000"),
        "below_price": D("58900"),
        "below_time_in_force": "GTC",
    }
    base.update(kw)
    return NewOco(**base)


def test_oco_places_two_legs_sharing_one_list_and_one_lock() -> None:
    e = make()
    above, below = e.place_oco("alice", sell_oco(list_client_order_id="my-list"), 10)
    assert above.order.type == "LIMIT_MAKER" and below.order.type == "STOP_LOSS_LIMIT"
    assert above.order.order_list_id == below.order.order_list_id == 0
    assert e.list_client_order_id(SYMBOL, 0) == "my-list"
    assert locked(e, "alice", "BTC") == D("0.5")  # once, not per leg
    events = [ev.payload for ev in e.drain_user_events()]
    assert [p["e"] for p in events] == [
        "executionReport",
        "executionReport",
        "listStatus",
        "outboundAccountPosition",
    ]
    assert events[0]["g"] == events[1]["g"] == 0
    assert events[2]["l"] == "EXEC_STARTED" and events[2]["C"] == "my-list"
    assert e.book_ticker(SYMBOL)[2] == D("60000.02")


def test_oco_stop_leg_triggering_expires_the_limit_leg() -> None:
    e = make()
    above, below = e.place_oco("alice", sell_oco(), 10)
    reports(e)
    e.set_price(SYMBOL, D("58999"), 20)
    assert status(e, above.order.order_id) == "EXPIRED"
    assert status(e, below.order.order_id) == "FILLED"
    reps = reports(e)
    assert (reps[0]["i"], reps[0]["x"], reps[0]["X"]) == (
        above.order.order_id,
        "EXPIRED",
        "EXPIRED",
    )
    assert free(e, "alice", "BTC") == D("1.5")
    assert locked(e, "alice", "BTC") == 0
    _, _, asks = e.depth(SYMBOL, 100)
    assert all(price != D("61000") for price, _ in asks)


def test_oco_limit_leg_fill_expires_the_stop_leg() -> None:
    e = make()
    above, below = e.place_oco("alice", sell_oco(), 10)
    e.control_fill(SYMBOL, above.order.order_id, None, D("0.2"), None, 20)
    assert status(e, below.order.order_id) == "EXPIRED"
    assert status(e, above.order.order_id) == "PARTIALLY_FILLED"
    assert locked(e, "alice", "BTC") == D("0.3")
    e.set_price(SYMBOL, D("58000"), 30)  # the expired stop no longer triggers
    assert status(e, below.order.order_id) == "EXPIRED"


def test_cancelling_one_leg_cancels_the_list() -> None:
    e = make()
    above, below = e.place_oco("alice", sell_oco(), 10)
    e.cancel_order("alice", SYMBOL, below.order.order_id, None, None, 20)
    assert status(e, above.order.order_id) == status(e, below.order.order_id) == "CANCELED"
    assert locked(e, "alice", "BTC") == 0
    with pytest.raises(Reject):
        e.cancel_order_list("alice", SYMBOL, 0, None, 30)


def test_cancel_order_list() -> None:
    e = make()
    e.place_oco("alice", sell_oco(list_client_order_id="L1"), 10)
    out = e.cancel_order_list("alice", SYMBOL, None, "L1", 20)
    assert [o.status for o in out] == ["CANCELED", "CANCELED"]
    assert locked(e, "alice", "BTC") == 0
    client_id, legs = e.order_list("alice", SYMBOL, 0, None)
    assert client_id == "L1" and [o.status for o in legs] == ["CANCELED", "CANCELED"]


def test_buy_oco_locks_the_larger_leg_once() -> None:
    e = make()
    oco = NewOco(
        symbol=SYMBOL,
        side="BUY",
        quantity=D("0.1"),
        above_type="STOP_LOSS_LIMIT",
        above_stop_price=D("61000"),
        above_price=D("61100"),
        above_time_in_force="GTC",
        below_type="LIMIT_MAKER",
        below_price=D("59000"),
    )
    above, below = e.place_oco("alice", oco, 10)
    assert locked(e, "alice", "USDT") == D("6110")
    e.set_price(SYMBOL, D("58000"), 20)  # the limit-maker below is crossed and fills
    assert status(e, below.order.order_id) == "FILLED"
    assert status(e, above.order.order_id) == "EXPIRED"
    assert locked(e, "alice", "USDT") == 0
    assert free(e, "alice", "USDT") == D("100000") - D("5900")


def test_oco_with_a_trailing_take_profit_leg() -> None:
    e = make()
    above, below = e.place_oco(
        "alice",
        sell_oco(
            above_type="TAKE_PROFIT",
            above_price=None,
            above_stop_price=D("61000"),
            above_trailing_delta=100,
        ),
        10,
    )
    e.set_price(SYMBOL, D("61000"), 20)
    e.set_price(SYMBOL, D("62000"), 30)
    e.set_price(SYMBOL, D("61380"), 40)
    assert status(e, above.order.order_id) == "FILLED"
    assert status(e, below.order.order_id) == "EXPIRED"


@pytest.mark.parametrize(
    ("kw", "code", "msg"),
    [
        ({"above_type": "LIMIT"}, -1158, "Order type not supported in OCO."),
        (
            {"below_type": "LIMIT_MAKER", "below_price": D("59000"), "below_stop_price": None},
            -1168,
            "At least one OCO order must be contingent.",
        ),
        (
            {"above_type": "STOP_LOSS", "above_stop_price": D("61000"), "above_price": None},
            -1197,
            "A stop loss order in a sell OCO must be below.",
        ),
        (
            {
                "above_type": "TAKE_PROFIT",
                "above_price": None,
                "above_stop_price": D("61000"),
                "below_type": "LIMIT_MAKER",
                "below_price": D("59000"),
                "below_stop_price": None,
                "below_time_in_force": None,
            },
            -1166,
            "A limit order in a sell OCO must be above.",
        ),
        (
            {"above_price": None},
            -1102,
            "Mandatory parameter 'abovePrice' was not sent, was empty/null, or malformed.",
        ),
        (
            {"below_time_in_force": None},
            -1102,
            "Mandatory parameter 'belowTimeInForce' was not sent, was empty/null, or malformed.",
        ),
        (
            {"above_time_in_force": "GTC"},
            -1106,
            "Parameter 'aboveTimeInForce' sent when not required.",
        ),
        (
            {"above_price": D("59999")},
            -2010,
            "The relationship of the prices for the orders is not correct.",
        ),
        (
            {"below_stop_price": D("60001")},
            -2010,
            "The relationship of the prices for the orders is not correct.",
        ),
        ({"quantity": D("3")}, -2010, "Account has insufficient balance for requested action."),
        ({"above_price": D("61000.001")}, -1013, "Filter failure: PRICE_FILTER"),
    ],
)
def test_oco_rejections(kw: dict[str, Any], code: int, msg: str) -> None:
    e = make()
    with pytest.raises(Reject) as err:
        e.place_oco("alice", sell_oco(**kw), 10)
    assert (err.value.code, err.value.msg) == (code, msg)
    assert e.open_orders("alice", SYMBOL) == []
    assert locked(e, "alice", "BTC") == Decimal(0)


def test_buy_oco_leg_direction_rules() -> None:
    e = make()
    with pytest.raises(Reject) as err:
        e.place_oco(
            "alice",
            NewOco(
                symbol=SYMBOL,
                side="BUY",
                quantity=D("0.1"),
                above_type="LIMIT_MAKER",
                above_price=D("61000"),
                below_type="STOP_LOSS",
                below_stop_price=D("59000"),
            ),
            10,
        )
    assert err.value.code in (-1165, -1196)


def test_limit_order_placed_after_oco_is_independent() -> None:
    e = make()
    e.place_oco("alice", sell_oco(), 10)
    o = e.place_order("alice", limit("SELL", "0.1", "62000"), 20).order
    e.set_price(SYMBOL, D("58999"), 30)
    assert status(e, o.order_id) == "NEW"
