"""The exchange's clock, estimated from round trips: pure, time arrives as arguments.

Each sample is one `GET /time`: the host's monotonic and wall clocks read just before sending
and just after the reply, and the server's time in the reply. The server read its clock at
about the midpoint of the round trip, so `offset = server - midpoint`. Samples with a long round
trip carry more uncertainty and are discarded; the median of the rest is the estimate.

A venue whose time is in whole seconds (Kraken's `unixtime`) says only that its clock read
somewhere in [t, t + 1 s) (`server_span_ms`): the floor ran about half a second behind. Each
such read bounds the offset (the server read its clock between sending and receiving, and
within its stamp's span); every read's bound holds at once, so the estimate is the middle of
their intersection, which narrows to the reads' spacing when the stamp changes between two of
them. (An empty intersection, from a clock step between reads, falls back to each stamp's
middle.)

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
    server_span_ms: int = 0  # the stamp says [server_ms, server_ms + span): 1000 for seconds

    @property
    def rtt_ms(self) -> float:
        return (self.received_monotonic - self.sent_monotonic) * 1000

    @property
    def midpoint_monotonic(self) -> float:
        return (self.sent_monotonic + self.received_monotonic) / 2

    @property
    def wall_offset_ms(self) -> float:
        """Exchange time (its stamp's middle) minus the host's wall time at the midpoint of the
        round trip."""
        server = self.server_ms + self.server_span_ms / 2
        return server - (self.sent_wall_ms + self.received_wall_ms) / 2

    @property
    def offset_bounds_ms(self) -> tuple[float, float]:
        """Exchange time minus monotonic time (ms): what this read allows, low and high."""
        low = self.server_ms - self.received_monotonic * 1000
        return low, self.server_ms + self.server_span_ms - self.sent_monotonic * 1000


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
    anchor_server_ms = chosen.server_ms + chosen.server_span_ms / 2
    skew_ms = statistics.median(s.wall_offset_ms for s in usable)
    if chosen.server_span_ms:
        bounded = _bounded_offset_ms(usable)
        if bounded is not None:
            anchor_server_ms = chosen.midpoint_monotonic * 1000 + bounded
            # the host's wall clock against the same estimate (not against each stamp's middle)
            skew_ms = bounded - statistics.median(
                (s.sent_wall_ms + s.received_wall_ms) / 2 - s.midpoint_monotonic * 1000
                for s in usable
            )
    return Estimate(
        anchor_monotonic=chosen.midpoint_monotonic,
        anchor_server_ms=round(anchor_server_ms),
        skew_ms=skew_ms,
        rtt_ms=chosen.rtt_ms,
        samples_used=len(usable),
    )


def _bounded_offset_ms(samples: Sequence[Sample]) -> float | None:
    """The middle of the offsets every read allows at once; None if they allow none."""
    low = max(s.offset_bounds_ms[0] for s in samples)
    high = min(s.offset_bounds_ms[1] for s in samples)
    return (low + high) / 2 if low <= high else None


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
