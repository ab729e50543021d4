"""The rejection breaker: stop resending what the exchange keeps rejecting the same way. Pure.

A bot that retries an order rejected for "insufficient balance" all day burns the exchange's
daily order count and learns nothing. After `threshold` identical rejections within `window_s`
the breaker opens for that request shape (endpoint, symbol, side): it is refused locally until
the cool-down ends, then one attempt is let through; if that is rejected the same way too, the
breaker opens again for twice as long (capped).

Time is monotonic seconds, passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tradeguard.errors import BreakerOpen


@dataclass(slots=True)
class _Circuit:
    rejection: str = ""
    times: list[float] = field(default_factory=list)
    open_until: float = 0.0
    cooldown_s: float = 0.0


@dataclass(slots=True)
class RejectionBreaker:
    threshold: int = 5
    window_s: float = 60.0
    cooldown_s: float = 60.0
    max_cooldown_s: float = 3600.0
    _circuits: dict[str, _Circuit] = field(default_factory=dict)
    trips: int = 0

    def check(self, what: str, now: float) -> None:
        """Raise `BreakerOpen` if `what` may not be sent now."""
        circuit = self._circuits.get(what)
        if circuit is not None and now < circuit.open_until:
            raise BreakerOpen(what, circuit.rejection, circuit.open_until - now)

    def rejected(self, what: str, rejection: str, now: float) -> bool:
        """Record a rejection; True if this one opened the breaker."""
        circuit = self._circuits.setdefault(what, _Circuit())
        if rejection != circuit.rejection:
            circuit.rejection, circuit.times, circuit.cooldown_s = rejection, [], 0.0
        circuit.times = [t for t in circuit.times if now - t < self.window_s] + [now]
        reopened_after_probe = circuit.cooldown_s > 0 and now >= circuit.open_until
        if len(circuit.times) >= self.threshold or reopened_after_probe:
            previous = circuit.cooldown_s
            circuit.cooldown_s = min(self.max_cooldown_s, previous * 2 or self.cooldown_s)
            circuit.open_until = now + circuit.cooldown_s
            circuit.times = []
            self.trips += 1
            return True
        return False

    def succeeded(self, what: str) -> None:
        self._circuits.pop(what, None)
