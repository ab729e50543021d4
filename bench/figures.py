"""One measured figure beside its baseline, and the small statistics the benchmarks share."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Figure:
    metric: str
    value: float
    unit: str
    baseline: str
    baseline_value: float

    @property
    def ratio(self) -> float:
        return self.value / self.baseline_value if self.baseline_value else float("nan")

    def as_json(self) -> dict[str, object]:
        return {
            "metric": self.metric,
            "value": round(self.value, 3),
            "unit": self.unit,
            "baseline": self.baseline,
            "baseline_value": round(self.baseline_value, 3),
            "ratio": round(self.ratio, 3),
        }

    def describe(self) -> str:
        return (
            f"{self.metric}: {self.value:,.1f} {self.unit}  vs {self.baseline} "
            f"{self.baseline_value:,.1f} {self.unit}  (ratio {self.ratio:.2f})"
        )


def median(values: list[float]) -> float:
    return statistics.median(values)


def timed_runs(prepare: Callable[[], Callable[[], Any]], reps: int) -> float:
    """Median wall seconds of `reps` runs of the callable `prepare()` returns (each prepared
    afresh, the preparation untimed, garbage collected before)."""
    times = []
    for _ in range(reps):
        run = prepare()
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return median(times)


def timed(fn: Callable[[], Any], reps: int) -> float:
    """Median wall seconds of `reps` runs of `fn` (garbage collected before each)."""
    return timed_runs(lambda: fn, reps)


async def timed_calls(
    one: Callable[[int], Awaitable[object]],
    n: int,
    *,
    warm_up: int,
    settle: Callable[[], Awaitable[object]] | None = None,
    then: Callable[[], Awaitable[object]] | None = None,
) -> tuple[float, float]:
    """(CPU seconds of this process, wall seconds) of `n` awaited calls `one(i)`, after
    `warm_up` untimed ones and `settle()`; `then()`, awaited inside the timed part, is work
    the calls left behind that is part of their cost (the stream's fills)."""
    for i in range(warm_up):
        await one(i)
    if settle is not None:
        await settle()
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(n):
        await one(i)
    if then is not None:
        await then()
    return time.process_time() - cpu, time.perf_counter() - wall
