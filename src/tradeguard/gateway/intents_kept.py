"""What each order asked for, as the gateway's replies and user stream need it, in bounded memory.

A reply or an executionReport shows fields `orders.Order` does not carry (time in force, stop
price, iceberg, quote amount, post-only as LIMIT_MAKER); they are the order's intent. The
gateway keeps the intents of the `size` orders used last, not every order it ever placed: a
gateway runs for weeks and its process must not grow with every order. An intent no longer kept
(an old order queried, or one placed outside the gateway) is read back from the journal
(`tg.intent_of`), where it was committed before the order left, and kept again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Final

from tradeguard.model import OrderIntent

KEPT: Final = 10_000  # far more than the orders a bot has open (Binance: 200 per symbol)


class IntentsKept:
    """The intents of the orders used last, the journal's answer for the others."""

    def __init__(self, from_journal: Callable[[str], OrderIntent | None], size: int = KEPT) -> None:
        self._from_journal = from_journal
        self._size = size
        # client order id -> its intent (None: the journal has none, an adopted order)
        self._kept: OrderedDict[str, OrderIntent | None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def keep(self, intent: OrderIntent) -> None:
        self._put(intent.client_order_id, intent)

    def get(self, client_order_id: str) -> OrderIntent | None:
        """The order's intent (None for an order placed with none: adopted from the exchange)."""
        kept = self._kept
        if client_order_id in kept:
            kept.move_to_end(client_order_id)
            return kept[client_order_id]
        found = self._from_journal(client_order_id)
        self._put(client_order_id, found)
        return found

    def _put(self, client_order_id: str, intent: OrderIntent | None) -> None:
        self._kept[client_order_id] = intent
        self._kept.move_to_end(client_order_id)
        if len(self._kept) > self._size:
            self._kept.popitem(last=False)
