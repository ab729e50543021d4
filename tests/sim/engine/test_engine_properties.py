"""Properties over random call sequences: determinism, and the books always balance."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeguard.sim.engine import Engine
from tradeguard.sim.records import NewOco, NewOrder
from tradeguard.sim.rejects import Reject

from .scenario import SYMBOL, D, make

ACCOUNTS = ("alice", "bob")
START = {"USDT": D("100000"), "BTC": D("2")}
UNIT = D("0.001")

accounts = st.sampled_from(ACCOUNTS)
sides = st.sampled_from(("BUY", "SELL"))
ops = st.one_of(
    st.tuples(
        st.just("limit"),
        accounts,
        sides,
        st.integers(1, 60),
        st.integers(-40, 40),
        st.sampled_from(("GTC", "GTC", "IOC", "FOK")),
        st.sampled_from((0, 0, 0, 2, 3)),
    ),
    st.tuples(st.just("maker"), accounts, sides, st.integers(1, 60), st.integers(1, 40)),
    st.tuples(st.just("market"), accounts, sides, st.integers(1, 40)),
    st.tuples(st.just("quote"), accounts, sides, st.integers(10, 3000)),
    st.tuples(
        st.just("stop"),
        accounts,
        sides,
        st.sampled_from(("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")),
        st.integers(1, 30),
        st.integers(1, 200),
        st.sampled_from((None, None, 50, 200)),
    ),
    st.tuples(st.just("oco"), accounts, sides, st.integers(1, 30), st.integers(5, 200)),
    st.tuples(st.just("cancel"), accounts, st.integers(0, 30)),
    st.tuples(st.just("cancel_all"), accounts),
    st.tuples(st.just("fill"), st.integers(0, 30), st.integers(1, 4)),
    st.tuples(st.just("advance"), st.integers(0, 20_000)),
    st.tuples(st.just("price"), st.integers(-300, 300)),
)


class Run:
    """Applies ops to one engine, keeping the clock and every outcome."""

    def __init__(self, seed: int) -> None:
        self.e = make(
            vol="5",
            flow="500",
            seed=seed,
            balances={a: dict(START) for a in ACCOUNTS},
        )
        self.now = 0
        self.outcomes: list[Any] = []

    def _price(self, offset: int) -> Decimal:
        return self.e.last_price(SYMBOL) + offset

    def apply(self, op: tuple[Any, ...]) -> None:
        self.now += 1
        e, now, kind = self.e, self.now, op[0]
        try:
            if kind == "limit":
                _, acct, side, units, offset, tif, ice = op
                ice = ice if tif == "GTC" else 0  # icebergs are GTC only
                order = NewOrder(
                    SYMBOL,
                    side,
                    "LIMIT",
                    time_in_force=tif,
                    quantity=units * UNIT,
                    price=self._price(offset),
                    iceberg_qty=(units * UNIT / ice).quantize(D("0.00001")) if ice else None,
                )
                out: Any = e.place_order(acct, order, now).order.status
            elif kind == "maker":
                _, acct, side, units, offset = op
                price = self._price(-offset if side == "BUY" else offset)
                order = NewOrder(SYMBOL, side, "LIMIT_MAKER", quantity=units * UNIT, price=price)
                out = e.place_order(acct, order, now).order.status
            elif kind == "market":
                _, acct, side, units = op
                order = NewOrder(SYMBOL, side, "MARKET", quantity=units * UNIT)
                out = e.place_order(acct, order, now).order.status
            elif kind == "quote":
                _, acct, side, quote = op
                order = NewOrder(SYMBOL, side, "MARKET", quote_order_qty=D(quote))
                out = e.place_order(acct, order, now).order.executed_qty
            elif kind == "stop":
                _, acct, side, type_, units, offset, trailing = op
                up = (type_.startswith("STOP_LOSS")) == (side == "BUY")
                stop_price = self._price(offset if up else -offset)
                limit_type = type_.endswith("LIMIT")
                order = NewOrder(
                    SYMBOL,
                    side,
                    type_,
                    quantity=units * UNIT,
                    stop_price=stop_price if trailing is None else None,
                    trailing_delta=trailing,
                    price=stop_price if limit_type else None,
                    time_in_force="GTC" if limit_type else None,
                )
                out = e.place_order(acct, order, now).order.order_id
            elif kind == "oco":
                _, acct, side, units, offset = op
                last = self.e.last_price(SYMBOL)
                if side == "SELL":
                    oco = NewOco(
                        SYMBOL,
                        side,
                        units * UNIT,
                        "LIMIT_MAKER",
                        "STOP_LOSS",
                        above_price=last + offset,
                        below_stop_price=last - offset,
                    )
                else:
                    oco = NewOco(
                        SYMBOL,
                        side,
                        units * UNIT,
                        "STOP_LOSS",
                        "LIMIT_MAKER",
                        above_stop_price=last + offset,
                        below_price=last - offset,
                    )
                out = [r.order.order_id for r in e.place_oco(acct, oco, now)]
            elif kind == "cancel":
                _, acct, index = op
                mine = e.all_orders(acct, SYMBOL)
                target = mine[index % len(mine)].order_id if mine else 1
                out = e.cancel_order(acct, SYMBOL, target, None, None, now).status
            elif kind == "cancel_all":
                out = len(e.cancel_open_orders(op[1], SYMBOL, now))
            elif kind == "fill":
                _, index, parts = op
                resting = [o for a in ACCOUNTS for o in e.open_orders(a, SYMBOL) if o.is_working]
                if not resting:
                    out = None
                else:
                    o = resting[index % len(resting)]
                    qty = ((o.orig_qty - o.executed_qty) / parts).quantize(D("0.00001"))
                    out = [t.id for t in e.control_fill(SYMBOL, o.order_id, None, qty, None, now)]
            elif kind == "advance":
                self.now += op[1]
                e.advance(self.now)
                out = e.last_price(SYMBOL)
            else:
                e.set_price(SYMBOL, self._price(op[1]), now)
                out = e.last_price(SYMBOL)
        except Reject as err:
            out = (err.code, err.msg)
        self.outcomes.append(out)


def check_invariants(e: Engine) -> None:
    trade_ids: Counter[int] = Counter()
    for acct in ACCOUNTS:
        held = e.balances(acct)
        expected = dict(START)
        for t in e.my_trades(acct, SYMBOL, limit=10**9):
            sign = 1 if t.is_buyer else -1
            expected["BTC"] += sign * t.qty
            expected["USDT"] -= sign * t.quote_qty
            expected[t.commission_asset] -= t.commission
            trade_ids[t.id] += 1
        for asset, amount in expected.items():
            b = held[asset]
            assert b.free >= 0 and b.locked >= 0, (acct, asset, b)
            assert b.free + b.locked == amount, (acct, asset, b, amount)
        orders = e.all_orders(acct, SYMBOL, limit=10**9)
        for o in orders:
            assert 0 <= o.executed_qty <= o.orig_qty
            if o.status == "FILLED":
                assert o.executed_qty == o.orig_qty
            elif o.orig_qty > 0:
                assert o.executed_qty < o.orig_qty, o
        if not e.open_orders(acct, SYMBOL):
            assert held["USDT"].locked == 0 and held["BTC"].locked == 0
    # a trade id names one match: at most one record per side
    assert all(n <= 2 for n in trade_ids.values())


SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(st.lists(ops, max_size=40), st.integers(0, 3))
def test_same_seed_and_calls_give_identical_streams(steps: list[Any], seed: int) -> None:
    a, b = Run(seed), Run(seed)
    for op in steps:
        a.apply(op)
        b.apply(op)
    assert a.outcomes == b.outcomes
    assert a.e.drain_user_events() == b.e.drain_user_events()
    assert a.e.drain_market_events() == b.e.drain_market_events()
    assert a.e.depth(SYMBOL, 50) == b.e.depth(SYMBOL, 50)


@SETTINGS
@given(st.lists(ops, max_size=40), st.integers(0, 3))
def test_balances_always_add_up(steps: list[Any], seed: int) -> None:
    run = Run(seed)
    for op in steps:
        run.apply(op)
        check_invariants(run.e)
