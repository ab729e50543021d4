"""check(): each limit, all reasons at once, read-only and the kill switch absolute; and
Hypothesis: check() denies iff a limit is crossed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeguard.errors import ConfigError, RiskDenied, TradingHalted
from tradeguard.model import OrderIntent, OrderType, Side, Symbol
from tradeguard.risk import (
    ALLOW,
    Allow,
    Deny,
    Exposure,
    RiskLimits,
    check,
    order_notional,
)

from .builders import BTC, LAST, D, intent

NOW = 1_767_225_600_000
ETH = Symbol("ETH", "USDT")
LIMITS = RiskLimits(max_order_notional=D(1000), max_position={BTC: D("0.05")})


def reasons(result: Allow | Deny) -> list[str]:
    assert isinstance(result, Deny), result
    return [r.split(":")[0] for r in result.reasons]


def run(i: OrderIntent | None = None, limits: RiskLimits = LIMITS, **kw: Any) -> Allow | Deny:
    last = kw.pop("last_price", LAST)
    now = kw.pop("now_ms", NOW)
    return check(i or intent(), Exposure(**kw), limits, now, last)


def test_defaults_are_small_and_allow_a_small_order() -> None:
    d = RiskLimits()
    assert d.max_order_notional == D(100) and d.max_open_orders == 10
    assert d.daily_loss == D(50) and d.drawdown_from_peak == D(100)
    assert run(intent(qty="0.001"), d) is ALLOW
    assert reasons(run(intent(qty="0.01"), d)) == ["MAX_ORDER_NOTIONAL"]  # 590 > 100


def test_limits_must_be_positive_or_off() -> None:
    with pytest.raises(ConfigError, match="daily_loss"):
        RiskLimits(daily_loss=D(0))
    with pytest.raises(ConfigError, match=r"max_position\[BTC/USDT\]"):
        RiskLimits(max_position={BTC: D(-1)})
    off = RiskLimits.off()
    assert run(intent(qty="100", price="1"), off, recent_orders_ms=[NOW] * 1000) is ALLOW


def test_read_only_refuses_every_order() -> None:
    result = run(read_only=True)
    assert reasons(result) == ["READ_ONLY"]
    assert isinstance(result, Deny) and not result.halted
    assert isinstance(result.error(), RiskDenied)
    assert "whatever the key allows" in result.reasons[0]


def test_kill_switch_halts_and_every_other_reason_is_kept() -> None:
    result = run(intent(qty="1"), kill_switch=True, kill_reason="daily loss", open_orders=10)
    assert reasons(result) == [
        "KILL_SWITCH",
        "MAX_ORDER_NOTIONAL",
        "MAX_POSITION",
        "MAX_OPEN_ORDERS",
    ]
    assert isinstance(result, Deny) and result.halted
    err = result.error()
    assert isinstance(err, TradingHalted)
    assert "tradeguard kill --reset" in str(err) and "daily loss" in str(err)


def test_notional_is_measured_on_the_side_that_risks_more() -> None:
    assert order_notional(intent(qty="1", price="59000"), LAST) == D(59000)  # buy pays <= limit
    sell = intent(side=Side.SELL, qty="1", price="59000")
    assert order_notional(sell, LAST) == D(60000)  # a sell can fill at the market
    mkt = intent(OrderType.MARKET, qty="1", price=None, tif=None)
    assert order_notional(mkt, None) is None
    assert reasons(run(mkt, last_price=None)) == ["MAX_ORDER_NOTIONAL", "MAX_POSITION"]
    assert "pass last_price" in run(mkt, last_price=None).reasons[0]  # type: ignore[union-attr]
    by_quote = intent(OrderType.MARKET, qty=None, price=None, tif=None, quote_qty=D(999))
    assert run(by_quote) is ALLOW


def test_position_cap_counts_open_orders_and_lets_a_position_shrink() -> None:
    assert run(intent(qty="0.01"), positions={BTC: D("0.04")}) is ALLOW
    assert reasons(run(intent(qty="0.011"), positions={BTC: D("0.04")})) == ["MAX_POSITION"]
    pending = run(intent(qty="0.01"), positions={BTC: D("0.04")}, open_buy_qty={BTC: D("0.001")})
    assert reasons(pending) == ["MAX_POSITION"]
    over = {BTC: D("0.08")}
    assert run(intent(side=Side.SELL, qty="0.01", price="60000"), positions=over) is ALLOW
    assert reasons(run(intent(qty="0.001"), positions=over)) == ["MAX_POSITION"]
    # A symbol with no cap of its own and no default has none.
    eth = intent(symbol=ETH, qty="0.3", price="3000")
    assert run(eth, last_price=D(3000)) is ALLOW
    capped = RiskLimits(max_order_notional=None, max_position_default=D("0.1"))
    assert reasons(run(eth, capped, last_price=D(3000))) == ["MAX_POSITION"]


def test_order_rate_is_a_sliding_minute() -> None:
    limits = RiskLimits(max_orders_per_minute=3)
    inside = [NOW - 59_999, NOW - 1000, NOW]
    assert reasons(run(intent(qty="0.001"), limits, recent_orders_ms=inside)) == [
        "MAX_ORDERS_PER_MINUTE"
    ]
    aged = [NOW - 60_000, NOW - 1000, NOW]
    assert run(intent(qty="0.001"), limits, recent_orders_ms=aged) is ALLOW


def test_loss_limits() -> None:
    assert reasons(run(pnl_today=D(-50))) == ["DAILY_LOSS"]
    assert run(pnl_today=D("-49.99")) is ALLOW
    assert reasons(run(equity=D(10), equity_peak=D(110))) == ["DRAWDOWN"]
    assert run(equity=D(10), equity_peak=D("109.99")) is ALLOW


def test_price_band() -> None:
    assert reasons(run(intent(price="63001"))) == ["PRICE_BAND"]
    assert run(intent(price="63000")) is ALLOW


# ── the property: denied iff some limit is crossed, with one reason per crossed limit ──

money = st.decimals(min_value=-500, max_value=500, places=2)


@st.composite
def cases(draw: st.DrawFn) -> tuple[OrderIntent, Exposure, RiskLimits, Decimal | None]:
    side = draw(st.sampled_from(list(Side)))
    kind = draw(st.sampled_from([OrderType.LIMIT, OrderType.MARKET, OrderType.STOP_LOSS]))
    qty = draw(st.decimals(min_value="0.0001", max_value="0.2", places=4))
    price = draw(st.decimals(min_value=50000, max_value=70000, places=2))
    i = OrderIntent(
        client_order_id="p",
        symbol=BTC,
        side=side,
        type=kind,
        qty=qty,
        price=price if kind is OrderType.LIMIT else None,
        stop_price=price if kind is OrderType.STOP_LOSS else None,
    )
    opt = st.none() | st.none()
    limits = RiskLimits(
        max_order_notional=draw(opt | st.decimals(min_value=1, max_value=20000, places=0)),
        max_position=draw(
            st.just({}) | st.decimals("0.01", "0.5", places=2).map(lambda c: {BTC: c})
        ),
        max_open_orders=draw(opt | st.integers(1, 20)),
        max_orders_per_minute=draw(opt | st.integers(1, 20)),
        price_band_pct=draw(opt | st.decimals(min_value="0.5", max_value=20, places=1)),
        daily_loss=draw(opt | st.decimals(min_value=1, max_value=300, places=0)),
        drawdown_from_peak=draw(opt | st.decimals(min_value=1, max_value=300, places=0)),
    )
    equity = draw(money)
    exposure = Exposure(
        positions={BTC: draw(st.decimals("-0.3", "0.3", places=3))},
        open_orders=draw(st.integers(0, 25)),
        open_buy_qty={BTC: draw(st.decimals(0, "0.1", places=3))},
        open_sell_qty={BTC: draw(st.decimals(0, "0.1", places=3))},
        recent_orders_ms=sorted(draw(st.lists(st.integers(NOW - 120_000, NOW), max_size=25))),
        pnl_today=draw(money),
        equity=equity,
        equity_peak=equity + draw(st.decimals(0, 400, places=2)),
        kill_switch=draw(st.booleans()),
        read_only=draw(st.booleans()),
    )
    last = draw(st.none() | st.decimals(min_value=50000, max_value=70000, places=2))
    return i, exposure, limits, last


def crossed(i: OrderIntent, x: Exposure, lim: RiskLimits, last: Decimal | None) -> list[str]:
    """The limits crossed, worked out the plain way."""
    out = []
    if x.read_only:
        out.append("READ_ONLY")
    if x.kill_switch:
        out.append("KILL_SWITCH")
    assert i.qty is not None
    if lim.max_order_notional is not None:
        prices = [p for p in (i.price, i.stop_price, last) if p is not None]
        if i.side is Side.BUY and i.price is not None:
            prices = [i.price]
        if not prices or i.qty * max(prices) > lim.max_order_notional:
            out.append("MAX_ORDER_NOTIONAL")
    cap = lim.max_position.get(BTC)
    if cap is not None:
        now = x.positions[BTC]
        after = (
            now + x.open_buy_qty[BTC] + i.qty
            if i.side is Side.BUY
            else now - x.open_sell_qty[BTC] - i.qty
        )
        if abs(after) > cap and abs(after) > abs(now):
            out.append("MAX_POSITION")
    if lim.max_open_orders is not None and x.open_orders + 1 > lim.max_open_orders:
        out.append("MAX_OPEN_ORDERS")
    if lim.max_orders_per_minute is not None:
        recent = [t for t in x.recent_orders_ms if NOW - 60_000 < t <= NOW]
        if len(recent) + 1 > lim.max_orders_per_minute:
            out.append("MAX_ORDERS_PER_MINUTE")
    band = lim.price_band_pct
    if (
        band is not None
        and i.price is not None
        and (last is None or abs(i.price / last - 1) * 100 > band)
    ):
        out.append("PRICE_BAND")
    if lim.daily_loss is not None and -x.pnl_today >= lim.daily_loss:
        out.append("DAILY_LOSS")
    if lim.drawdown_from_peak is not None and x.equity_peak - x.equity >= lim.drawdown_from_peak:
        out.append("DRAWDOWN")
    return out


@settings(max_examples=2000, deadline=None)
@given(cases())
def test_check_denies_iff_a_limit_is_crossed(
    case: tuple[OrderIntent, Exposure, RiskLimits, Decimal | None],
) -> None:
    i, x, lim, last = case
    expected = crossed(i, x, lim, last)
    result = check(i, x, lim, NOW, last)
    if not expected:
        assert result is ALLOW
    else:
        assert reasons(result) == expected
        assert isinstance(result, Deny) and result.halted == x.kill_switch
