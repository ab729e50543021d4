"""OTO and OTOCO order lists: a working order now, pending orders once it has filled.

The working order (LIMIT or LIMIT_MAKER) is placed and matched as any order. The pending ones
are registered at once as PENDING_NEW: they have ids, count against MAX_NUM_ORDERS, show in the
open orders and can be cancelled (which ends the whole list), but they are not on the book, lock
nothing and trigger nothing. When the working order fills completely, at the end of that engine
call (`activate_ready`), they are placed: funds locked (an OTOCO's pair once, as an OCO's), NEW
reports, a listStatus, then they work; an OTOCO's pair is an OCO from then on. Funds that are
not there by then expire them (Binance rejects a pending order it cannot place). A working order
that expires unfilled expires them too (engine_core.finish).
"""

from __future__ import annotations

import copy
from decimal import Decimal

from tradeguard.sim.book import Live
from tradeguard.sim.engine_core import PENDING, Core, OcoList, SymbolState
from tradeguard.sim.engine_match import execute
from tradeguard.sim.engine_orders import (
    check_oco_types,
    engine_checks,
    funds_needed,
    lock_funds,
    new_live,
    order_record,
    would_take,
)
from tradeguard.sim.engine_step import arm
from tradeguard.sim.filters import (
    DUPLICATE_ORDER,
    LIMIT_PRICED,
    MARKET_CLOSED,
    STOP_TYPES,
    check_filters,
    check_shape,
    filter_failure,
    rejected,
)
from tradeguard.sim.records import NewOrder, NewOto, PlaceResult
from tradeguard.sim.rejects import Reject

ZERO = Decimal(0)
WORKING_TYPES = ("LIMIT", "LIMIT_MAKER")


def _prefixes(oto: NewOto) -> list[str]:
    """The parameter prefix each leg was sent under (for -1102's names)."""
    if len(oto.pending) == 1:
        return ["working", "pending"]
    return ["working", "pendingAbove", "pendingBelow"]


def place_oto(core: Core, account: str, oto: NewOto) -> list[PlaceResult]:
    sym = core.books.get(oto.symbol)
    if sym is None:
        raise Reject(-1121, "Invalid symbol.")
    spec = sym.spec
    working = oto.working
    if working.type not in WORKING_TYPES:
        raise Reject(-1116, "Invalid orderType.")
    legs = [working, *oto.pending]
    for leg, prefix in zip(legs, _prefixes(oto), strict=True):
        check_shape(spec, leg, prefix=prefix)
        check_filters(spec, leg, sym.last)
    if len(oto.pending) == 2:
        check_oco_types(oto.pending[0].side, oto.pending[0].type, oto.pending[1].type)
    elif oto.pending[0].type == "MARKET" and oto.pending[0].quote_order_qty is not None:
        raise Reject(-1116, "Invalid orderType.")
    if core.open_count(account, oto.symbol) + len(legs) > spec.max_num_orders:
        raise filter_failure("MAX_NUM_ORDERS")
    if spec.status != "TRADING":
        raise rejected(MARKET_CLOSED)
    ids = [leg.new_client_order_id for leg in legs if leg.new_client_order_id]
    if len(set(ids)) < len(ids) or any((account, cid) in core.open_client for cid in ids):
        raise rejected(DUPLICATE_ORDER)
    engine_checks(core, sym, account, working)
    qty, reserve, required = funds_needed(core, sym, account, working)
    lock_funds(core, sym, account, working.side == "BUY", reserve, required)

    list_id = core.next_list_id
    core.next_list_id += 1
    for leg in legs:
        leg.order_list_id = list_id
    first = new_live(core, sym, account, working, qty, reserve)
    pending = [(_pending_live(core, sym, account, leg), leg) for leg in oto.pending]
    client_id = oto.list_client_order_id or core.new_client_id()
    lst = OcoList(list_id, client_id, account, oto.symbol, [first] + [p for p, _ in pending])
    lst.contingency, lst.pending = "OTO", pending
    core.lists[(oto.symbol, list_id)] = lst
    core.report(first, "NEW", core.now, on_book=True)
    for live, _ in pending:
        core.report(live, "NEW", core.now, on_book=False)
    core.list_status(lst, core.now, done=False)
    replies = [copy.copy(live.order) for live in lst.legs]  # as placed: pending PENDING_NEW
    execute(core, sym, first, core.now)
    replies[0] = copy.copy(first.order)  # the working order may have traded at once
    resp = oto.new_order_resp_type or "FULL"
    return [PlaceResult(o, [], resp) for o in replies]


def _pending_live(core: Core, sym: SymbolState, account: str, leg: NewOrder) -> Live:
    """A pending order: numbered and registered, off the book, locking nothing."""
    o = order_record(leg)
    o.account = account
    o.order_id = sym.next_order_id
    sym.next_order_id += 1
    o.client_order_id = leg.new_client_order_id or core.new_client_id()
    o.status = PENDING
    o.time = o.update_time = core.now
    limit = leg.price if leg.type in LIMIT_PRICED else None
    live = Live(order=o, spec=sym.spec, reserved=ZERO, limit=limit)
    core.register(sym, live)
    return live


def activate_ready(core: Core) -> None:
    """Place the pending orders of every list whose working order filled."""
    while core.ready:
        lst = core.ready.pop(0)
        waiting, lst.pending = lst.pending, []
        legs = [(live, leg) for live, leg in waiting if live.order.status == PENDING]
        if legs:
            _activate(core, core.books[lst.symbol], lst, legs)


def _activate(
    core: Core, sym: SymbolState, lst: OcoList, legs: list[tuple[Live, NewOrder]]
) -> None:
    now = core.now
    account = lst.account
    buy = legs[0][0].is_buy
    needs = [funds_needed(core, sym, account, leg) for _, leg in legs]
    reserve = max(n[1] for n in needs) if buy else needs[0][0]
    required = max(n[2] for n in needs) if buy else reserve
    asset = sym.spec.quote if buy else sym.spec.base
    takes = any(
        leg.type == "LIMIT_MAKER" and leg.price is not None and would_take(sym, buy, leg.price)
        for _, leg in legs
    )
    if takes or core.ledger.free(account, asset) < max(reserve, required):
        for live, _ in legs:  # Binance cannot place them: they expire, and the list with them
            core.finish(sym, live, now, "EXPIRED", "EXPIRED")
        return
    core.ledger.lock(account, asset, reserve)
    for index, (live, leg) in enumerate(legs):
        o = live.order
        stop = leg.type in STOP_TYPES
        o.status = "NEW"
        o.update_time = now
        o.is_working = not stop
        o.working_time = -1 if stop else now
        live.reserved = reserve if index == 0 else ZERO
        if stop:
            live.waiting = True
            sym.stops.append(live)
            arm(live, sym.last, now)
    if len(legs) == 2:
        legs[0][0].sibling, legs[1][0].sibling = legs[1][0], legs[0][0]
    for live, _ in legs:
        core.report(live, "NEW", now, on_book=live.order.is_working)
    core.list_status(lst, now, done=False)
    for live, _ in legs:
        if not live.waiting and live.order.status == "NEW":
            execute(core, sym, live, now)


__all__ = ["WORKING_TYPES", "activate_ready", "place_oto"]
