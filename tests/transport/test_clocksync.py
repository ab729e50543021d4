"""The exchange clock estimate: midpoint offsets, median, outliers dropped, skew refused."""

from __future__ import annotations

import pytest

from tradeguard.errors import ClockSkewError
from tradeguard.net.clocksync import Sample, SkewPolicy, estimate


def sample(at_s: float, rtt_ms: float, skew_ms: int, wall0: int = 1_767_225_600_000) -> Sample:
    """A round trip starting at monotonic `at_s` against an exchange `skew_ms` ahead of us."""
    sent_wall = wall0 + int(at_s * 1000)
    received_wall = sent_wall + int(rtt_ms)
    server = sent_wall + int(rtt_ms / 2) + skew_ms
    return Sample(at_s, at_s + rtt_ms / 1000, sent_wall, received_wall, server)


def test_offset_is_the_round_trip_midpoint() -> None:
    est = estimate([sample(10, 4, 3_000)])
    assert est.skew_ms == pytest.approx(3_000, abs=1)
    assert est.server_ms(10.002) == 1_767_225_600_000 + 10_002 + 3_000


def test_slow_round_trips_are_discarded() -> None:
    samples = [sample(i, 2, 1_000) for i in range(4)] + [sample(5, 400, 1_000 + 150)]
    est = estimate(samples)
    assert est.samples_used == 4
    assert est.skew_ms == pytest.approx(1_000, abs=1)


def test_timestamps_follow_monotonic_time_not_wall_steps() -> None:
    est = estimate([sample(100, 2, -3_000)])
    # However the wall clock jumps later, exchange time advances with the monotonic clock.
    assert est.server_ms(160.001) - est.server_ms(100.001) == 60_000


@pytest.mark.parametrize("skew_ms", [3_000, -3_000])
def test_small_skew_is_accepted(skew_ms: int) -> None:
    SkewPolicy(max_skew_ms=5_000).check(estimate([sample(1, 2, skew_ms)]))


@pytest.mark.parametrize(("skew_ms", "direction"), [(30_000, "behind"), (-30_000, "ahead of")])
def test_large_skew_is_refused_with_what_to_do(skew_ms: int, direction: str) -> None:
    with pytest.raises(ClockSkewError) as refused:
        SkewPolicy(max_skew_ms=5_000).check(estimate([sample(1, 2, skew_ms)]))
    text = str(refused.value)
    assert f"30.0 s {direction} the exchange" in text
    assert "NTP" in text and "never widens recvWindow" in text
