"""A decaying call counter, the kind of rate limit Kraken keeps per API key.

Pure: time arrives as milliseconds. Each call adds its cost to the counter; the counter falls
by `decay_per_s` every second, never below zero; a call that would take it past the maximum
is refused by the venue (and enough refusals in a row lock the key out). Fixed windows
(`ratelimit.RateLedger`) cannot say this: a full counter frees room a little at a time, not at
a window's edge. tradeguard keeps its own copy of the count and lets a call leave only when
it fits under `headroom` of the maximum, so the venue never has to refuse one.

A `reserve` keeps part of that allowance back for calls that must not wait behind the others
(resolving an order whose outcome is unknown): an ordinary call fits only under the allowance
less the reserve, a call the reserve is kept for under the whole allowance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from tradeguard.errors import ConfigError

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class CounterRule:
    """A counter that refuses past `limit` and falls by `decay_per_s` each second."""

    limit: int
    decay_per_s: Decimal

    def __post_init__(self) -> None:
        if self.limit < 1 or self.decay_per_s <= 0:
            raise ConfigError(
                f"a call counter needs a positive limit and decay, got {self.limit}, "
                f"{self.decay_per_s}/s"
            )

    def describe(self) -> str:
        return f"a call counter of {self.limit} falling {self.decay_per_s} a second"


@dataclass(slots=True)
class CallCounter:
    """Our count of one venue counter: what calls have added, decayed to now."""

    rule: CounterRule
    headroom: Decimal = Decimal("0.8")  # the share of the maximum we let ourselves use
    level: Decimal = ZERO
    at_ms: int = 0

    @property
    def allowed(self) -> Decimal:
        return self.rule.limit * self.headroom

    def level_at(self, now_ms: int) -> Decimal:
        elapsed = Decimal(max(0, now_ms - self.at_ms)) / 1000
        return max(ZERO, self.level - elapsed * self.rule.decay_per_s)

    def room(self, now_ms: int, reserve: Decimal = ZERO) -> Decimal:
        """What calls may still add now without waiting (ordinary calls: less `reserve`)."""
        return max(ZERO, self.allowed - reserve - self.level_at(now_ms))

    def wait_s(self, cost: int, now_ms: int, reserve: Decimal = ZERO) -> float:
        """How long until a call of `cost` fits under the allowance less `reserve` (0: now).
        A call larger than that waits for an empty counter."""
        if cost <= 0:
            return 0.0
        level = self.level_at(now_ms)
        target = max(ZERO, self.allowed - reserve - cost)
        if level <= target:
            return 0.0
        # whole milliseconds, rounded up: after waiting them the call fits (time is in ms)
        return math.ceil((level - target) / self.rule.decay_per_s * 1000) / 1000

    def spend(self, cost: int, now_ms: int) -> None:
        """Count a call that is about to leave."""
        self.level, self.at_ms = self.level_at(now_ms) + max(0, cost), max(now_ms, self.at_ms)

    def observe_full(self, now_ms: int) -> None:
        """The venue refused a call for its counter: someone else spends on this key too, so
        take the counter as full now (it falls from there)."""
        self.level, self.at_ms = Decimal(self.rule.limit), max(now_ms, self.at_ms)
