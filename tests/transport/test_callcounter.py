"""The decaying call counter (Kraken's per-key rate limit), kept locally: a call leaves only
when it fits under the allowance, and the wait is how long the counter takes to fall."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradeguard.errors import ConfigError
from tradeguard.net.callcounter import CallCounter, CounterRule

STARTER = CounterRule(15, Decimal("0.33"))


def test_a_burst_fits_up_to_the_allowance_then_waits_for_the_decay() -> None:
    counter = CallCounter(STARTER, headroom=Decimal("0.8"))  # 12 of 15
    for _ in range(12):
        assert counter.wait_s(1, 0) == 0
        counter.spend(1, 0)
    assert counter.wait_s(1, 0) == pytest.approx(1 / 0.33, abs=0.001)
    assert counter.wait_s(2, 0) == pytest.approx(2 / 0.33, abs=0.001)  # TradesHistory adds 2


def test_the_counter_falls_with_time_and_never_below_zero() -> None:
    counter = CallCounter(STARTER, headroom=Decimal(1))
    counter.spend(15, 0)
    assert counter.level_at(3_000) == Decimal("14.01")
    assert counter.wait_s(1, 3_000) == pytest.approx(0.01 / 0.33, abs=0.001)
    assert counter.level_at(10_000_000) == 0
    assert counter.wait_s(15, 10_000_000) == 0


def test_a_call_costing_nothing_never_waits() -> None:
    counter = CallCounter(STARTER)
    counter.spend(15, 0)
    assert counter.wait_s(0, 0) == 0  # Kraken's AddOrder and CancelOrder count elsewhere


def test_a_call_larger_than_the_allowance_waits_for_an_empty_counter() -> None:
    counter = CallCounter(CounterRule(2, Decimal(1)), headroom=Decimal("0.5"))
    counter.spend(1, 0)
    assert counter.wait_s(2, 0) == pytest.approx(1.0, abs=0.001)
    assert counter.wait_s(2, 1_000) == 0


def test_a_refusal_by_the_venue_counts_the_counter_full() -> None:
    counter = CallCounter(STARTER, headroom=Decimal("0.8"))
    counter.observe_full(5_000)
    assert counter.level_at(5_000) == 15
    # from 15 down to 11 (12 less the call's 1) at 0.33 a second
    assert counter.wait_s(1, 5_000) == pytest.approx(4 / 0.33, abs=0.001)


@pytest.mark.parametrize("limit,decay", [(0, "1"), (15, "0"), (15, "-0.33")])
def test_a_counter_without_a_limit_or_decay_is_refused(limit: int, decay: str) -> None:
    with pytest.raises(ConfigError):
        CounterRule(limit, Decimal(decay))


def test_the_wait_is_whole_milliseconds_so_waiting_it_always_frees_the_call() -> None:
    counter = CallCounter(STARTER, headroom=Decimal(1))
    counter.spend(15, 0)
    for now in (1, 7, 333, 3_031):
        waited = counter.wait_s(1, now)
        assert waited * 1000 == int(waited * 1000)
        assert counter.wait_s(1, now + round(waited * 1000)) == 0
