"""Each local key's own limits, checked before the session's guard sees the order.

One gateway may serve several bots, each with a key of its own and limits of its own (the
profile's `[profiles.NAME.gateway]` keys). A bot over its own limit is refused as Binance would
refuse it, naming the limit: over `max_orders_per_minute` is -1015 (HTTP 429, "Too many new
orders; current limit is N orders per MINUTE."), over `max_order_notional` is -2010 with
`tradeguard: local key NAME: ...`. Nothing is journaled or sent for such an order: the limit
is the bot's, the session's limits still apply to what passes.
"""

from __future__ import annotations

import math
from collections import deque
from decimal import Decimal
from typing import Final

from tradeguard import risk
from tradeguard.gateway.local_keys import LocalKey
from tradeguard.gateway.wire_errors import GUARD_REFUSED, WireError, binance
from tradeguard.model import OrderIntent

MINUTE_S: Final = 60.0


class KeyLimits:
    """The per-key order rate (a sliding minute) and notional checks."""

    def __init__(self) -> None:
        self._placed: dict[str, deque[float]] = {}  # key name -> monotonic times in the window

    def check(
        self, key: LocalKey, wanted: OrderIntent, last_price: Decimal | None, now_s: float
    ) -> None:
        """Raise the Binance-shaped refusal if `wanted` would take `key` over a limit of its
        own; else count it (a refused order does not count against the rate)."""
        self.check_notional(key, wanted, last_price)
        self.count(key, now_s)

    def check_all(
        self, key: LocalKey, legs: list[tuple[OrderIntent, Decimal | None]], now_s: float
    ) -> None:
        """The legs of one order list (each with the last price to measure it by): every leg
        checked, then all counted at once, or none (the list is refused whole)."""
        for wanted, last_price in legs:
            self.check_notional(key, wanted, last_price)
        self.count(key, now_s, len(legs))

    @staticmethod
    def check_notional(key: LocalKey, wanted: OrderIntent, last_price: Decimal | None) -> None:
        """-2010 naming the key's max_order_notional if `wanted` is over it."""
        if key.max_order_notional is not None:
            notional = risk.order_notional(wanted, last_price)
            if notional is None:
                raise WireError(
                    GUARD_REFUSED,
                    f"tradeguard: local key {key.name}: no price to measure the order against "
                    f"its max_order_notional {key.max_order_notional}; give a price",
                    400,
                )
            if notional > key.max_order_notional:
                raise WireError(
                    GUARD_REFUSED,
                    f"tradeguard: local key {key.name}: order notional {notional.normalize():f} "
                    f"is over its max_order_notional {key.max_order_notional}",
                    400,
                )

    def used(self, key: LocalKey, now_s: float) -> int:
        """The orders `key` placed in the last minute (what its rate limit counts)."""
        window = self._placed.get(key.name)
        return sum(1 for at in window if now_s - at < MINUTE_S) if window else 0

    def count(self, key: LocalKey, now_s: float, orders: int = 1) -> None:
        """Count `orders` against the key's rate; -1015 (429, Retry-After) when they do not
        all fit (then none is counted)."""
        if key.max_orders_per_minute is not None:
            window = self._placed.setdefault(key.name, deque())
            while window and now_s - window[0] >= MINUTE_S:
                window.popleft()
            if len(window) + orders > key.max_orders_per_minute:
                refused = binance(-1015, key.max_orders_per_minute, "MINUTE")
                # room comes once enough of the oldest have left the minute (a list larger
                # than the whole limit never fits: a minute is said)
                to_free = len(window) + orders - key.max_orders_per_minute
                freed_at = window[to_free - 1] if to_free <= len(window) else now_s
                wait_s = max(1, math.ceil(MINUTE_S - (now_s - freed_at)))
                raise WireError(refused.code, refused.msg, refused.http_status, wait_s)
            window.extend([now_s] * orders)
