"""Every request-shape error and every filter failure, with Binance's exact code and text."""

from __future__ import annotations

from typing import Any

import pytest

from tradeguard.sim.engine import Engine
from tradeguard.sim.records import NewOrder
from tradeguard.sim.rejects import Reject

from .scenario import SYMBOL, D, limit, make, market, stop


def reject_of(e: Engine, order: NewOrder, account: str = "alice") -> tuple[int, str]:
    with pytest.raises(Reject) as err:
        e.place_order(account, order, 10)
    return err.value.code, err.value.msg


def order(type_: str, side: str = "BUY", **kw: Any) -> NewOrder:
    return NewOrder(SYMBOL, side, type_, **kw)


Q = D("0.01")
P = D("59000")


@pytest.mark.parametrize(
    ("new", "name"),
    [
        (order("LIMIT", quantity=Q, price=P), "timeInForce"),
        (order("LIMIT", time_in_force="GTC", price=P), "quantity"),
        (order("LIMIT", time_in_force="GTC", quantity=Q), "price"),
        (order("LIMIT_MAKER", quantity=Q), "price"),
        (order("STOP_LOSS", stop_price=P), "quantity"),
        (order("STOP_LOSS_LIMIT", quantity=Q, price=P, stop_price=P), "timeInForce"),
        (order("TAKE_PROFIT_LIMIT", time_in_force="GTC", quantity=Q, stop_price=P), "price"),
    ],
)
def test_missing_mandatory_parameter(new: NewOrder, name: str) -> None:
    assert reject_of(make(), new) == (
        -1102,
        f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.",
    )


def test_market_needs_quantity_or_quote_order_qty() -> None:
    assert reject_of(make(), order("MARKET")) == (
        -1102,
        "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
    )


def test_stop_needs_stop_price_or_trailing_delta() -> None:
    assert reject_of(make(), order("STOP_LOSS", quantity=Q)) == (
        -1102,
        "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!",
    )


@pytest.mark.parametrize(
    ("new", "name"),
    [
        (order("MARKET", quantity=Q, time_in_force="GTC"), "timeInForce"),
        (order("MARKET", quantity=Q, price=P), "price"),
        (order("MARKET", quantity=Q, quote_order_qty=D("100")), "quantity"),
        (order("MARKET", quantity=Q, stop_price=P), "stopPrice"),
        (order("LIMIT", time_in_force="GTC", quantity=Q, price=P, stop_price=P), "stopPrice"),
        (
            order("LIMIT", time_in_force="GTC", quantity=Q, price=P, trailing_delta=100),
            ("trailingDelta"),
        ),
        (
            order("LIMIT", time_in_force="GTC", quantity=Q, price=P, quote_order_qty=Q),
            ("quoteOrderQty"),
        ),
        (order("LIMIT_MAKER", time_in_force="GTC", quantity=Q, price=P), "timeInForce"),
        (order("STOP_LOSS", "SELL", quantity=Q, stop_price=P, price=P), "price"),
        (order("STOP_LOSS", "SELL", quantity=Q, stop_price=P, iceberg_qty=Q), "icebergQty"),
    ],
)
def test_parameter_not_allowed_for_the_type(new: NewOrder, name: str) -> None:
    assert reject_of(make(), new) == (-1106, f"Parameter '{name}' sent when not required.")


def test_unknown_symbol_type_side_and_tif() -> None:
    e = make()
    assert reject_of(e, NewOrder("NOPE", "BUY", "MARKET", quantity=Q)) == (-1121, "Invalid symbol.")
    assert reject_of(e, order("ICEBERG", quantity=Q)) == (-1116, "Invalid orderType.")
    assert reject_of(e, NewOrder(SYMBOL, "HOLD", "MARKET", quantity=Q)) == (-1117, "Invalid side.")
    assert reject_of(e, limit("BUY", "0.01", "59000", tif="GTD")) == (-1115, "Invalid timeInForce.")


def test_type_not_enabled_on_the_symbol() -> None:
    e = make(order_types=("LIMIT", "MARKET"))
    assert reject_of(e, stop("STOP_LOSS", "SELL", "0.01", "59000")) == (
        -1116,
        "Invalid orderType.",
    )


def test_stp_mode_not_allowed() -> None:
    e = make()
    new = limit("BUY", "0.01", "59000", self_trade_prevention_mode="DECREMENT")
    assert reject_of(e, new) == (
        -1013,
        "This symbol does not allow the specified self-trade prevention mode.",
    )


def test_strategy_type_below_one_million() -> None:
    new = limit("BUY", "0.01", "59000", strategy_type=999_999)
    assert reject_of(make(), new) == (-1134, "strategyType was less than 1000000.")


@pytest.mark.parametrize(
    ("new", "spec_kw", "failure"),
    [
        (limit("BUY", "0.01", "0.001"), {}, "PRICE_FILTER"),
        (limit("BUY", "0.01", "2000000"), {}, "PRICE_FILTER"),
        (limit("BUY", "0.01", "59000.005"), {}, "PRICE_FILTER"),
        (stop("STOP_LOSS", "SELL", "0.01", "59000.001"), {}, "PRICE_FILTER"),
        (limit("BUY", "0.000001", "59000"), {}, "LOT_SIZE"),
        (limit("BUY", "9001", "59000"), {}, "LOT_SIZE"),
        (limit("BUY", "0.010001", "59000"), {}, "LOT_SIZE"),
        (limit("BUY", "0.01", "59000", iceberg_qty=D("0.000001")), {}, "LOT_SIZE"),
        (market("BUY", "101"), {}, "MARKET_LOT_SIZE"),
        (market("BUY", "0.01"), {"market_min_qty": D("0.1")}, "MARKET_LOT_SIZE"),
        (market("BUY", "0.15"), {"market_step_size": D("0.1")}, "MARKET_LOT_SIZE"),
        (limit("BUY", "0.00001", "59000"), {}, "NOTIONAL"),
        (limit("BUY", "200", "59000"), {"max_notional": D("1000000")}, "NOTIONAL"),
        (market("BUY", "0.00001"), {}, "NOTIONAL"),
        (market("BUY", quote="1"), {}, "NOTIONAL"),
        (market("BUY", "1"), {"max_notional": D("1000"), "apply_max_to_market": True}, "NOTIONAL"),
        (limit("BUY", "1", "59000", iceberg_qty=D("0.01")), {}, "ICEBERG_PARTS"),
        (
            stop("STOP_LOSS", "SELL", "0.01", trailing_delta=5),
            {},
            "TRAILING_DELTA",
        ),
        (
            stop("TAKE_PROFIT", "SELL", "0.01", trailing_delta=2001),
            {},
            "TRAILING_DELTA",
        ),
    ],
)
def test_filter_failures(new: NewOrder, spec_kw: dict[str, Any], failure: str) -> None:
    assert reject_of(make(**spec_kw), new) == (-1013, f"Filter failure: {failure}")


def test_market_notional_is_not_checked_unless_apply_to_market() -> None:
    e = make(apply_min_to_market=False)
    assert e.place_order("alice", market("BUY", "0.00001"), 10).order.status == "FILLED"


def test_market_lot_step_zero_uses_the_lot_size_step() -> None:
    e = make()  # market_step_size 0
    assert reject_of(e, market("BUY", "0.010001"))[1] == "Filter failure: LOT_SIZE"
    assert e.place_order("alice", market("BUY", "0.01001"), 10).order.status == "FILLED"


def test_max_num_orders_counts_open_orders_per_symbol_and_account() -> None:
    e = make(max_num_orders=2)
    e.place_order("alice", limit("BUY", "0.01", "59000"), 10)
    e.place_order("alice", stop("STOP_LOSS", "SELL", "0.01", "59000"), 10)
    assert reject_of(e, limit("BUY", "0.01", "59000")) == (-1013, "Filter failure: MAX_NUM_ORDERS")
    e.place_order("bob", limit("BUY", "0.01", "59000"), 10)  # another account is not counted
    e.cancel_open_orders("alice", SYMBOL, 10)
    e.place_order("alice", limit("BUY", "0.01", "59000"), 10)


def test_max_num_algo_orders() -> None:
    e = make()
    for _ in range(5):
        e.place_order("alice", stop("STOP_LOSS", "SELL", "0.01", "59000"), 10)
    assert reject_of(e, stop("TAKE_PROFIT", "SELL", "0.01", "61000")) == (
        -1013,
        "Filter failure: MAX_NUM_ALGO_ORDERS",
    )


@pytest.mark.parametrize(
    "new",
    [
        limit("BUY", "2", "59000"),  # 118000 USDT > 100000
        limit("SELL", "2.1", "61000"),
        market("BUY", "1.7"),
        market("BUY", quote="100001"),
        market("SELL", "2.00001"),
        stop("STOP_LOSS", "SELL", "2.1", "59000"),
        stop("STOP_LOSS", "BUY", "2", "61000"),
    ],
)
def test_insufficient_balance(new: NewOrder) -> None:
    assert reject_of(make(), new) == (
        -2010,
        "Account has insufficient balance for requested action.",
    )


def test_unknown_account_has_no_balance() -> None:
    assert reject_of(make(), limit("BUY", "0.01", "59000"), account="nobody")[0] == -2010


def test_market_closed() -> None:
    e = make(status="HALT")
    assert reject_of(e, limit("BUY", "0.01", "59000")) == (-2010, "Market is closed.")
