"""The dashboard's view: PnL by average cost with fees, hand-computed; the same page however
the records arrive (one by one, in a batch, twice, or through a checkpoint)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.journal.strategies import sessions
from tradeguard import events as ev
from tradeguard import stages
from tradeguard.dashboard.view import DashboardView
from tradeguard.model import Balance, Side
from tradeguard.profile.profiles import Limits

from .events import T0, Orders, numbered

BUY, SELL = Side.BUY, Side.SELL
DAY_MS = stages.DAY_MS


def view() -> DashboardView:
    return DashboardView(profile="t", venue="binance", env="sim", limits=Limits())


def folded(events: list[ev.EventBase]) -> DashboardView:
    v = view()
    for seq, event in numbered(events):
        v.apply(seq, event)
    return v


def position(v: DashboardView, symbol: str = "BTCUSDT") -> dict[str, Any]:
    (found,) = [p for p in v.snapshot()["positions"] if p["symbol"] == symbol]
    return found


def test_a_commission_in_quote_adds_to_the_cost_and_reduces_the_proceeds() -> None:
    o = Orders()
    # buy 2 @ 100, fee 0.2 USDT: cost 200.2, average 100.1
    # sell 1 @ 110, fee 0.11 USDT: proceeds 109.89, realized 109.89 - 100.1 = 9.79
    # 1 left at 100.1, marked at 110: unrealized 9.9
    v = folded(
        o.trade(BUY, "2", "100", fee="0.2", fee_asset="USDT")
        + o.trade(SELL, "1", "110", fee="0.11", fee_asset="USDT")
    )
    p = position(v)
    assert (p["qty"], p["average_entry"], p["mark"]) == ("1", "100.1", "110")
    assert (p["realized_pnl"], p["unrealized_pnl"]) == ("9.79", "9.9")
    assert p["fees_included"] is True and "average cost" in str(p["basis"])
    curve = v.snapshot()["pnl_curve"]
    assert [point[1] for point in curve["points"]] == ["0", "9.79"]
    assert (curve["realized"], curve["unrealized"], curve["total"]) == ("9.79", "9.9", "19.69")


def test_a_commission_in_base_reduces_the_quantity() -> None:
    o = Orders()
    # buy 1.01 @ 100 paying 0.01 BTC: 1 BTC for 101, average 101; sell 1 @ 105: realized 4
    v = folded(o.trade(BUY, "1.01", "100", fee="0.01", fee_asset="BTC") + o.trade(SELL, "1", "105"))
    p = position(v)
    assert (p["qty"], p["average_entry"], p["realized_pnl"]) == ("0", None, "4")


def test_a_commission_in_bnb_is_valued_at_the_last_bnb_price() -> None:
    o = Orders()
    # BNB last traded at 300: 0.001 BNB is 0.3 USDT. Buy 1 @ 100: cost 100.3;
    # sell 1 @ 101: proceeds 100.7; realized 0.4
    v = folded(
        o.trade(BUY, "1", "300", pair="BNB/USDT")
        + o.trade(BUY, "1", "100", fee="0.001", fee_asset="BNB")
        + o.trade(SELL, "1", "101", fee="0.001", fee_asset="BNB")
    )
    p = position(v)
    assert (p["realized_pnl"], p["fees_included"]) == ("0.4", True)


def test_a_commission_in_bnb_without_a_price_is_said_not_included() -> None:
    o = Orders()
    v = folded(o.trade(BUY, "1", "100", fee="0.001", fee_asset="BNB"))
    p = position(v)
    assert (p["average_entry"], p["fees_included"], p["fees_unvalued"]) == (
        "100",
        False,
        {"BNB": "0.001"},
    )


def test_a_fill_that_crosses_zero_realizes_the_short_and_opens_a_long() -> None:
    o = Orders()
    # sell 1 @ 100 from flat: short 1 at 100; buy 3 @ 90: 1 closes for +10, 2 open at 90
    v = folded(o.trade(SELL, "1", "100") + o.trade(BUY, "3", "90"))
    p = position(v)
    assert (p["qty"], p["average_entry"], p["realized_pnl"], p["unrealized_pnl"]) == (
        "2",
        "90",
        "10",
        "0",
    )


def test_a_fill_journaled_twice_under_two_seqs_is_booked_once() -> None:
    o = Orders()
    events = o.trade(BUY, "1", "100")
    v = folded([*events, events[1]])  # the same trade id again, a later record
    assert position(v)["qty"] == "1"
    assert len(v.snapshot()["fills"]) == 1


def test_a_record_already_folded_is_ignored_and_returns_no_payload() -> None:
    o = Orders()
    intent, fill = o.trade(BUY, "1", "100")
    v = view()
    assert v.apply(1, intent) is not None
    first = v.apply(2, fill)
    assert first is not None and first["kind"] == "OrderFilled" and first["fill"]["qty"] == "1"
    assert first["pnl_point"] is not None
    assert v.apply(2, fill) is None
    assert v.apply(1, intent) is None
    assert position(v)["qty"] == "1" and v.seq == 2


def test_the_page_shows_the_guard_state_from_the_shared_fold() -> None:
    events: list[ev.EventBase] = [
        ev.ProfileLoaded(at_ms=T0, profile="t", venue="binance", env="testnet", mode="trade"),
        ev.StageSet(at_ms=T0, profile="t", rung="testnet"),
        ev.ClockSynced(at_ms=T0, profile="t", offset_ms=-12, rtt_ms=3.5),
        ev.StreamConnected(at_ms=T0 + 1, profile="t", stream="user"),
        ev.BalanceChanged(
            at_ms=T0 + 2, profile="t", balances=(Balance("USDT", Decimal("500"), Decimal("20")),)
        ),
        ev.ReplyReceived(
            at_ms=T0 + 3,
            profile="t",
            method="POST",
            path="/api/v3/order",
            status=400,
            latency_ms=2.0,
            code=-2010,
            weight=37,
            order_count=3,
            client_order_id="x",
        ),
        ev.RateLimitChanged(
            at_ms=T0 + 4, profile="t", limit="ban", until_ms=T0 + 60_000, reason="418", code=-1003
        ),
        ev.RiskDenied(at_ms=T0 + 5, profile="t", reasons=("MAX_POSITION: 2 > 1",)),
        ev.KillSwitchSet(at_ms=T0 + 6, profile="t", reason="daily loss 51 > 50", by="guard"),
        ev.StreamGapLost(
            at_ms=T0 + 7, profile="t", stream="user", since_ms=T0 + 6, reason="timeout"
        ),
    ]
    v = folded(events)
    page = v.snapshot()
    json.dumps(page)  # JSON-able as it is
    status = page["status"]
    assert (status["env"], status["rung"], status["clock"]["offset_ms"]) == (
        "testnet",
        "testnet",
        -12,
    )
    assert status["streams"][0]["up"] is False
    assert status["streams"][0]["gap_since_ms"] == T0 + 6
    assert page["kill_switch"]["latched"] is True
    assert page["kill_switch"]["reason"] == "daily loss 51 > 50"
    assert page["balances"]["assets"] == [
        {"asset": "USDT", "free": "500", "locked": "20", "total": "520", "reported": True}
    ]
    limits = page["limits"]
    weight = next(r for r in limits["rate_limits"] if r["kind"] == "REQUEST_WEIGHT")
    assert (weight["used"], weight["limit"]) == (37, 6000)
    assert limits["held"][0]["limit"] == "ban" and limits["held"][0]["until_ms"] == T0 + 60_000
    assert limits["held"][0]["in_force"] is True
    assert v.snapshot(now_ms=T0 + 61_000)["limits"]["held"][0]["in_force"] is False
    assert [a["kind"] for a in page["alerts"]] == ["risk_denied", "kill_switch", "stream_lost"]
    assert page["seq"] == len(events) and page["chain"]["seq_folded"] == len(events)


def test_a_record_the_fold_refuses_becomes_an_alert_not_a_crash() -> None:
    o = Orders()
    _, fill = o.trade(BUY, "1", "100")
    v = view()
    payload = v.apply(1, fill)  # a fill for an order never intended
    assert payload is not None and payload["alert"]["kind"] == "error"
    assert v.snapshot()["positions"] == []


def test_the_fills_and_alerts_lists_keep_only_the_last() -> None:
    o = Orders()
    events: list[ev.EventBase] = []
    for _ in range(210):
        events += o.trade(BUY, "1", "100")
    events += [ev.ErrorRaised(at_ms=T0, profile="t", error="E", message=str(i)) for i in range(60)]
    page = folded(events).snapshot()
    assert len(page["fills"]) == 200 and page["fills"][-1]["trade_id"] == 210
    assert len(page["alerts"]) == 50 and page["alerts"][-1]["message"] == "59"


@settings(max_examples=80, deadline=None)
@given(sessions(), st.data())
def test_one_by_one_in_a_batch_twice_or_through_a_checkpoint_the_page_is_the_same(
    events: list[ev.EventBase], data: st.DataObject
) -> None:
    records = numbered(events)
    one_by_one = folded(events).snapshot()

    batch = view()
    batch.apply_all(records)
    assert batch.snapshot() == one_by_one

    twice = view()
    for seq, event in records:
        twice.apply(seq, event)
        assert twice.apply(seq, event) is None
    assert twice.snapshot() == one_by_one

    cut = data.draw(st.integers(0, len(records)))
    first = view()
    first.apply_all(records[:cut])
    resumed = view()
    resumed.restore(first.image())
    resumed.apply_all(records[cut:])
    assert resumed.snapshot() == one_by_one
    json.dumps(one_by_one)


def a_testnet_journal(days: int, fills_per_day: int) -> list[ev.EventBase]:
    o = Orders()
    out: list[ev.EventBase] = [
        ev.ProfileLoaded(at_ms=T0, profile="t", venue="binance", env="testnet", mode="trade"),
        ev.StageSet(at_ms=T0, profile="t", rung="testnet"),
    ]
    for day in range(days):
        for _ in range(fills_per_day):
            out += [
                msgspec.structs.replace(e, at_ms=e.at_ms + day * DAY_MS)
                for e in o.trade(BUY, "1", "100")
            ]
    return out


def ladder_of(events: list[ev.EventBase], now_ms: int) -> dict[str, Any]:
    v = DashboardView(profile="t", venue="binance", env="testnet", limits=None)
    v.apply_all(numbered(events))
    return v.snapshot(now_ms=now_ms)["ladder"]


def test_the_ladder_says_what_promotion_needs_as_promote_does() -> None:
    short = ladder_of(a_testnet_journal(days=2, fills_per_day=10), T0 + 2 * DAY_MS)
    assert short["rung"] == "testnet"
    promotion = short["promotion"]
    assert promotion["allowed"] is False and promotion["target"] == "live-small"
    figures = {c["rule"].split(" on ")[0]: (c["figure"], c["needed"]) for c in promotion["checks"]}
    assert figures["clean fills"] == ("20", ">= 50")
    ready = ladder_of(a_testnet_journal(days=3, fills_per_day=20), T0 + 3 * DAY_MS)
    assert ready["promotion"]["allowed"] is True and ready["promotion"]["reasons"] == []


@settings(max_examples=60, deadline=None)
@given(sessions(), st.sampled_from(["sim", "testnet", "live-small", "live"]))
def test_the_verdict_is_the_one_promote_computes(events: list[ev.EventBase], env: str) -> None:
    start = ev.ProfileLoaded(at_ms=T0, profile="t", venue="binance", env=env, mode="trade")
    journal = [start, *events]
    now = T0 + DAY_MS
    v = DashboardView(profile="t", venue="binance", env=env, limits=None)
    v.apply_all(numbered(journal))
    record = stages.record_from_events(journal, env, profile="t")  # type: ignore[arg-type]
    expected = stages.evaluate_promotion(env, record, now)  # type: ignore[arg-type]
    assert v.promotion(now) == expected
