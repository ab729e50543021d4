from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeguard import events as ev
from tradeguard.errors import InvalidTransition
from tradeguard.journal import codec
from tradeguard.journal.replay import Ledger, State, fold
from tradeguard.model import Balance, Side
from tradeguard.model import OrderStatus as S

from . import workload
from .factories import T0, fill, intent, update
from .strategies import sessions


def live(events: list[ev.EventBase]) -> tuple[State, list[State]]:
    ledger = Ledger()
    after: list[State] = []
    for event in events:
        ledger.apply(event)
        after.append(ledger.state())
    return ledger.state(), after


@settings(max_examples=150, deadline=None)
@given(sessions(), st.data())
def test_replay_equals_the_state_built_live(
    events: list[ev.EventBase], data: st.DataObject
) -> None:
    final, after = live(events)
    decoded = [codec.decode(codec.encode(e), i) for i, e in enumerate(events, 1)]
    assert fold(decoded) == final
    if events:
        k = data.draw(st.integers(0, len(events) - 1))
        cut = events[k].at_ms
        last = max(i for i, e in enumerate(events) if e.at_ms <= cut)
        assert fold(decoded, until_ms=cut) == after[last]
    assert fold(decoded, until_ms=T0 - 10**9) == State()


def test_positions_and_balances_from_fills_with_commission() -> None:
    events = [
        intent("b", qty="2", side=Side.BUY),
        update(S.NEW, "b", order_id=1),
        # bought 1 BTC at 100, paid 0.001 BTC commission
        fill(1, "1", coid="b", order_id=1, commission="0.001", commission_asset="BTC"),
        # bought 1 BTC at 110, paid 0.11 USDT commission
        fill(2, "1", coid="b", order_id=1, price="110", commission="0.11", commission_asset="USDT"),
        intent("s", qty="1", side=Side.SELL),
        update(S.NEW, "s", order_id=2),
        # sold 0.5 BTC at 120, paid 0.02 BNB
        fill(
            3,
            "0.5",
            coid="s",
            order_id=2,
            price="120",
            side=Side.SELL,
            commission="0.02",
            commission_asset="BNB",
        ),
    ]
    state = fold(events)
    pos = state.positions["BTCUSDT"]
    assert pos.qty == Decimal("1.499") and pos.fills == 3
    assert pos.quote == Decimal("-100") - Decimal("110") - Decimal("0.11") + Decimal("60")
    assert state.balances["BTC"] == Balance("BTC", Decimal("1.499"), Decimal(0))
    assert state.balances["USDT"].free == pos.quote
    assert state.balances["BNB"].free == Decimal("-0.02")
    assert state.orders["b"].status is S.FILLED and state.orders["s"].is_open


def test_a_balance_report_replaces_and_later_fills_move_it() -> None:
    report = ev.BalanceChanged(
        at_ms=T0,
        profile="t",
        balances=(
            Balance("BTC", Decimal("5"), Decimal("1")),
            Balance("USDT", Decimal("1000"), Decimal(0)),
        ),
    )
    events = [
        intent(qty="2"),
        update(S.NEW),
        fill(1, "1"),
        report,
        fill(2, "0.5", commission="0.1", commission_asset="USDT"),
    ]
    state = fold(events)
    assert state.balances["BTC"] == Balance("BTC", Decimal("5.5"), Decimal("1"))
    assert state.balances["USDT"] == Balance("USDT", Decimal("949.9"), Decimal(0))


def _report(exchange_ms: int | None, **free: str) -> ev.BalanceChanged:
    balances = tuple(Balance(a, Decimal(f), Decimal(0)) for a, f in free.items())
    return ev.BalanceChanged(at_ms=T0 + 5, profile="t", exchange_ms=exchange_ms, balances=balances)


def test_balance_reports_are_taken_by_the_exchange_update_time_not_arrival() -> None:
    """Reordered by the stream: the newer report first, then the fill it already counted,
    then an older report. Per asset, the newest report wins and the fill is not counted twice;
    a fill the newest report had not seen yet still moves the balance."""
    events = [
        intent(qty="2"),
        update(S.NEW),
        _report(T0 + 30, BTC="6", USDT="900"),  # counts the fill of T0 + 20 below
        fill(1, "1", at_ms=T0 + 21),  # exchange_ms T0 + 20: in the report already
        _report(T0 + 10, BTC="5", USDT="1000", BNB="3"),  # older: only BNB is news
        fill(2, "0.5", at_ms=T0 + 41, commission="0.1", commission_asset="USDT"),  # newer
    ]
    state = fold(events)
    assert state.balances["BTC"].free == Decimal("6.5")
    assert state.balances["USDT"].free == Decimal("900") - Decimal("50") - Decimal("0.1")
    assert state.balances["BNB"].free == Decimal("3")
    ledger = Ledger()
    for event in events:
        ledger.apply_new(event)
    assert ledger.state() == state  # the live path folds the same way


def test_a_balance_report_without_an_exchange_time_is_always_taken() -> None:
    """A REST snapshot (reconciliation) carries no update time: it replaces whatever is held,
    and a stream report after it is taken too."""
    events = [
        _report(T0 + 30, BTC="6"),
        _report(None, BTC="4"),
        fill(1, "1", coid=None, at_ms=T0 + 21),
    ]
    state = fold([intent(qty="2"), update(S.NEW), *events])
    assert state.balances["BTC"].free == Decimal("5")  # the fill counted: no time to compare
    later = fold([intent(qty="2"), update(S.NEW), *events, _report(T0 + 20, BTC="7")])
    assert later.balances["BTC"].free == Decimal("7")


def test_duplicate_fills_are_ignored_and_reported_as_unchanged() -> None:
    ledger = Ledger()
    for event in (intent(), update(S.NEW), fill(1, "0.5", z="0.5")):
        assert ledger.apply(event)
    assert not ledger.apply(fill(1, "0.5", z="0.5"))
    assert ledger.position("BTCUSDT") is not None
    assert ledger.position("BTCUSDT").qty == Decimal("0.5")  # type: ignore[union-attr]


def test_the_live_path_drops_repeats_and_replay_of_what_it_kept_equals_it() -> None:
    """`apply_new` (the recorder's) refuses a fill whose trade id is booked and a stream report
    that changes nothing, counting neither; what it kept replays to the same state."""
    ledger = Ledger()
    kept: list[ev.EventBase] = []
    repeated = [
        intent(), update(S.NEW), update(S.NEW), fill(1, "0.5", z="0.5"), fill(1, "0.5", z="0.5"),
        update(S.PARTIALLY_FILLED, z="0.5"), update(S.NEW, source="reply"),
        update(S.PARTIALLY_FILLED, z="0.5"), fill(2, "0.5", z="1"), fill(1, "0.5", z="0.5"),
    ]  # fmt: skip
    for event in repeated:
        if ledger.apply_new(event):
            kept.append(event)
    assert [type(e).__name__ for e in kept] == [
        "OrderIntended", "OrderUpdated", "OrderFilled", "OrderUpdated", "OrderFilled",
    ]  # fmt: skip
    assert kept[3].source == "reply"  # type: ignore[attr-defined]  # only the stream's are dropped
    assert ledger.events == len(kept)
    assert fold(kept) == ledger.state()
    # a journal written before repeats were dropped still folds, to the same positions
    old = fold(repeated)
    assert old.positions == ledger.state().positions and old.orders == ledger.state().orders


def test_fill_found_by_exchange_order_id_when_the_client_id_is_not_given() -> None:
    ledger = Ledger()
    for event in (intent(), update(S.NEW, order_id=42), fill(1, "1", coid=None, order_id=42)):
        ledger.apply(event)
    order = ledger.order("tg-1")
    assert order is not None and order.status is S.FILLED
    assert ledger.order_by_exchange_id("BTCUSDT", 42) == order


def test_refusals_change_nothing() -> None:
    ledger = Ledger()
    ledger.apply(intent())
    before = ledger.state()
    with pytest.raises(InvalidTransition, match="again"):
        ledger.apply(intent())
    with pytest.raises(InvalidTransition, match="unknown order"):
        ledger.apply(fill(1, "1", coid="nobody"))
    with pytest.raises(InvalidTransition, match="unknown order"):
        ledger.apply(update(S.NEW, "nobody"))
    assert ledger.state() == before


def _not_placed(coid: str, at_ms: int) -> ev.OrderUpdated:
    """The exchange's rejection, or the resolution's word that a lost request never arrived."""
    return ev.OrderUpdated(
        at_ms=at_ms, profile="t", client_order_id=coid, symbol="BTCUSDT", status=S.REJECTED,
        source="local", reason="never placed",
    )  # fmt: skip


def test_an_id_whose_order_never_reached_the_exchange_names_a_new_order() -> None:
    events = [
        intent("x"),
        _not_placed("x", T0 + 1),
        intent("x", qty="2", at_ms=T0 + 2),
        update(S.NEW, "x", order_id=9, at_ms=T0 + 3),
        fill(1, "2", coid="x", order_id=9, at_ms=T0 + 4),
    ]
    ledger = Ledger()
    for event in events:
        ledger.apply(event)
    order = ledger.order("x")
    assert order is not None and order.status is S.FILLED and order.qty == Decimal(2)
    assert ledger.open_orders() == []  # closed, not held open by the first order's closing
    assert fold(events) == ledger.state()
    # the order the exchange took holds its id, ended or not
    with pytest.raises(InvalidTransition, match="again"):
        ledger.apply(intent("x", at_ms=T0 + 5))
    # and so does a rejected one the exchange numbered: it reached the exchange
    ledger.apply(intent("y", at_ms=T0 + 6))
    ledger.apply(update(S.REJECTED, "y", order_id=10, at_ms=T0 + 7))
    with pytest.raises(InvalidTransition, match="again"):
        ledger.apply(intent("y", at_ms=T0 + 8))


def test_adopted_order_takes_its_fills() -> None:
    from tradeguard.model import OrderReport, OrderType

    report = OrderReport(
        symbol="BTCUSDT",
        order_id=9,
        client_order_id="web_1",
        side=Side.SELL,
        type=OrderType.LIMIT,
        status=S.NEW,
        price=Decimal("100"),
        orig_qty=Decimal("1"),
        executed_qty=Decimal(0),
        cummulative_quote_qty=Decimal(0),
    )
    state = fold(
        [
            ev.OrderAdopted(
                at_ms=T0, profile="t", report=report, base_asset="BTC", quote_asset="USDT"
            ),
            fill(1, "1", coid=None, order_id=9, side=Side.SELL),
        ]
    )
    assert state.orders["web_1"].status is S.FILLED
    assert state.positions["BTCUSDT"].qty == -1


def test_kill_switch_limits_stage_clock_and_streams() -> None:
    p = "t"
    state = fold(
        [
            ev.StageSet(at_ms=1, profile=p, rung="live-small", max_order_notional=Decimal("100")),
            ev.RateLimitChanged(at_ms=2, profile=p, limit="ban", until_ms=500, reason="418"),
            ev.RateLimitChanged(at_ms=3, profile=p, limit="pause", until_ms=10),
            ev.RateLimitChanged(at_ms=4, profile=p, limit="pause", until_ms=None),
            ev.KillSwitchSet(at_ms=5, profile=p, reason="daily loss 50 crossed"),
            ev.ClockSynced(at_ms=6, profile=p, offset_ms=-12, rtt_ms=3.5),
            ev.StreamConnected(at_ms=7, profile=p, stream="user"),
            ev.StreamGapLost(at_ms=8, profile=p, stream="user", since_ms=7),
            ev.ReplyReceived(
                at_ms=9,
                profile=p,
                method="GET",
                path="/x",
                status=200,
                latency_ms=1,
                weight=700,
                order_count=3,
            ),
            ev.ReplyReceived(
                at_ms=9, profile=p, method="GET", path="/x", status=200, latency_ms=1, weight=20
            ),
        ]
    )
    assert state.stage is not None and state.stage.rung == "live-small"
    assert list(state.limits) == ["ban"] and state.limits_in_force(499)[0].reason == "418"
    assert state.limits_in_force(500) == []
    assert state.kill_switch.latched and state.kill_switch.reason == "daily loss 50 crossed"
    assert state.clock is not None and state.clock.offset_ms == -12
    assert state.streams["user"].gap_since_ms == 7 and not state.streams["user"].connected
    assert (state.peak_weight, state.peak_order_count) == (700, 3)
    reset = fold(
        [ev.KillSwitchSet(at_ms=1, profile=p, reason="x"), ev.KillSwitchReset(at_ms=2, profile=p)]
    )
    assert not reset.kill_switch.latched


def test_closed_orders_beyond_the_bound_leave_the_state_but_open_ones_stay() -> None:
    events: list[ev.EventBase] = [intent("open", qty="5"), update(S.NEW, "open", order_id=1)]
    for n in range(10):
        coid = f"c{n}"
        events += [
            intent(coid),
            update(S.NEW, coid, order_id=100 + n),
            fill(n, "1", coid=coid, order_id=100 + n),
        ]
    state = fold(events, keep_closed=3)
    assert sorted(state.orders) == ["c7", "c8", "c9", "open"]
    assert state.closed_dropped == 7
    assert state.positions["BTCUSDT"].qty == 10


def test_the_benchmark_workload_is_valid_and_replays_to_the_live_state() -> None:
    events = list(workload.session(5000, seed=3))
    assert len(events) == 5000
    final, _ = live(events[:500])
    assert fold(events[:500]) == final
    state = fold(events)
    assert state.events == 5000 and state.orders
