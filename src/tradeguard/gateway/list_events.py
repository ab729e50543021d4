"""An order list's `listStatus` events on the bot's user stream, made from the journal's legs.

Pure. The journal keeps each leg (its intent names the list), not the exchange's list events, so
the list's story is told from its legs as the journal folds them, after the leg's own report:

    every leg held by the exchange (an order id), the list not ended   EXEC_STARTED, EXECUTING
        (said again when that changes: an OTO's pending orders placed once its working one fills)
    the list ended                                                     ALL_DONE, ALL_DONE

A list has ended when every leg has, or when an OCO pair (an OCO's legs, an OTOCO's pending
two once its working order is done) has a leg the exchange expired: one leg triggered or traded,
so the other was expired and the list is done, as Binance says at that moment. Lists said done
are remembered (the last `KEPT`), so a late report of a leg does not end them twice; so are the
lists running.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Final

from tradeguard.model import OrderStatus
from tradeguard.orders import Order

Json = Any
KEPT: Final = 10_000
OCO: Final = "OCO"


@dataclass(frozen=True, slots=True)
class ListView:
    """An order list as the gateway shows it: its number, client id, kind and legs (by id)."""

    number: int
    list_client_order_id: str
    kind: str  # OCO or OTO (an OTOCO is an OTO)
    legs: list[Order]


class ListEvents:
    """What each list last said, so that each change is said once."""

    def __init__(self, kept: int = KEPT) -> None:
        # list id -> its pending legs when last said started (a list that ended while nobody
        # listened is never said done: the oldest are dropped past `kept`)
        self._started: OrderedDict[str, int] = OrderedDict()
        self._done: OrderedDict[str, None] = OrderedDict()
        self._kept = kept

    def after(self, view: ListView, now_ms: int, at_ms: int) -> list[Json]:
        """The listStatus a leg's report of `view`'s list leads to (none, most times)."""
        coid = view.list_client_order_id
        if coid in self._done or any(o.order_id is None for o in view.legs):
            return []  # ended and said so, or a leg the exchange does not hold yet
        if _ended(view):
            self._started.pop(coid, None)
            self._done[coid] = None
            while len(self._done) > self._kept:
                self._done.popitem(last=False)
            return [list_status(view, now_ms, at_ms, done=True)]
        pending = sum(1 for o in view.legs if o.status is OrderStatus.PENDING_NEW)
        if self._started.get(coid) == pending:
            return []
        self._started[coid] = pending
        self._started.move_to_end(coid)
        while len(self._started) > self._kept:
            self._started.popitem(last=False)
        return [list_status(view, now_ms, at_ms, done=False)]

    @property
    def remembered(self) -> int:
        """Lists still running whose last word is kept."""
        return len(self._started)


def _ended(view: ListView) -> bool:
    legs = view.legs
    if all(not o.is_open for o in legs):
        return True
    if view.kind == OCO:
        pair = legs
    elif len(legs) == 3 and not legs[0].is_open:
        pair = legs[1:]  # an OTOCO's pair, once its working order is done
    else:
        return False
    return any(o.status is OrderStatus.EXPIRED for o in pair)


def list_status(view: ListView, now_ms: int, at_ms: int, *, done: bool) -> Json:
    """Binance's listStatus event, field for field."""
    first = view.legs[0]
    return {
        "e": "listStatus",
        "E": now_ms,
        "s": first.symbol,
        "g": view.number,
        "c": view.kind,
        "l": "ALL_DONE" if done else "EXEC_STARTED",
        "L": "ALL_DONE" if done else "EXECUTING",
        "r": "NONE",
        "C": view.list_client_order_id,
        "T": at_ms,
        "O": [{"s": o.symbol, "i": o.order_id, "c": o.client_order_id} for o in view.legs],
    }
