"""The rate-limit ledger: waits before crossing the headroom, honours pauses and bans."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeguard.errors import ConfigError
from tradeguard.net.ratelimit import LimitKind, RateLedger, RateRule, rules_from_exchange_info

MINUTE = 60_000
T0 = 1_767_225_600_000  # a minute boundary


def weight_rule(limit: int) -> RateRule:
    return RateRule(LimitKind.REQUEST_WEIGHT, "MINUTE", 1, limit)


def test_rules_are_read_from_exchange_info() -> None:
    rules = rules_from_exchange_info(
        [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": 6000,
            },
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 50},
        ]
    )
    assert rules[0].interval_ms == MINUTE and rules[0].header == "x-mbx-used-weight-1m"
    assert rules[1].interval_ms == 10_000 and rules[1].header == "x-mbx-order-count-10s"


def test_unreadable_rule_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        rules_from_exchange_info([{"rateLimitType": "REQUEST_WEIGHT"}])


def test_waits_until_the_window_resets_before_crossing_headroom() -> None:
    ledger = RateLedger([weight_rule(100)], headroom=Decimal("0.8"))
    for _ in range(8):
        assert ledger.wait(10, 0, T0 + 1_000).seconds == 0
        ledger.spend(10, 0, T0 + 1_000)
    wait = ledger.wait(10, 0, T0 + 1_000)
    assert wait.seconds == pytest.approx(59.0)
    assert "80 of 100 weight per minute" in wait.reason
    assert ledger.wait(10, 0, T0 + MINUTE).seconds == 0  # the next minute starts empty


def test_order_limits_count_orders_not_weight() -> None:
    ledger = RateLedger(
        [weight_rule(6000), RateRule(LimitKind.ORDERS, "SECOND", 10, 10)], headroom=Decimal(1)
    )
    for _ in range(10):
        ledger.spend(1, 1, T0)
    assert ledger.wait(1, 0, T0).seconds == 0  # a read is fine
    assert ledger.wait(1, 1, T0).seconds == pytest.approx(10.0)  # another order is not


def test_headers_raise_our_count_to_what_the_exchange_saw() -> None:
    ledger = RateLedger([weight_rule(100)], headroom=Decimal(1))
    ledger.spend(1, 0, T0)
    ledger.observe_headers({"x-mbx-used-weight-1m": "95"}, T0)
    assert ledger.wait(10, 0, T0).seconds > 0
    ledger.observe_headers({"x-mbx-used-weight-1m": "3"}, T0)  # never lowered
    assert ledger.usage(T0)[0][1] == 95


def test_pause_and_ban_stop_everything() -> None:
    ledger = RateLedger([weight_rule(6000)])
    ledger.observe_pause(2.5, T0)
    assert ledger.wait(1, 0, T0).seconds == pytest.approx(2.5)
    assert ledger.wait(1, 0, T0 + 2_500).seconds == 0
    ledger.observe_ban(T0 + 120_000)
    wait = ledger.wait(1, 0, T0 + 10_000)
    assert wait.seconds == pytest.approx(110.0) and "banned" in wait.reason and wait.banned


def test_snapshot_and_merge_share_one_budget_between_processes() -> None:
    a = RateLedger([weight_rule(100)], headroom=Decimal(1))
    b = RateLedger([weight_rule(100)], headroom=Decimal(1))
    shared: dict[str, object] = {}
    for ledger in (a, b, a, b):
        ledger.merge(shared)
        assert ledger.wait(25, 0, T0).seconds == 0
        ledger.spend(25, 0, T0)
        shared = ledger.snapshot()
    a.merge(shared)
    assert a.wait(1, 0, T0).seconds > 0  # 4 x 25 spent between them


@given(st.lists(st.tuples(st.integers(1, 40), st.integers(0, 3 * MINUTE)), max_size=200))
def test_never_spends_past_the_headroom_in_any_window(requests: list[tuple[int, int]]) -> None:
    ledger = RateLedger([weight_rule(100)], headroom=Decimal("0.8"))
    spent: dict[int, int] = {}
    now = T0
    for weight, step in requests:
        now += step
        if ledger.wait(weight, 0, now).seconds == 0:
            ledger.spend(weight, 0, now)
            window = now // MINUTE
            spent[window] = spent.get(window, 0) + weight
    assert all(total <= 80 for total in spent.values())


@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(1, 30), st.integers(0, 20_000)), max_size=300)
)
def test_leases_never_let_processes_together_pass_the_headroom(
    requests: list[tuple[int, int, int]],
) -> None:
    """Three processes lease slices of one shared budget and spend from them without looking
    at the shared state; together they never send more than the headroom in any window."""
    ledgers = [RateLedger([weight_rule(100)], headroom=Decimal("0.8")) for _ in range(3)]
    for ledger in ledgers:
        ledger.replace_rules([weight_rule(100)])  # the exchange's own rules: leasing on
    shared: dict[str, object] = {}
    sent: dict[int, int] = {}
    now = T0
    for who, weight, step in requests:
        now += step
        ledger = ledgers[who]
        if not ledger.take(weight, 0, now):
            ledger.merge(shared)
            if ledger.wait(weight, 0, now).seconds > 0:
                continue
            ledger.reserve(weight, 0, now)
            shared = ledger.snapshot()
        sent[now // MINUTE] = sent.get(now // MINUTE, 0) + weight
    # A request bigger than the allowance may go into an empty window (as before); else <= 80.
    assert all(total <= 80 for total in sent.values())


def test_a_rule_reads_as_a_trader_says_it() -> None:
    assert RateRule(LimitKind.REQUEST_WEIGHT, "MINUTE", 1, 6000).describe() == (
        "6000 weight per minute"
    )
    assert RateRule(LimitKind.RAW_REQUESTS, "MINUTE", 5, 61000).describe() == (
        "61000 requests per 5 minutes"
    )
    assert RateRule(LimitKind.ORDERS, "SECOND", 10, 50).describe() == "50 orders per 10 seconds"
