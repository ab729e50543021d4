"""The call counters of one API key (Kraken's), shared by every session and process on this host.

Kraken counts calls per API key, whoever makes them: two sessions on one key, a restarted bot
and the one it replaced, the key audit at connect. So no session keeps a count of its own: the
levels live in a small file under the user's state directory, read, checked, spent and written
back under one exclusive `flock` (`hoststate.HostState`, as Binance's per-host budget is), so
two processes never both take the last room. The file is named by a fingerprint of the venue's
host and the key, never by the key itself; it holds nothing but levels and times.

Since the count is the whole host's and holds the audit's calls too, the only calls it can miss
are other hosts' on the same key: it lets calls use `HEADROOM` of the counter (Kraken's
Starter 15: 13.5), keeping one call and a half for those and for the decay's rounding.

In one process every session on a key shares one `KeyCounters`, and with it the reservations:
`hold` keeps room back for the calls made inside it (resolving an order whose outcome is
unknown), which no ordinary call may take while the hold lasts.
"""

from __future__ import annotations

import contextvars
import hashlib
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tradeguard.net.callcounter import ZERO, CallCounter, CounterRule
from tradeguard.net.hoststate import HostState
from tradeguard.net.hoststate import default_dir as hosts_dir

# the KeyCounters whose reservation the running task holds (its calls may use the reserve)
_HOLDING: contextvars.ContextVar[tuple[KeyCounters, ...]] = contextvars.ContextVar(
    "tradeguard_counter_holds", default=()
)
HEADROOM = Decimal("0.9")
_OPEN: weakref.WeakValueDictionary[Path, KeyCounters] = weakref.WeakValueDictionary()


def fingerprint(host: str, api_key: str) -> str:
    """A name for the key's counters that does not reveal the key (nor is reversible to it)."""
    return hashlib.sha256(f"tradeguard-counter\n{host}\n{api_key}".encode()).hexdigest()[:32]


def default_dir() -> Path:
    return hosts_dir().parent / "counters"


def key_counters(
    venue: str,
    host: str,
    api_key: str,
    rules: Sequence[CounterRule],
    directory: Path | None = None,
) -> KeyCounters:
    """The counters of `api_key` at `host`, one object per key in this process."""
    path = (directory or default_dir()) / f"{venue}-{fingerprint(host, api_key)}.json"
    found = _OPEN.get(path)
    if found is None or found.rules != tuple(rules):
        found = KeyCounters(rules, path)
        _OPEN[path] = found
    return found


class KeyCounters:
    """One key's decaying counters, as every process on this host has spent them."""

    def __init__(self, rules: Sequence[CounterRule], path: Path) -> None:
        self.rules = tuple(rules)
        self._counters = [CallCounter(rule, HEADROOM) for rule in self.rules]
        self._state = HostState(path.stem, path.parent)
        weakref.finalize(self, self._state.close)
        self._holds: list[tuple[int, ...]] = []
        self._peaks = [Decimal(0)] * len(self.rules)  # highest level seen after a call, per rule

    # ── spending ──────────────────────────────────────────────────────────────────────────
    def admit(self, costs: Sequence[int], now_ms: int) -> float:
        """Count a call adding `costs` (one per rule) if it fits now, and return 0; else
        count nothing and return how long to wait before asking again."""
        reserve = self._reserve()
        with self._state.locked() as shared:
            self._load(shared)
            wait = max(
                (
                    c.wait_s(n, now_ms, r)
                    for c, n, r in zip(self._counters, costs, reserve, strict=True)
                ),
                default=0.0,
            )
            if wait <= 0:
                for i, (counter, cost) in enumerate(zip(self._counters, costs, strict=True)):
                    counter.spend(cost, now_ms)
                    self._peaks[i] = max(self._peaks[i], counter.level)
            self._store(shared)
        return wait

    def peaks(self) -> list[tuple[CounterRule, Decimal]]:
        """Each counter's highest level after a call of this process (every process's calls
        counted in it), beside its rule."""
        return list(zip(self.rules, self._peaks, strict=True))

    def observe_full(self, now_ms: int) -> None:
        """The venue refused a call for its counter: take every counter as full now."""
        with self._state.locked() as shared:
            self._load(shared)
            for counter in self._counters:
                counter.observe_full(now_ms)
            self._store(shared)

    def affordable(self, costs: Sequence[int], now_ms: int) -> int | None:
        """How many calls adding `costs` fit now for the running task (None: no counter
        limits them)."""
        reserve = self._reserve()
        with self._state.locked() as shared:
            self._load(shared)
            limited = [
                int(c.room(now_ms, r) // n)
                for c, n, r in zip(self._counters, costs, reserve, strict=True)
                if n
            ]
        return min(limited) if limited else None

    # ── reservations ──────────────────────────────────────────────────────────────────────
    @contextmanager
    def hold(self, costs: Sequence[int]) -> Iterator[None]:
        """While inside: `costs` of room (at most half of each allowance, all holds together)
        are kept for calls made in this task, and no ordinary call takes it."""
        held = tuple(costs)
        self._holds.append(held)
        token = _HOLDING.set((*_HOLDING.get(), self))
        try:
            yield
        finally:
            _HOLDING.reset(token)
            self._holds.remove(held)

    @property
    def held(self) -> bool:
        """Whether some task holds room now."""
        return bool(self._holds)

    def _reserve(self) -> tuple[Decimal, ...]:
        """The room the running task must leave: none inside a hold, else what the holds
        keep."""
        if not self._holds or self in _HOLDING.get():
            return tuple(ZERO for _ in self._counters)
        return tuple(
            min(Decimal(sum(h[i] for h in self._holds)), c.allowed / 2)
            for i, c in enumerate(self._counters)
        )

    # ── the shared file ───────────────────────────────────────────────────────────────────
    def _load(self, shared: dict[str, Any]) -> None:
        levels = shared.get("levels")
        for counter in self._counters:
            saved = levels.get(_name(counter.rule)) if isinstance(levels, dict) else None
            try:
                level, at_ms = Decimal(saved[0]), int(saved[1])  # type: ignore[index]
            except (TypeError, ValueError, IndexError, InvalidOperation):
                continue  # never written, or not ours: this process's own count stands
            counter.level, counter.at_ms = level, at_ms

    def _store(self, shared: dict[str, Any]) -> None:
        shared["levels"] = {
            _name(c.rule): [str(c.level), c.at_ms] for c in self._counters
        }  # fmt: skip


def _name(rule: CounterRule) -> str:
    return f"{rule.limit}/{rule.decay_per_s}"
