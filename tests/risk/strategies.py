"""Hypothesis strategies: symbol filters like the simulator's, and intents around them."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from tradeguard.model import OrderIntent, OrderType, Side, TimeInForce
from tradeguard.sim.records import SymbolSpec

from .builders import BTC, D, spec


@st.composite
def specs(draw: st.DrawFn) -> SymbolSpec:
    tick = draw(st.sampled_from([D("0.01"), D("0.5"), D("1"), D("0.00001")]))
    step = draw(st.sampled_from([D("0.00001"), D("0.001"), D("0.1")]))
    return spec(
        tick_size=tick,
        min_price=draw(st.sampled_from([tick, D(0), tick * 3])),
        max_price=draw(st.sampled_from([D("1000000"), D("100000"), D(0)])),
        step_size=step,
        min_qty=draw(st.sampled_from([step, step * 7])),
        max_qty=draw(st.sampled_from([D("9000"), D("5")])),
        market_min_qty=draw(st.sampled_from([D(0), step * 2])),
        market_max_qty=draw(st.sampled_from([D("100"), D("1"), D(0)])),
        market_step_size=draw(st.sampled_from([D(0), step, step * 10])),
        min_notional=draw(st.sampled_from([D(5), D(0), D(100)])),
        max_notional=draw(st.sampled_from([D("9000000"), D("1000"), D(0)])),
        apply_min_to_market=draw(st.booleans()),
        apply_max_to_market=draw(st.booleans()),
        iceberg_parts=draw(st.sampled_from([10, 2])),
    )


def _near(unit: Decimal, lo: int, hi: int) -> st.SearchStrategy[Decimal]:
    """Values on a grid of `unit`, sometimes nudged off it by a smaller amount."""
    return st.builds(
        lambda k, nudge: unit * k + nudge,
        st.integers(lo, hi),
        st.sampled_from([D(0), D(0), D("0.000001"), D("0.003"), D("0.3"), D("-0.000001")]),
    )


prices = st.one_of(
    _near(D("0.01"), 1, 20_000_000),
    _near(D("1"), 50_000, 70_000),
    st.sampled_from([D(0), D(-1), D("60000"), D("59999.999"), D("1e7")]),
)
qtys = st.one_of(
    _near(D("0.00001"), 0, 300_000),
    _near(D("0.001"), 0, 20_000),
    st.sampled_from([D(0), D("-0.01"), D("0.00000001"), D("10000")]),
)


near_prices = _near(D("0.01"), 5_000_000, 7_000_000)  # 50000..70000, around the last price
small_qtys = _near(D("0.00001"), 1, 50_000)  # up to 0.5


def _maybe(draw: st.DrawFn, wanted: bool, values: st.SearchStrategy[Decimal]) -> Decimal | None:
    """Mostly what the type wants (present or absent), sometimes the other way round."""
    if draw(st.integers(0, 24)) == 0:
        wanted = not wanted
    return draw(values) if wanted else None


@st.composite
def intents(draw: st.DrawFn, s: SymbolSpec | None = None) -> OrderIntent:
    """Mostly well-shaped intents of every type with values near (and off) the grids; now and
    then a missing or extra parameter, a wild value or a contradicting option."""
    kind = draw(st.sampled_from(list(OrderType)))
    side = draw(st.sampled_from(list(Side)))
    wild = s is None or draw(st.integers(0, 4)) == 0
    if s is None:
        price_values, qty_values = prices, qtys
    else:
        tick, step = s.tick_size, s.step_size
        price_values = st.builds(
            lambda k, n: tick * k + n,
            st.integers(int(D(50000) / tick), int(D(70000) / tick)),
            st.sampled_from([D(0), D(0), D(0), tick / 3]),
        )
        qty_values = st.builds(
            lambda k, n: s.min_qty + step * k + n,
            st.integers(0, int(D("0.05") / step) + 3),
            st.sampled_from([D(0), D(0), D(0), step / 3]),
        )
        if wild:
            price_values, qty_values = prices, qtys
    stop_type = kind in (
        OrderType.STOP_LOSS,
        OrderType.STOP_LOSS_LIMIT,
        OrderType.TAKE_PROFIT,
        OrderType.TAKE_PROFIT_LIMIT,
    )
    by_quote = kind is OrderType.MARKET and draw(st.booleans())
    trailing = stop_type and draw(st.integers(0, 3)) == 0
    limit_type = kind in (
        OrderType.LIMIT,
        OrderType.LIMIT_MAKER,
        OrderType.STOP_LOSS_LIMIT,
        OrderType.TAKE_PROFIT_LIMIT,
    )
    needs_tif = kind in (OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)
    tif = draw(st.sampled_from(list(TimeInForce))) if needs_tif else None
    if draw(st.integers(0, 24)) == 0:
        tif = draw(st.none() | st.sampled_from(list(TimeInForce)))
    iceberg = None
    if kind in (OrderType.LIMIT, OrderType.LIMIT_MAKER) and draw(st.integers(0, 3)) == 0:
        iceberg = draw(small_qtys)
    elif draw(st.integers(0, 30)) == 0:
        iceberg = draw(qtys)
    return OrderIntent(
        client_order_id="agree-1",
        symbol=BTC,
        side=side,
        type=kind,
        qty=_maybe(draw, not by_quote, qty_values),
        quote_qty=_maybe(draw, by_quote, qty_values.map(lambda q: q * 1000)),
        price=_maybe(draw, limit_type, price_values),
        time_in_force=tif,
        stop_price=_maybe(draw, stop_type and not trailing, price_values),
        trailing_delta=(
            draw(st.integers(0, 2500)) if trailing or draw(st.integers(0, 30)) == 0 else None
        ),
        iceberg_qty=iceberg,
        post_only=draw(st.integers(0, 7)) == 0,
    )
