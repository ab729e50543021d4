"""The synthetic side of one symbol's book: a seeded reference price and maker levels around it.

The reference price is a random walk in whole ticks (one move per `MarketParams.step_ms`), so it
is always an exact `Decimal` on the tick grid. The move itself is drawn as a float from the
symbol's own `random.Random`, seeded from the engine seed and the symbol name: a symbol's price
path depends on nothing but the seed and the number of steps, whatever happens on other symbols.

Around the reference sit `levels` maker levels per side, `half_spread_ticks` from it and
`level_gap_ticks` apart, each worth `level_qty_quote`. Takers consume them; a consumed level is
refilled by `replenish_per_step` of what was taken, every step. Levels are indexed from the top
of the book, so what a taker took stays taken as the price moves (as a thin book would behave).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import ROUND_CEILING, Decimal

from tradeguard.sim.filters import floor_to
from tradeguard.sim.records import MarketParams, SymbolSpec

ZERO = Decimal(0)


class SyntheticMarket:
    def __init__(self, spec: SymbolSpec, params: MarketParams, seed: int) -> None:
        self.spec = spec
        self.params = params
        self.tick = spec.tick_size
        self.step_qty = spec.step_size
        self._rng = random.Random(f"{seed}:{spec.symbol}:walk")
        # Relative std-dev of one step; a float only feeds the random draw, never money.
        self._sigma = float(params.volatility_bps) / 10000.0
        self.min_ticks = max(1, int((spec.min_price / self.tick).to_integral_value(ROUND_CEILING)))
        self.max_ticks = int(spec.max_price / self.tick) if spec.max_price else 10**15
        self.ticks = self.clamp(int((spec.initial_price / self.tick).to_integral_value()))
        self.consumed: dict[str, list[Decimal]] = {
            "BUY": [ZERO] * params.levels,  # bids: levels a synthetic buyer shows
            "SELL": [ZERO] * params.levels,  # asks
        }
        self.any_consumed = False
        # What changed since the public book last looked (engine_depth.py takes it): the
        # whole ladder when the reference moved, else the indices of levels taken or refilled.
        self.moved = True
        self.changed: dict[str, set[int]] = {"BUY": set(), "SELL": set()}
        self._keep = Decimal(1) - params.replenish_per_step
        self._ladder_ticks = -1
        self._ladder: dict[str, list[tuple[Decimal, Decimal]]] = {"BUY": [], "SELL": []}
        # Per side, what top() last found; forgotten whenever the ladder moves or a level of
        # that side is taken or refilled. An order asks for the top several times (its walk,
        # then the top of book) with no change in between.
        self._tops: dict[str, tuple[int, Decimal, Decimal] | None] = {}

    def clamp(self, ticks: int) -> int:
        return min(max(ticks, self.min_ticks), self.max_ticks)

    @property
    def ref(self) -> Decimal:
        return self.tick * self.ticks

    def step(self) -> None:
        """One step of simulator time: move the reference, refill consumed levels."""
        move = round(self.ticks * self._sigma * self._rng.gauss(0.0, 1.0))
        if move:
            ticks = self.clamp(self.ticks + move)
            if ticks != self.ticks:
                self.ticks = ticks
                self.moved = True
                self._tops.clear()
        if self.any_consumed:
            self._replenish()

    def set_ref(self, price: Decimal) -> None:
        ticks = self.clamp(int((price / self.tick).to_integral_value()))
        if ticks != self.ticks:
            self.ticks = ticks
            self.moved = True
            self._tops.clear()

    def _replenish(self) -> None:
        self._tops.clear()
        still = False
        for side, levels in self.consumed.items():
            for i, taken in enumerate(levels):
                if taken:
                    left = floor_to(taken * self._keep, self.step_qty)
                    levels[i] = left
                    self.changed[side].add(i)
                    still = still or left > 0
        self.any_consumed = still

    # ── the ladder ──────────────────────────────────────────────────────────────────────────
    def _level_ticks(self, side: str, i: int) -> int:
        offset = self.params.half_spread_ticks + i * self.params.level_gap_ticks
        return self.ticks - offset if side == "BUY" else self.ticks + offset

    def best_price(self, side: str) -> Decimal | None:
        """Best synthetic price on `side` ("BUY" = bids), ignoring what was consumed."""
        t = self._level_ticks(side, 0)
        if t < self.min_ticks or t > self.max_ticks:
            return None
        return self.tick * t

    def ladder(self, side: str) -> list[tuple[Decimal, Decimal]]:
        """(price, full size) per level, best first; rebuilt only when the reference moved."""
        if self._ladder_ticks != self.ticks:
            self._ladder_ticks = self.ticks
            for s in ("BUY", "SELL"):
                rows: list[tuple[Decimal, Decimal]] = []
                for i in range(self.params.levels):
                    t = self._level_ticks(s, i)
                    if t < self.min_ticks or t > self.max_ticks:
                        break
                    price = self.tick * t
                    rows.append(
                        (price, floor_to(self.params.level_qty_quote / price, self.step_qty))
                    )
                self._ladder[s] = rows
        return self._ladder[side]

    def levels(self, side: str) -> list[tuple[int, Decimal, Decimal]]:
        """(index, price, available) for levels with something left, best first."""
        return list(self.iter_levels(side))

    def iter_levels(self, side: str) -> Iterator[tuple[int, Decimal, Decimal]]:
        """`levels(side)` one at a time, for a reader that may stop early: a small taker looks
        at the best level or two, not all of them. The market must not change meanwhile."""
        taken = self.consumed[side]
        for i, (price, size) in enumerate(self.ladder(side)):
            left = size - taken[i]
            if left > 0:
                yield i, price, left

    def top(self, side: str) -> tuple[int, Decimal, Decimal] | None:
        """The best level on `side` with something left: (index, price, available)."""
        if side in self._tops:
            return self._tops[side]
        found = None
        taken = self.consumed[side]
        for i, (price, size) in enumerate(self.ladder(side)):
            left = size - taken[i]
            if left > 0:
                found = i, price, left
                break
        self._tops[side] = found
        return found

    def available(self, side: str, index: int) -> tuple[Decimal, Decimal]:
        """(price, what is left) of one level."""
        price, size = self.ladder(side)[index]
        return price, max(size - self.consumed[side][index], ZERO)

    def consume(self, side: str, index: int, qty: Decimal) -> None:
        self.consumed[side][index] += qty
        self._tops.pop(side, None)
        self.any_consumed = True
        self.changed[side].add(index)
