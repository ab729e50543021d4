"""The user stream's executionReports, and driving fills by hand with control_fill."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradeguard.sim import wire
from tradeguard.sim.engine import Engine
from tradeguard.sim.records import NewOrder
from tradeguard.sim.rejects import Reject

from .scenario import SYMBOL, D, limit, make, market, reports, stop

FIELDS = list("eEscSofqpPFgCxXrilzLnNTtIwmMOZYQWV")


def test_execution_report_has_binances_field_set_in_order() -> None:
    e = make()
    e.place_order("alice", limit("BUY", "0.1", "59000", new_client_order_id="abc"), 10)
    (rep,) = reports(e)
    assert list(rep) == FIELDS
    assert rep["e"] == "executionReport"
    assert (rep["s"], rep["c"], rep["S"], rep["o"], rep["f"]) == (
        SYMBOL,
        "abc",
        "BUY",
        "LIMIT",
        "GTC",
    )
    assert (rep["q"], rep["p"], rep["P"], rep["F"], rep["g"], rep["C"]) == (
        "0.10000000",
        "59000.00000000",
        "0.00000000",
        "0.00000000",
        -1,
        "",
    )
    assert (rep["x"], rep["X"], rep["r"], rep["i"], rep["t"]) == ("NEW", "NEW", "NONE", 1, -1)
    assert (rep["n"], rep["N"], rep["w"], rep["m"], rep["M"]) == ("0", None, True, False, False)
    assert (rep["O"], rep["T"], rep["E"], rep["W"], rep["V"]) == (10, 10, 10, 10, "EXPIRE_MAKER")


def test_new_partially_filled_filled_sequence_is_consistent() -> None:
    e = make()
    o = e.place_order("alice", limit("BUY", "0.3", "59000"), 10).order
    e.control_fill(SYMBOL, o.order_id, None, D("0.1"), None, 20)
    e.control_fill(SYMBOL, o.order_id, None, D("0.15"), D("58990"), 30)
    e.control_fill(SYMBOL, None, o.client_order_id, D("0.05"), None, 40)
    reps = reports(e, "alice")
    assert [(r["x"], r["X"]) for r in reps] == [
        ("NEW", "NEW"),
        ("TRADE", "PARTIALLY_FILLED"),
        ("TRADE", "PARTIALLY_FILLED"),
        ("TRADE", "FILLED"),
    ]
    cum_qty = cum_quote = Decimal(0)
    for r in reps[1:]:
        last_qty, last_price = Decimal(r["l"]), Decimal(r["L"])
        cum_qty += last_qty
        cum_quote += last_qty * last_price
        assert Decimal(r["z"]) == cum_qty
        assert Decimal(r["Z"]) == cum_quote
        assert Decimal(r["Y"]) == last_qty * last_price
        assert r["m"] is True and r["N"] == "BTC"
        assert Decimal(r["n"]) == last_qty * D("0.001")
    assert [r["L"] for r in reps[1:]] == ["59000.00000000", "58990.00000000", "59000.00000000"]
    assert [r["w"] for r in reps] == [True, True, True, False]
    exec_ids = [r["I"] for r in reps]
    assert exec_ids == sorted(exec_ids) and len(set(exec_ids)) == 4
    trade_ids = [r["t"] for r in reps[1:]]
    assert len(set(trade_ids)) == 3
    assert [r["T"] for r in reps] == [10, 20, 30, 40]


def test_control_fill_returns_the_orders_trade() -> None:
    e = make()
    o = e.place_order("alice", limit("SELL", "0.3", "61000"), 10).order
    (trade,) = e.control_fill(SYMBOL, o.order_id, None, D("0.1"), D("61005"), 20)
    assert (trade.order_id, trade.qty, trade.price, trade.is_maker) == (
        o.order_id,
        D("0.1"),
        D("61005"),
        True,
    )
    assert e.get_order("alice", SYMBOL, o.order_id, None).status == "PARTIALLY_FILLED"
    e.control_fill(SYMBOL, o.order_id, None, D("0.2"), None, 30)
    assert e.get_order("alice", SYMBOL, o.order_id, None).status == "FILLED"
    assert e.open_orders("alice", SYMBOL) == []


def test_control_fill_refusals() -> None:
    e = make()
    o = e.place_order("alice", limit("BUY", "0.3", "59000"), 10).order
    waiting = e.place_order("alice", stop("STOP_LOSS", "SELL", "0.1", "58000"), 10).order
    with pytest.raises(Reject) as err:
        e.control_fill(SYMBOL, 999, None, D("0.1"), None, 20)
    assert (err.value.code, err.value.msg) == (-2013, "Order does not exist.")
    with pytest.raises(Reject) as err:
        e.control_fill(SYMBOL, o.order_id, None, D("0.31"), None, 20)
    assert err.value.code == -1013 and "remaining quantity 0.3" in err.value.msg
    with pytest.raises(Reject) as err:
        e.control_fill(SYMBOL, o.order_id, None, D("0.1"), D("59001"), 20)
    assert err.value.code == -1013 and "worse" in err.value.msg
    with pytest.raises(Reject) as err:
        e.control_fill(SYMBOL, waiting.order_id, None, D("0.1"), None, 20)
    assert err.value.code == -2011
    e.cancel_order("alice", SYMBOL, o.order_id, None, None, 30)
    with pytest.raises(Reject) as err:
        e.control_fill(SYMBOL, o.order_id, None, D("0.1"), None, 40)
    assert err.value.code == -2011 and "CANCELED" in err.value.msg


def test_control_fill_through_iceberg_parts() -> None:
    e = make()
    o = e.place_order("alice", limit("BUY", "0.3", "59000", iceberg_qty=D("0.1")), 10).order
    e.control_fill(SYMBOL, o.order_id, None, D("0.15"), None, 20)
    _, bids, _ = e.depth(SYMBOL, 100)
    assert (D("59000"), D("0.1")) in bids  # a fresh part of 0.1 is shown
    e.control_fill(SYMBOL, o.order_id, None, D("0.15"), None, 30)
    assert e.get_order("alice", SYMBOL, o.order_id, None).status == "FILLED"


def test_market_and_ioc_expiry_reports() -> None:
    e = make()
    e.place_order("alice", limit("BUY", "0.5", "60000.02", tif="IOC"), 10)
    reps = reports(e)
    assert [(r["x"], r["X"]) for r in reps] == [
        ("NEW", "NEW"),
        ("TRADE", "PARTIALLY_FILLED"),
        ("EXPIRED", "EXPIRED"),
    ]
    assert reps[-1]["z"] == reps[1]["z"]
    e.place_order("alice", market("SELL", "0.01"), 20)
    reps = reports(e)
    assert [(r["x"], r["X"], r["w"]) for r in reps] == [
        ("NEW", "NEW", False),
        ("TRADE", "FILLED", False),
    ]


def test_strategy_ids_are_reported() -> None:
    e = make()
    e.place_order(
        "alice",
        NewOrder(
            SYMBOL,
            "BUY",
            "LIMIT",
            time_in_force="GTC",
            quantity=D("0.1"),
            price=D("59000"),
            strategy_id=7,
            strategy_type=1000000,
        ),
        10,
    )
    (rep,) = reports(e)
    assert (rep["j"], rep["J"]) == (7, 1000000)


def test_order_replies_follow_the_response_type() -> None:
    e = make()
    ack = e.place_order("alice", market("BUY", "0.01", new_order_resp_type="ACK"), 10)
    assert set(wire.order_reply(ack)) == {
        "symbol",
        "orderId",
        "orderListId",
        "clientOrderId",
        "transactTime",
    }
    result = e.place_order("alice", market("BUY", "0.01", new_order_resp_type="RESULT"), 10)
    body = wire.order_reply(result)
    assert "fills" not in body and body["status"] == "FILLED"
    full = wire.order_reply(e.place_order("alice", market("BUY", "0.01"), 10))
    assert full["fills"][0]["commissionAsset"] == "BTC"
    assert full["executedQty"] == "0.01000000"
    stop_reply = e.place_order("alice", stop("STOP_LOSS", "SELL", "0.01", "59000"), 10)
    assert stop_reply.resp_type == "ACK"
    assert wire.order_json(stop_reply.order)["isWorking"] is False


def test_symbol_json_has_every_exchange_info_field() -> None:
    e = make()
    body = wire.symbol_json(e.symbols[SYMBOL])
    for name in (
        "symbol",
        "status",
        "baseAsset",
        "baseAssetPrecision",
        "quoteAsset",
        "quotePrecision",
        "quoteAssetPrecision",
        "baseCommissionPrecision",
        "quoteCommissionPrecision",
        "orderTypes",
        "icebergAllowed",
        "ocoAllowed",
        "otoAllowed",
        "quoteOrderQtyMarketAllowed",
        "allowTrailingStop",
        "cancelReplaceAllowed",
        "isSpotTradingAllowed",
        "isMarginTradingAllowed",
        "filters",
        "permissions",
        "permissionSets",
        "defaultSelfTradePreventionMode",
        "allowedSelfTradePreventionModes",
    ):
        assert name in body
    kinds = [f["filterType"] for f in body["filters"]]
    assert kinds == [
        "PRICE_FILTER",
        "LOT_SIZE",
        "ICEBERG_PARTS",
        "MARKET_LOT_SIZE",
        "TRAILING_DELTA",
        "NOTIONAL",
        "MAX_NUM_ORDERS",
        "MAX_NUM_ALGO_ORDERS",
    ]
    assert body["filters"][0] == {
        "filterType": "PRICE_FILTER",
        "minPrice": "0.01000000",
        "maxPrice": "1000000.00000000",
        "tickSize": "0.01000000",
    }
    assert body["permissionSets"] == [["SPOT"]]


def test_control_fill_returns_its_own_trade_even_when_it_sets_off_a_stop() -> None:
    e = make()
    o = e.place_order("alice", limit("SELL", "0.1", "60500"), 10).order
    e.place_order("alice", stop("STOP_LOSS", "BUY", "0.1", "60400"), 10)
    (trade,) = e.control_fill(SYMBOL, o.order_id, None, D("0.1"), None, 20)
    assert trade.order_id == o.order_id and trade.price == D("60500")
    assert len(e.my_trades("alice", SYMBOL)) == 2  # the stop bought at the synthetic ask


def test_an_engine_builds_user_events_only_for_the_accounts_heard() -> None:
    """The simulator has only the accounts someone listens to get user events built: theirs
    are the very events an engine that builds them all queues (the same exec ids), the
    others' are not queued at all, and the engine's state is the same."""
    from .test_engine_stops import sell_oco

    def run(engine: Engine) -> tuple[list[tuple[str, dict[str, object]]], list[object]]:
        engine.place_order("bob", limit("SELL", "0.1", "60000.01"), 10)
        engine.place_order("alice", market("BUY", "0.3"), 11)  # takes bob's order first
        engine.place_oco("bob", sell_oco(), 12)
        engine.place_oco("alice", sell_oco(), 13)
        engine.place_order("alice", limit("BUY", "0.1", "59000", new_client_order_id="a"), 14)
        engine.cancel_order("alice", SYMBOL, None, "a", None, 15)
        engine.set_balance("bob", "USDT", D("5"), 16)
        engine.set_balance("alice", "USDT", D("7"), 17)
        engine.set_price(SYMBOL, D("58950"), 18)  # both OCOs' stop legs trigger and fill
        events = [(ev.account, ev.payload) for ev in engine.drain_user_events(triggers=True)]
        state = [engine.balances(who) for who in ("alice", "bob")]
        state += [engine.all_orders(who, SYMBOL, None, None, None, 100) for who in ("alice", "bob")]
        return events, state

    every, every_state = run(make())
    heard = make()
    heard.build_user_events_for(lambda account: account == "alice")
    only_alice, heard_state = run(heard)
    assert {account for account, _ in every} == {"alice", "bob"}
    assert only_alice == [(account, ev) for account, ev in every if account == "alice"]
    assert heard_state == every_state
