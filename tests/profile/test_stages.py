"""The ladder, caps per rung, the record from journal events, and the promotion rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeguard import events as ev
from tradeguard import stages
from tradeguard.errors import ConfigError
from tradeguard.model import OrderIntent, OrderStatus, OrderType, Side, Symbol
from tradeguard.stages import Caps, PromotionRules, RungRecord

DAY = stages.DAY_MS
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
BTC = Symbol("BTC", "USDT")


def loaded(env: str, at: int = T0 - 1) -> ev.ProfileLoaded:
    return ev.ProfileLoaded(at_ms=at, profile="p", venue="binance", env=env, mode="trade")


def stage(rung: str, at: int = T0 - 1) -> ev.StageSet:
    return ev.StageSet(at_ms=at, profile="p", rung=rung)


def intended(coid: str, at: int) -> ev.OrderIntended:
    intent = OrderIntent(
        client_order_id=coid, symbol=BTC, side=Side.BUY, type=OrderType.LIMIT,
        qty=Decimal("0.001"), price=Decimal("60000"),
    )  # fmt: skip
    return ev.OrderIntended(at_ms=at, profile="p", intent=intent)


def updated(
    coid: str, status: OrderStatus, at: int, order_id: int | None = None
) -> ev.OrderUpdated:
    return ev.OrderUpdated(
        at_ms=at, profile="p", client_order_id=coid, symbol="BTCUSDT", status=status,
        source="stream", order_id=order_id,
    )  # fmt: skip


def filled(coid: str | None, trade_id: int, at: int, order_id: int | None = None) -> ev.OrderFilled:
    return ev.OrderFilled(
        at_ms=at, profile="p", client_order_id=coid, order_id=order_id or trade_id,
        symbol="BTCUSDT", base_asset="BTC", quote_asset="USDT", side=Side.BUY, trade_id=trade_id,
        price=Decimal("60000"), qty=Decimal("0.001"), commission=Decimal(0),
        commission_asset=None, is_maker=True,
    )  # fmt: skip


def clean_orders(n: int, days: int, start: int = T0, prefix: str = "o") -> list[ev.EventBase]:
    """n orders, each intended, acknowledged and filled, spread over `days` days."""
    out: list[ev.EventBase] = []
    for i in range(n):
        at = start + (i % days) * DAY + i * 1000
        coid = f"{prefix}{i}"
        out += [
            intended(coid, at),
            updated(coid, OrderStatus.NEW, at + 1, order_id=10_000 + i),
            filled(coid, 10_000 + i, at + 2, order_id=10_000 + i),
        ]
    return sorted(out, key=lambda e: e.at_ms)


def run_on_testnet(n: int = 50, days: int = 3) -> list[ev.EventBase]:
    return [loaded("testnet"), stage("testnet"), *clean_orders(n, days)]


NOW = T0 + 5 * DAY


# ── the ladder and its caps ──────────────────────────────────────────────────────────────────


def test_the_ladder() -> None:
    assert stages.RUNGS == ("sim", "testnet", "live-small", "live")
    assert stages.next_rung("sim") == "testnet" and stages.next_rung("live") is None
    with pytest.raises(ConfigError, match="unknown environment"):
        stages.rank("prod")


def test_default_caps() -> None:
    assert stages.default_caps("live-small", Decimal(100)) == Caps(Decimal(20), Decimal(200))
    live = stages.default_caps("live", Decimal(100))
    assert live.max_order_notional == Decimal(100) and live.daily_notional == Decimal(10_000)
    paper = stages.default_caps("sim", Decimal(100))
    assert paper.max_order_notional.is_finite() and paper == stages.default_caps(
        "testnet", Decimal(1)
    )


def test_live_small_may_tighten_but_not_pass_the_ceiling() -> None:
    assert stages.caps_problem("live-small", Caps(Decimal(5), Decimal(50))) is None
    assert stages.caps_problem("live-small", stages.LIVE_SMALL_CEILING) is None
    problem = stages.caps_problem("live-small", Caps(Decimal(101), Decimal(500)))
    assert problem is not None and "never raise" in problem[0]
    assert stages.caps_problem("live", Caps(Decimal(5000), Decimal(50000))) is None
    assert stages.caps_problem("sim", Caps(Decimal(5), Decimal(1))) is not None


# ── the record ───────────────────────────────────────────────────────────────────────────────


def test_a_clean_run_is_counted() -> None:
    record = stages.record_from_events(run_on_testnet(), "testnet")
    assert record.clean_fills == 50 and record.days == ("2026-01-01", "2026-01-02", "2026-01-03")
    assert not record.unresolved and not record.duplicates and not record.kill_switch_latched
    assert record.granted == frozenset({"testnet"})


def test_events_on_another_rung_or_before_any_rung_are_not_counted() -> None:
    events = [*clean_orders(10, 1, prefix="x"), loaded("sim"), *clean_orders(60, 3, prefix="s")]
    record = stages.record_from_events(events, "testnet")
    assert record.clean_fills == 0 and record.unattributed == 30
    assert stages.record_from_events(events, "sim").clean_fills == 60


def test_a_promotion_stage_set_is_a_grant_not_a_change_of_rung() -> None:
    # promote (another process) grants testnet while a sim session keeps trading
    events = [loaded("sim"), stage("sim"), stage("testnet"), *clean_orders(50, 3)]
    assert stages.record_from_events(events, "testnet").clean_fills == 0
    assert stages.record_from_events(events, "sim").clean_fills == 50
    assert stages.permitted("testnet", stages.record_from_events(events, "sim"))
    assert not stages.permitted("live-small", ["testnet"])
    assert stages.permitted("live-small", ["testnet", "live-small"])


def test_only_the_given_profile_counts() -> None:
    other = [e for e in clean_orders(5, 1)]
    events = [loaded("testnet"), *(
        ev.OrderFilled(**{**{f: getattr(e, f) for f in e.__struct_fields__}, "profile": "q"})
        for e in other if isinstance(e, ev.OrderFilled)
    )]  # fmt: skip
    assert stages.record_from_events(events, "testnet", profile="p").clean_fills == 0
    assert stages.record_from_events(events, "testnet").clean_fills == 5


def test_an_unknown_outcome_spoils_its_fills_until_resolved() -> None:
    events = [
        *run_on_testnet(),
        intended("u1", T0 + 3 * DAY),
        updated("u1", OrderStatus.UNKNOWN, T0 + 3 * DAY + 1),
    ]
    record = stages.record_from_events(events, "testnet")
    assert record.unresolved == ("u1",)
    resolved = [*events, updated("u1", OrderStatus.CANCELED, T0 + 3 * DAY + 2, order_id=9)]
    assert stages.record_from_events(resolved, "testnet").unresolved == ()
    by_fill = [*events, filled("u1", 99_999, T0 + 3 * DAY + 3)]
    assert stages.record_from_events(by_fill, "testnet").unresolved == ()


def test_duplicates_intended_twice_or_placed_twice() -> None:
    events = [*run_on_testnet(), intended("o1", T0 + 4 * DAY)]
    record = stages.record_from_events(events, "testnet")
    assert record.duplicates == ("o1",) and record.clean_fills == 49
    events = [*run_on_testnet(), updated("o2", OrderStatus.NEW, T0 + 4 * DAY, order_id=77)]
    assert stages.record_from_events(events, "testnet").duplicates == ("o2",)


def test_an_id_intended_again_after_its_order_was_never_placed_is_no_duplicate() -> None:
    at = T0 + 4 * DAY
    retried = [intended("r1", at), updated("r1", OrderStatus.REJECTED, at + 1),
               intended("r1", at + 2), updated("r1", OrderStatus.NEW, at + 3, order_id=88),
               filled("r1", 88, at + 4, order_id=88)]  # fmt: skip
    record = stages.record_from_events([*run_on_testnet(), *retried], "testnet")
    assert record.duplicates == () and record.clean_fills == 51
    # an id whose order reached the exchange (it has an exchange id) is one intended twice
    rejected_late = [intended("r2", at), updated("r2", OrderStatus.REJECTED, at + 1, order_id=89),
                     intended("r2", at + 2)]  # fmt: skip
    record = stages.record_from_events([*run_on_testnet(), *rejected_late], "testnet")
    assert record.duplicates == ("r2",)


def test_a_fill_repeated_is_counted_once_and_a_backfilled_one_finds_its_order() -> None:
    events = [*run_on_testnet(), filled("o1", 10_001, T0 + 4 * DAY)]
    assert stages.record_from_events(events, "testnet").clean_fills == 50
    events = [*run_on_testnet(), filled(None, 55_555, T0 + 4 * DAY, order_id=10_003)]
    assert stages.record_from_events(events, "testnet").clean_fills == 51


def test_a_kill_switch_latches_then_the_record_restarts_at_its_reset() -> None:
    kill = ev.KillSwitchSet(at_ms=T0 + 3 * DAY, profile="p", reason="daily loss")
    record = stages.record_from_events([*run_on_testnet(), kill], "testnet")
    assert record.kill_switch_latched
    reset = ev.KillSwitchReset(at_ms=T0 + 3 * DAY + 5, profile="p")
    after = clean_orders(10, 1, start=T0 + 4 * DAY, prefix="n")
    record = stages.record_from_events([*run_on_testnet(), kill, reset, *after], "testnet")
    assert not record.kill_switch_latched and record.restarted_ms == reset.at_ms
    assert record.clean_fills == 10


@settings(max_examples=50, deadline=None)
@given(
    rung=st.sampled_from(["sim", "live-small", "live"]),
    n=st.integers(0, 30),
    where=st.integers(0, 150),
)
def test_events_on_another_rung_never_change_this_rungs_record(
    rung: str, n: int, where: int
) -> None:
    base = run_on_testnet()
    cut = min(where, len(base))
    foreign = [loaded(rung, T0), *clean_orders(n, 2, prefix="f"), loaded("testnet", T0)]
    mixed = [*base[:cut], *foreign, *base[cut:]] if cut >= 2 else [*base, *foreign]
    assert stages.record_from_events(mixed, "testnet") == stages.record_from_events(base, "testnet")


# ── promotion ────────────────────────────────────────────────────────────────────────────────


def test_testnet_to_live_small_when_every_rule_passes() -> None:
    record = stages.record_from_events(run_on_testnet(), "testnet")
    verdict = stages.evaluate_promotion("testnet", record, NOW)
    assert verdict.allowed and verdict.target == "live-small" and not verdict.reasons
    assert not verdict.needs_acknowledgement
    assert stages.promotion_target(verdict, "p", None) == "live-small"


@pytest.mark.parametrize(
    ("events", "now", "needle"),
    [
        (run_on_testnet(n=49), NOW, "clean fills on testnet: 49 (needs >= 50)"),
        (run_on_testnet(days=2), NOW, "distinct days with a clean fill: 2"),
        (run_on_testnet(), T0 + 90 * DAY, "days since the last clean fill: 87"),
        (
            [*run_on_testnet(), ev.KillSwitchSet(at_ms=T0 + 4 * DAY, profile="p", reason="x")],
            NOW,
            "kill switch on testnet: latched",
        ),
        (
            [*run_on_testnet(), intended("o3", T0 + 4 * DAY)],
            NOW,
            "duplicate orders: 1 (o3)",
        ),
    ],
)
def test_each_rule_refuses_with_its_figure(
    events: list[ev.EventBase], now: int, needle: str
) -> None:
    verdict = stages.evaluate_promotion(
        "testnet", stages.record_from_events(events, "testnet"), now
    )
    assert not verdict.allowed
    assert any(needle in reason for reason in verdict.reasons), verdict.reasons
    with pytest.raises(ConfigError, match="promotion refused"):
        stages.promotion_target(verdict, "p", None)


def test_future_days_do_not_count() -> None:
    record = stages.record_from_events(run_on_testnet(), "testnet")
    assert not stages.evaluate_promotion("testnet", record, T0 + DAY // 2).allowed


def test_rules_are_configurable() -> None:
    record = stages.record_from_events(run_on_testnet(n=5, days=1), "testnet")
    rules = PromotionRules(min_clean_fills=5, min_days=1, max_record_age_days=None)
    assert stages.evaluate_promotion("testnet", record, NOW, rules).allowed


def test_sim_to_testnet_needs_no_record_and_live_has_no_next() -> None:
    verdict = stages.evaluate_promotion("sim", RungRecord("sim"), NOW)
    assert verdict.allowed and verdict.target == "testnet"
    top = stages.evaluate_promotion("live", RungRecord("live"), NOW)
    assert not top.allowed and top.target is None and "top of the ladder" in top.reasons[0]


def _live_small_run() -> list[ev.EventBase]:
    return [*run_on_testnet(), stage("live-small", T0 + 4 * DAY),  # the grant
            loaded("live-small", T0 + 4 * DAY + 1), stage("live-small", T0 + 4 * DAY + 2),
            *clean_orders(50, 3, start=T0 + 5 * DAY, prefix="L")]  # fmt: skip


def test_live_small_must_itself_have_been_granted() -> None:
    events = [loaded("live-small"), *clean_orders(50, 3)]
    verdict = stages.evaluate_promotion(
        "live-small", stages.record_from_events(events, "live-small"), T0 + 8 * DAY
    )
    assert (
        not verdict.allowed and "live-small was granted by a promotion: never" in verdict.reasons[0]
    )


def test_entering_live_needs_the_typed_sentence_not_a_flag() -> None:
    record = stages.record_from_events(_live_small_run(), "live-small")
    verdict = stages.evaluate_promotion("live-small", record, T0 + 8 * DAY)
    assert verdict.allowed and verdict.target == "live" and verdict.needs_acknowledgement
    with pytest.raises(ConfigError, match="typed acknowledgement"):
        stages.promotion_target(verdict, "p", None)
    sentence = stages.acknowledgement_sentence("p")
    assert sentence == "I accept the risk of live trading with p"
    with pytest.raises(ConfigError, match="does not match"):
        stages.acknowledge("yes", "p")
    with pytest.raises(ConfigError, match="typed acknowledgement"):
        stages.promotion_target(
            verdict, "p", stages.acknowledge(stages.acknowledgement_sentence("q"), "q")
        )
    typed = stages.acknowledge("  i accept the risk of  live trading with p ", "p")
    assert stages.promotion_target(verdict, "p", typed) == "live"
