"""validate(): every check, its message, all reasons at once, and rounding only when asked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
import pytest

from tradeguard.errors import RiskDenied
from tradeguard.model import OrderIntent, OrderType, Side, TimeInForce
from tradeguard.symbol_rules import SymbolRules
from tradeguard.validate import OrderRefused, RoundMode, check_options, validate
from tradeguard.venues.binance.rules import to_new_order, wire_type

from .builders import LAST, RULES, D, intent

BUY, SELL = Side.BUY, Side.SELL


def ok(i: OrderIntent, rules: SymbolRules = RULES, **kw: Any) -> OrderIntent:
    args: dict[str, Any] = {
        "last_price": LAST,
        "open_orders": 0,
        "open_algo_orders": 0,
        "price_band_pct": None,
    }
    args.update(kw)
    return validate(i, rules, **args)


def refused(i: OrderIntent, rules: SymbolRules = RULES, **kw: Any) -> OrderRefused:
    with pytest.raises(OrderRefused) as err:
        ok(i, rules, **kw)
    return err.value


def test_a_valid_intent_comes_back_as_the_same_object() -> None:
    i = intent()
    assert ok(i) is i
    assert ok(i, round=RoundMode.SAFE) is i


def test_off_tick_price_says_which_filter_and_what_to_do() -> None:
    err = refused(intent(price="60000.123"))
    assert isinstance(err, RiskDenied)
    assert err.checks == ("PRICE_FILTER",)
    assert err.reasons == (
        "PRICE_FILTER: price 60000.123 is not a multiple of tick size 0.01; use 60000.12 "
        "(BUY price rounds down) or pass round='safe'",
    )


def test_every_failure_is_reported_not_only_the_first() -> None:
    err = refused(intent(qty="0.0100001", price="60000.123"), open_orders=200)
    assert err.checks == ("PRICE_FILTER", "LOT_SIZE", "MAX_NUM_ORDERS")
    assert len(err.reasons) == 3


@pytest.mark.parametrize(
    ("side", "price", "rounded"),
    [(BUY, "60000.129", "60000.12"), (SELL, "60000.121", "60000.13")],
)
def test_limit_price_rounds_away_from_risk(side: Side, price: str, rounded: str) -> None:
    out = ok(intent(side=side, price=price), round=RoundMode.SAFE)
    assert out.price == D(rounded)


def test_quantity_rounds_down() -> None:
    assert ok(intent(qty="0.0123456"), round="safe").qty == D("0.01234")


@pytest.mark.parametrize(
    ("kind", "side", "stop", "rounded"),
    [
        # triggers when the price rises to the stop: round up (never earlier)
        (OrderType.STOP_LOSS, BUY, "61000.001", "61000.01"),
        (OrderType.TAKE_PROFIT, SELL, "61000.001", "61000.01"),
        # triggers when the price falls to the stop: round down (never earlier)
        (OrderType.STOP_LOSS, SELL, "59000.009", "59000"),
        (OrderType.TAKE_PROFIT, BUY, "59000.009", "59000"),
    ],
)
def test_stop_price_rounds_so_it_never_triggers_earlier(
    kind: OrderType, side: Side, stop: str, rounded: str
) -> None:
    i = intent(kind, side, price=None, tif=None, stop_price=D(stop))
    assert ok(i, round=RoundMode.SAFE).stop_price == D(rounded)
    assert refused(i).checks == ("PRICE_FILTER",)


def test_out_of_range_values_are_never_rounded_into_range() -> None:
    err = refused(intent(qty="0.000001"), round=RoundMode.SAFE)
    assert err.checks == ("LOT_SIZE", "NOTIONAL")
    assert "below the minimum 0.00001" in err.reasons[0]
    err = refused(intent(price="2000000"), round=RoundMode.SAFE)
    assert err.checks == ("PRICE_FILTER",)


def test_rounding_that_makes_the_notional_too_small_refuses() -> None:
    # 0.0000899 rounds down to 0.00008: 4.72 USDT < 5 minimum.
    err = refused(intent(qty="0.0000899"), round=RoundMode.SAFE)
    assert err.checks == ("NOTIONAL",)


@pytest.mark.parametrize(
    ("kw", "check"),
    [
        ({"tif": None}, "PARAMS"),
        ({"price": None}, "PARAMS"),
        ({"qty": None}, "PARAMS"),
        ({"stop_price": D("1")}, "PARAMS"),
        ({"trailing_delta": 100}, "PARAMS"),
        ({"quote_qty": D("100")}, "PARAMS"),
    ],
)
def test_request_shape(kw: dict[str, Any], check: str) -> None:
    assert check in refused(intent(**kw)).checks


def test_market_orders() -> None:
    by_qty = intent(OrderType.MARKET, price=None, tif=None)
    assert ok(by_qty) is by_qty
    assert refused(by_qty, last_price=None).checks == ("NOTIONAL",)
    by_quote = intent(OrderType.MARKET, qty=None, price=None, tif=None, quote_qty=D("100.5"))
    assert ok(by_quote) is by_quote
    both = intent(OrderType.MARKET, price=None, tif=None, quote_qty=D("100"))
    assert refused(both).checks == ("PARAMS",)
    too_fine = msgspec.structs.replace(by_quote, quote_qty=D("100.123456789"))
    assert refused(too_fine).checks == ("PRECISION",)
    assert ok(too_fine, round=RoundMode.SAFE).quote_qty == D("100.12345678")
    big = intent(OrderType.MARKET, qty="150", price=None, tif=None)
    assert refused(big).checks == ("MARKET_LOT_SIZE",)


def test_post_only_is_a_limit_maker_and_only_for_limit_orders() -> None:
    i = intent(post_only=True)
    assert wire_type(i) is OrderType.LIMIT_MAKER
    assert ok(i) is i
    assert to_new_order(i).time_in_force is None  # LIMIT_MAKER carries no timeInForce
    assert refused(intent(post_only=True, tif=TimeInForce.IOC)).checks == ("UNSUPPORTED",)
    stop = intent(
        OrderType.STOP_LOSS_LIMIT, SELL, stop_price=D("59100"), price="59000", post_only=True
    )
    err = refused(stop)
    assert err.checks == ("UNSUPPORTED",)
    assert "post_only applies only to LIMIT orders" in err.reasons[0]


def test_options_spot_lacks_are_refused_with_what_to_do() -> None:
    with pytest.raises(OrderRefused) as err:
        check_options({"reduce_only": True, "hidden": True})
    assert err.value.checks == ("UNSUPPORTED", "UNSUPPORTED")
    assert "no reduce-only orders" in err.value.reasons[0]
    assert "use iceberg_qty" in err.value.reasons[1]
    check_options({"reduce_only": False, "hidden": None})
    with pytest.raises(OrderRefused, match="stop_price: a limit order takes no stop_price"):
        check_options({"stop_price": D("1")}, "a limit order")  # a stop's, never dropped
    with pytest.raises(OrderRefused, match="knows no order option 'fill_or_kill'"):
        check_options({"fill_or_kill": True})


def test_iceberg() -> None:
    assert ok(intent(qty="0.1", iceberg_qty=D("0.02"))).iceberg_qty == D("0.02")
    assert refused(intent(qty="0.1", iceberg_qty=D("0.005"))).checks == ("ICEBERG_PARTS",)
    assert refused(intent(qty="0.1", iceberg_qty=D("0.1"))).checks == ("ICEBERG",)
    ioc = intent(qty="0.1", iceberg_qty=D("0.02"), tif=TimeInForce.IOC)
    assert refused(ioc).checks == ("ICEBERG",)
    market = intent(OrderType.MARKET, price=None, tif=None, iceberg_qty=D("0.001"))
    assert "PARAMS" in refused(market).checks


def test_trailing_delta_bounds() -> None:
    base = intent(OrderType.STOP_LOSS, SELL, price=None, tif=None)
    assert ok(msgspec.structs.replace(base, trailing_delta=100)).trailing_delta == 100
    err = refused(msgspec.structs.replace(base, trailing_delta=5))
    assert err.checks == ("TRAILING_DELTA",)
    no_trailing = msgspec.structs.replace(RULES, trailing_allowed=False)
    err = refused(msgspec.structs.replace(base, trailing_delta=100), no_trailing)
    assert err.checks == ("NOT_ALLOWED",)


def test_a_stop_that_would_trigger_at_once() -> None:
    i = intent(OrderType.STOP_LOSS, SELL, price=None, tif=None, stop_price=D("60500"))
    err = refused(i)
    assert err.checks == ("WOULD_TRIGGER",)
    assert "already at or above" not in err.reasons[0]
    assert "at or below" in err.reasons[0]


def test_open_order_caps() -> None:
    assert refused(intent(), open_orders=200).checks == ("MAX_NUM_ORDERS",)
    stop = intent(OrderType.STOP_LOSS, SELL, price=None, tif=None, stop_price=D("59000"))
    assert refused(stop, open_algo_orders=5).checks == ("MAX_NUM_ALGO_ORDERS",)
    assert ok(intent(), open_algo_orders=5).qty == D("0.01")


def test_price_band_against_last_price_and_stop_price() -> None:
    far = intent(price="66000")
    err = refused(far, price_band_pct=D(5))
    assert err.checks == ("PRICE_BAND",)
    assert "10.00% above the last price 60000" in err.reasons[0]
    assert ok(far, price_band_pct=D(11)) is far
    assert refused(far, price_band_pct=D(5), last_price=None).checks == ("PRICE_BAND",)
    stop_limit = intent(
        OrderType.STOP_LOSS_LIMIT, SELL, stop_price=D("50000"), price="49900"
    )  # 17% from last, 0.2% from its stop: fine
    assert ok(stop_limit, price_band_pct=D(5)) is stop_limit


def test_percent_price_by_side() -> None:
    rules = msgspec.structs.replace(
        RULES,
        bid_multiplier_up=D("1.05"),
        bid_multiplier_down=D("0.2"),
        ask_multiplier_up=D("5"),
        ask_multiplier_down=D("0.95"),
    )
    assert refused(intent(price="63001"), rules).checks == ("PERCENT_PRICE_BY_SIDE",)
    assert refused(intent(side=SELL, price="56999"), rules).checks == ("PERCENT_PRICE_BY_SIDE",)
    i = intent(side=SELL, price="63001")
    assert ok(i, rules) is i


def test_market_state_and_the_wrong_rules() -> None:
    halted = msgspec.structs.replace(RULES, status="HALT")
    assert refused(intent(), halted).checks == ("MARKET_CLOSED",)
    other = msgspec.structs.replace(RULES, base_asset="ETH", symbol="ETHUSDT")
    assert refused(intent(), other).checks == ("SYMBOL",)
    no_types = msgspec.structs.replace(RULES, order_types=frozenset({"LIMIT", "MARKET"}))
    assert refused(intent(post_only=True), no_types).checks == ("ORDER_TYPE",)


def test_decimal_edge_values() -> None:
    for bad in ("0", "-1"):
        assert refused(intent(price=bad)).checks[0] == "PRICE_FILTER"
        assert refused(intent(qty=bad)).checks[0] == "LOT_SIZE"
    # Trailing zeros and exponents are the same number.
    i = intent(qty="1.0000E-2", price="6.000000E+4")
    assert ok(i) is i
    assert Decimal("60000.12") == ok(intent(price="60000.129"), round=RoundMode.SAFE).price
