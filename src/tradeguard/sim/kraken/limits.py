"""Kraken's REST rate limit as a pure ledger: one call counter per API key that decays.

Each private call adds to the key's counter (1, or 2 for TradesHistory and Ledgers; AddOrder
and CancelOrder add nothing, as they count on the matching engine's limiter instead). The
counter falls by `decay_per_s` every second. A call that would take it past `max_counter` is
refused with `EAPI:Rate limit exceeded` and counts nothing; `lockout_after` refusals in a row
lock the key out for `lockout_ms` (`EGeneral:Temporary lockout` on every call), which is how
this simulator plays Kraken's lockout [I: Kraken documents the error, not its trigger].

Defaults are Kraken's Starter tier (15, -0.33/s). Orders use the venue-neutral order windows of
`sim.ledger` (its `orders_per_10s` / `orders_per_day`), answered `EOrder:Rate limit exceeded`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from tradeguard.sim.kraken.errors import LOCKOUT, RATE_LIMIT, KrakenError

SECOND_MS: Final = 1000


@dataclass(frozen=True, slots=True)
class KrakenLimits:
    max_counter: int = 15
    decay_per_s: Decimal = Decimal("0.33")
    lockout_after: int = 5
    lockout_ms: int = 15 * 60 * SECOND_MS

    def __post_init__(self) -> None:
        if self.max_counter < 1 or self.lockout_after < 1 or self.lockout_ms < 1:
            raise ValueError("Kraken limits must be positive")
        if self.decay_per_s < 0:
            raise ValueError("decay_per_s cannot be negative")


@dataclass(slots=True)
class _KeyState:
    counter: Decimal = Decimal(0)
    at_ms: int = 0
    refusals: int = 0
    locked_until_ms: int = 0


@dataclass(slots=True)
class CallCounter:
    limits: KrakenLimits = field(default_factory=KrakenLimits)
    _keys: dict[str, _KeyState] = field(default_factory=dict)

    def _decayed(self, st: _KeyState, now_ms: int) -> Decimal:
        elapsed = Decimal(max(0, now_ms - st.at_ms)) / SECOND_MS
        return max(Decimal(0), st.counter - elapsed * self.limits.decay_per_s)

    def admit(self, api_key: str, cost: int, now_ms: int) -> None:
        """Count a call of `cost` for the key, or raise KrakenError (rate limit / lockout)."""
        st = self._keys.setdefault(api_key, _KeyState(at_ms=now_ms))
        if now_ms < st.locked_until_ms:
            raise KrakenError(LOCKOUT)
        counter = self._decayed(st, now_ms)
        st.counter, st.at_ms = counter, now_ms
        if counter + cost > self.limits.max_counter:
            st.refusals += 1
            if st.refusals >= self.limits.lockout_after:
                st.locked_until_ms = now_ms + self.limits.lockout_ms
                st.refusals = 0
            raise KrakenError(RATE_LIMIT)
        st.refusals = 0
        st.counter = counter + cost

    def counter(self, api_key: str, now_ms: int) -> Decimal:
        st = self._keys.get(api_key)
        return self._decayed(st, now_ms) if st is not None else Decimal(0)

    def reset(self) -> None:
        self._keys.clear()

    def to_json(self, now_ms: int) -> dict[str, object]:
        return {
            "max_counter": self.limits.max_counter,
            "decay_per_s": str(self.limits.decay_per_s),
            "keys": {
                k: {
                    "counter": str(self._decayed(st, now_ms).quantize(Decimal("0.01"))),
                    "locked_until_ms": st.locked_until_ms if now_ms < st.locked_until_ms else None,
                }
                for k, st in sorted(self._keys.items())
            },
        }
