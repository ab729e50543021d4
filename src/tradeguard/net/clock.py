"""The only module that reads the wall clock.

Everything else receives time as an argument or through a `Clock`, so that tests run on a
`FakeClock` and never sleep. Wall time (milliseconds since the epoch) is for timestamps the
exchange sees; monotonic time (seconds) is for measuring intervals, which a host clock step
(NTP, VM resume, DST mistakes) must not disturb.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def wall_ms(self) -> int:
        """Milliseconds since the Unix epoch, as the host believes it."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards; only differences mean anything."""
        ...


class SystemClock:
    """The host's clocks. `skew_ms` shifts wall time, to play a host whose clock is off."""

    def __init__(self, skew_ms: int = 0) -> None:
        self.skew_ms = skew_ms

    def wall_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.skew_ms

    # the function itself, not a method around it: the journal reads it once per event
    monotonic = staticmethod(time.monotonic)

    def __repr__(self) -> str:
        return f"SystemClock(skew_ms={self.skew_ms})"


class FakeClock:
    """A clock that moves only when told to: `advance(seconds)` or `set_wall_ms(ms)`.

    `set_wall_ms` can jump wall time backwards (like an NTP step) while monotonic time stays put.
    """

    def __init__(self, wall_ms: int = 1_767_225_600_000, monotonic: float = 1_000.0) -> None:
        self._wall_ms = wall_ms
        self._monotonic = monotonic

    def wall_ms(self) -> int:
        return self._wall_ms

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot advance by a negative amount; use set_wall_ms")
        self._monotonic += seconds
        self._wall_ms += round(seconds * 1000)

    def set_wall_ms(self, wall_ms: int) -> None:
        self._wall_ms = wall_ms

    def __repr__(self) -> str:
        return f"FakeClock(wall_ms={self._wall_ms}, monotonic={self._monotonic})"


SYSTEM = SystemClock()
