"""The user side of one symbol's book: resting orders by price level, in time priority.

Each side keeps a sorted list of the prices that hold orders (bisect, never a full re-sort) and a
FIFO per price. The synthetic levels live in `market.py`; the engine merges both, users first at
an equal price (an order that joins a synthetic price level is treated as ahead of it, which is
what lets synthetic taker flow reach an order resting at the best synthetic price).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from tradeguard.sim.records import SimOrder, SymbolSpec

ZERO = Decimal(0)


@dataclass(slots=True, eq=False)
class Live:
    """An open order as the engine tracks it: the order record plus engine-only state."""

    order: SimOrder
    spec: SymbolSpec
    reserved: Decimal  # funds still locked for it: quote on a BUY, base on a SELL
    limit: Decimal | None  # price it rests or takes at; None for a market order
    visible: Decimal = ZERO  # shown quantity (an iceberg's current part; else the remainder)
    activated: bool = False  # trailing stop: tracking has started
    extreme: Decimal = ZERO  # trailing stop: best price seen since activation
    prevented: Decimal = ZERO  # quantity expired by self-trade prevention
    prevented_match: tuple[int, int] = (-1, -1)  # (prevented match id, counter order id)
    on_book: bool = False  # resting in a SideBook
    waiting: bool = False  # a stop order that has not triggered yet
    sibling: Live | None = None  # the other leg of an OCO, while both are open

    @property
    def remaining(self) -> Decimal:
        return self.order.orig_qty - self.order.executed_qty

    @property
    def is_buy(self) -> bool:
        return self.order.side == "BUY"

    def refresh_visible(self) -> None:
        """Show the next iceberg part (or the whole remainder for a plain order)."""
        rest = self.remaining
        ice = self.order.iceberg_qty
        self.visible = min(ice, rest) if ice > 0 else rest


class SideBook:
    """One side: bids (best = highest) or asks (best = lowest)."""

    def __init__(self, bids: bool) -> None:
        self.bids = bids
        self.prices: list[Decimal] = []  # ascending
        self.levels: dict[Decimal, deque[Live]] = {}
        self.shown_qty: dict[Decimal, Decimal] = {}  # displayed quantity per price
        self.count = 0
        # Prices whose displayed quantity may have changed since the public book last looked
        # (engine_depth.py takes and clears them).
        self.dirty: set[Decimal] = set()

    def __bool__(self) -> bool:
        return self.count > 0

    def best(self) -> Decimal | None:
        if not self.prices:
            return None
        return self.prices[-1] if self.bids else self.prices[0]

    def head(self) -> Live | None:
        best = self.best()
        return None if best is None else self.levels[best][0]

    def add(self, live: Live) -> None:
        price = live.limit
        assert price is not None
        level = self.levels.get(price)
        if level is None:
            level = self.levels[price] = deque()
            insort(self.prices, price)
        level.append(live)
        self.shown_qty[price] = self.shown_qty.get(price, ZERO) + live.visible
        self.count += 1
        self.dirty.add(price)

    def remove(self, live: Live) -> None:
        price = live.limit
        assert price is not None
        level = self.levels[price]
        level.remove(live)
        self.count -= 1
        self.dirty.add(price)
        if level:
            self.shown_qty[price] -= live.visible
        else:
            del self.levels[price]
            del self.shown_qty[price]
            del self.prices[bisect_left(self.prices, price)]

    def take(self, live: Live, qty: Decimal) -> None:
        """`qty` (at most the shown part) left the order's displayed quantity."""
        assert live.limit is not None
        live.visible -= qty
        self.shown_qty[live.limit] -= qty
        self.dirty.add(live.limit)

    def reshow(self, live: Live) -> None:
        """An iceberg showing its next part goes to the back of its price's queue."""
        assert live.limit is not None
        before = live.visible
        live.refresh_visible()
        self.shown_qty[live.limit] += live.visible - before
        self.dirty.add(live.limit)
        level = self.levels[live.limit]
        if len(level) > 1:
            level.remove(live)
            level.append(live)

    def crosses(self, price: Decimal, limit: Decimal | None) -> bool:
        """Whether a taker with `limit` (None = market) may trade at `price` on this side."""
        if limit is None:
            return True
        return price >= limit if self.bids else price <= limit

    def iter_prices(self) -> Iterator[Decimal]:
        """Prices best first."""
        return reversed(self.prices) if self.bids else iter(self.prices)

    def orders(self) -> Iterator[Live]:
        """Every order, in priority order."""
        for price in list(self.iter_prices()):
            yield from list(self.levels.get(price, ()))

    def shown(self, price: Decimal) -> Decimal:
        """Displayed quantity at a price (icebergs show only their current part)."""
        return self.shown_qty.get(price, ZERO)

    def total(self, price: Decimal) -> Decimal:
        """Everything executable at a price, hidden iceberg parts included."""
        return sum((live.remaining for live in self.levels.get(price, ())), ZERO)
