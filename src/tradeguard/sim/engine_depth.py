"""The public order book of one symbol and the update ids that number its changes.

What the public sees at a price is the synthetic level there plus the displayed quantity of the
user orders resting there. `PublicBook` keeps that merged book as it was last published; at the
end of every engine call (`publish`) it compares the book with the current one and, if a level
changed, takes the next update ids (one per changed level, as Binance numbers every book change)
and returns one depthUpdate payload with the changed levels ("0" for a level that went).

So `GET /api/v3/depth`'s lastUpdateId is always the `u` of the last update sent, and a client
that follows Binance's "manage a local order book" recipe (snapshot, then every update with
`u` above its lastUpdateId, each starting at the previous `u` + 1) holds exactly this book.

Only what may have changed is compared: the user prices the side books marked dirty, and the
synthetic levels when the synthetic market's version moved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeguard.sim.book import SideBook
from tradeguard.sim.market import SyntheticMarket
from tradeguard.sim.wire_market import depth_update_event, levels_json

ZERO = Decimal(0)
Level = tuple[Decimal, Decimal]


class PublicBook:
    def __init__(self) -> None:
        self.update_id = 1
        self.levels: dict[bool, dict[Decimal, Decimal]] = {True: {}, False: {}}  # bids, asks
        self._synthetic: dict[bool, dict[Decimal, Decimal]] = {True: {}, False: {}}
        self._synthetic_version = -1

    def _side_changes(
        self, buy: bool, user: SideBook, synthetic: dict[Decimal, Decimal] | None
    ) -> list[Level]:
        """The levels of one side that differ from what was published, now published."""
        published = self.levels[buy]
        candidates: set[Decimal] = user.dirty
        if synthetic is not None:
            candidates = candidates | synthetic.keys() | self._synthetic[buy].keys()
            self._synthetic[buy] = synthetic
        else:
            synthetic = self._synthetic[buy]
        changes: list[Level] = []
        for price in candidates:
            qty = synthetic.get(price, ZERO) + user.shown(price)
            if qty != published.get(price, ZERO):
                changes.append((price, qty))
                if qty:
                    published[price] = qty
                else:
                    del published[price]
        user.dirty = set()
        changes.sort(reverse=buy)
        return changes

    def publish(
        self, symbol: str, market: SyntheticMarket, bids: SideBook, asks: SideBook, now: int
    ) -> dict[str, Any] | None:
        """Publish what changed since the last call: a depthUpdate payload, or None."""
        moved = market.version != self._synthetic_version
        if not moved and not bids.dirty and not asks.dirty:
            return None
        self._synthetic_version = market.version
        sides = []
        for buy, user in ((True, bids), (False, asks)):
            synthetic = None
            if moved:
                synthetic = {
                    price: left for _, price, left in market.levels("BUY" if buy else "SELL")
                }
            sides.append(self._side_changes(buy, user, synthetic))
        count = len(sides[0]) + len(sides[1])
        if not count:
            return None
        first = self.update_id + 1
        self.update_id += count
        return depth_update_event(
            now, symbol, first, self.update_id, levels_json(sides[0]), levels_json(sides[1])
        )

    def snapshot(self, limit: int) -> tuple[int, list[Level], list[Level]]:
        """(lastUpdateId, bids best first, asks best first), `limit` levels a side."""
        bids = sorted(self.levels[True].items(), reverse=True)[:limit]
        asks = sorted(self.levels[False].items())[:limit]
        return self.update_id, bids, asks
