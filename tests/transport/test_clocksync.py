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


def second_stamped(at_s: float, rtt_ms: float, offset_ms: float) -> Sample:
    """A round trip starting at monotonic `at_s` to an exchange whose clock is monotonic time
    plus `offset_ms`, and which answers in whole seconds (Kraken's `unixtime`, floored), read
    at the round trip's midpoint."""
    true_ms = (at_s * 1000 + rtt_ms / 2) + offset_ms
    wall = int(at_s * 1000) + 1_767_225_600_000
    stamp = int(true_ms // 1000) * 1000
    return Sample(at_s, at_s + rtt_ms / 1000, wall, wall + int(rtt_ms), stamp, server_span_ms=1000)


@pytest.mark.parametrize("phase_ms", [100, 370, 500, 900])
def test_a_second_stamp_is_read_as_the_middle_of_its_second(phase_ms: int) -> None:
    """A stamp `t` in whole seconds says the server's time was in [t, t + 1 s): the estimate
    is never the floor (which ran about half a second behind), but at most half a second and
    half the round trip off, whatever the phase."""
    offset = 1_767_225_600_000 + phase_ms - 10_000.0  # true server time at monotonic 10 s
    est = estimate([second_stamped(10, 60, offset)])
    truth = 10_030 + offset  # at the round trip's midpoint
    assert abs(est.server_ms(10.030) - truth) <= 500 + 30
    assert est.server_ms(10.030) != int(truth // 1000) * 1000  # not the floor


def test_reads_across_a_second_boundary_bound_the_offset() -> None:
    """Three reads 0.1 s apart: where the stamp changes between two of them, the offset is
    bounded by every read at once, to within the reads' spacing and round trips (each
    stamp's middle alone is up to half a second off)."""
    straddled = 0
    for phase_ms in range(0, 1000, 25):
        offset = 1_767_225_600_000 + phase_ms - 10_000.0
        samples = [second_stamped(10 + k / 10, 20, offset) for k in range(3)]
        if len({s.server_ms for s in samples}) == 1:
            continue
        straddled += 1
        est = estimate(samples)
        truth = 10_010 + offset
        assert abs(est.server_ms(10.010) - truth) <= 100 / 2 + 20, phase_ms
    assert straddled >= 6


def test_a_second_stamp_gives_the_skew_from_the_middle_of_its_second() -> None:
    # the exchange 999 ms ahead of the host's wall clock, which stands on a whole second
    est = estimate([second_stamped(10, 0, 1_767_225_600_000 + 999.0)])
    assert est.skew_ms == pytest.approx(500, abs=1)  # the middle of [0, 1000) ms past the stamp
