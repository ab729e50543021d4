"""The exchange's clock, estimated from round trips: pure, time arrives as arguments.

Each sample is one `GET /time`: the host's monotonic and wall clocks read just before sending
and just after the reply, and the server's time in the reply. The server read its clock at
about the midpoint of the round trip, so `offset = server - midpoint`. Samples with a long round
trip carry more uncertainty and are discarded; the median of the rest is the estimate.

Request timestamps come from the *monotonic* anchor of the chosen sample:
`server_now = anchor_server_ms + (monotonic_now - anchor_monotonic) * 1000`. A step of the host's
wall clock (NTP, VM resume, a DST mistake) therefore does not move them, and no -1021 storm
follows. The host's wall clock is compared with the exchange only to *report* skew: beyond the
bound, signed requests stop with a `ClockSkewError` that says to sync the host with NTP, since a
host that is far off writes wrong times everywhere else too. recvWindow is never widened.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from tradeguard.errors import ClockSkewError


@dataclass(frozen=True, slots=True)
class Sample:
    sent_monotonic: float  # seconds
    received_monotonic: float
    sent_wall_ms: int
    received_wall_ms: int
    server_ms: int

    @property
    def rtt_ms(self) -> float:
        return (self.received_monotonic - self.sent_monotonic) * 1000

    @property
    def midpoint_monotonic(self) -> float:
        return (self.sent_monotonic + self.received_monotonic) / 2

    @property
    def wall_offset_ms(self) -> float:
        """Exchange time minus the host's wall time at the midpoint of the round trip."""
        return self.server_ms - (self.sent_wall_ms + self.received_wall_ms) / 2


@dataclass(frozen=True, slots=True)
class Estimate:
    anchor_monotonic: float
    anchor_server_ms: int
    skew_ms: float  # exchange minus host wall clock; positive = host behind
    rtt_ms: float
    samples_used: int

    def server_ms(self, monotonic_now: float) -> int:
        return self.anchor_server_ms + round((monotonic_now - self.anchor_monotonic) * 1000)


def estimate(samples: Sequence[Sample], *, slack_ms: float = 5.0) -> Estimate:
    """The median-offset sample among those whose round trip is within 2x(+slack) of the best."""
    if not samples:
        raise ValueError("estimate needs at least one sample")
    best_rtt = min(s.rtt_ms for s in samples)
    usable = [s for s in samples if s.rtt_ms <= 2 * best_rtt + slack_ms]
    usable.sort(key=lambda s: s.wall_offset_ms)
    chosen = usable[(len(usable) - 1) // 2]
    return Estimate(
        anchor_monotonic=chosen.midpoint_monotonic,
        anchor_server_ms=chosen.server_ms,
        skew_ms=statistics.median(s.wall_offset_ms for s in usable),
        rtt_ms=chosen.rtt_ms,
        samples_used=len(usable),
    )


@dataclass(frozen=True, slots=True)
class SkewPolicy:
    max_skew_ms: float = 5_000.0  # beyond this the host must be fixed before trading
    resync_every_s: float = 600.0  # re-estimate this often; monotonic drift is small

    def check(self, est: Estimate) -> None:
        if abs(est.skew_ms) <= self.max_skew_ms:
            return
        direction = "behind" if est.skew_ms > 0 else "ahead of"
        raise ClockSkewError(
            None,
            f"this host's clock is {abs(est.skew_ms) / 1000:.1f} s {direction} the exchange "
            f"(allowed: {self.max_skew_ms / 1000:.1f} s)",
            None,
            hint="sync the host with NTP (e.g. `sudo chronyc makestep` or "
            "`sudo timedatectl set-ntp true`), then retry; tradeguard never widens recvWindow",
            local=True,
        )
