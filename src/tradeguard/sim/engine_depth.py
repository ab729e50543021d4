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
synthetic levels the market marked changed (every one when the reference moved).
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

    def _synthetic_changes(self, buy: bool, market: SyntheticMarket) -> set[Decimal]:
        """Bring the synthetic part of one side up to date; the prices it may have changed."""
        side = "BUY" if buy else "SELL"
        before = self._synthetic[buy]
        if market.moved:
            now = {price: left for _, price, left in market.levels(side)}
            self._synthetic[buy] = now
            return before.keys() | now.keys()
        prices = set()
        for index in market.changed[side]:
            price, left = market.available(side, index)
            if left:
                before[price] = left
            else:
                before.pop(price, None)
            prices.add(price)
        return prices

    def _side_changes(self, buy: bool, user: SideBook, market: SyntheticMarket) -> list[Level]:
        """The levels of one side that differ from what was published, now published."""
        side = "BUY" if buy else "SELL"
        if not (market.moved or market.changed[side] or user.dirty):
            return []  # this side was not touched (a market order takes from one side only)
        published = self.levels[buy]
        candidates = self._synthetic_changes(buy, market)
        candidates.update(user.dirty)
        user.dirty = set()
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
        changes.sort(reverse=buy)
        return changes

    def publish(
        self,
        symbol: str,
        market: SyntheticMarket,
        bids: SideBook,
        asks: SideBook,
        now: int,
        event: bool = True,
    ) -> dict[str, Any] | None:
        """Publish what changed since the last call: a depthUpdate payload, or None (also when
        not `event`: the book and its update ids move on, no payload is built)."""
        changed = market.changed
        if not (market.moved or changed["BUY"] or changed["SELL"] or bids.dirty or asks.dirty):
            return None
        sides = [self._side_changes(True, bids, market), self._side_changes(False, asks, market)]
        market.moved = False
        changed["BUY"].clear()
        changed["SELL"].clear()
        count = len(sides[0]) + len(sides[1])
        if not count:
            return None
        first = self.update_id + 1
        self.update_id += count
        if not event:
            return None
        return depth_update_event(
            now, symbol, first, self.update_id, levels_json(sides[0]), levels_json(sides[1])
        )

    def snapshot(self, limit: int) -> tuple[int, list[Level], list[Level]]:
        """(lastUpdateId, bids best first, asks best first), `limit` levels a side."""
        bids = sorted(self.levels[True].items(), reverse=True)[:limit]
        asks = sorted(self.levels[False].items())[:limit]
        return self.update_id, bids, asks
