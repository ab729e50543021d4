"""Placing orders and OCO lists: Binance's checks in Binance's order, then the book.

Request shape and filters come from filters.py; here are the matching engine's own refusals
(-2010: market closed, iceberg combinations, duplicate client id, stop already crossed,
LIMIT_MAKER that would take, insufficient balance), the funds an order locks, and its start.

What an order locks: a priced BUY locks price*qty of the quote asset; a market BUY locks what
the book says the quantity costs (or quoteOrderQty's worth); a stop-market BUY locks qty at its
stop price (topped up when it triggers); every SELL locks its base quantity. An OCO locks once,
for both legs: the larger of the two legs' needs.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from tradeguard.sim import wire
from tradeguard.sim.book import Live
from tradeguard.sim.engine_core import Core, OcoList, SymbolState
from tradeguard.sim.engine_match import execute, plan
from tradeguard.sim.engine_step import arm, stop_condition
from tradeguard.sim.filters import (
    DEFAULT_STP,
    DUPLICATE_ORDER,
    ICEBERG_EXCEEDS_QTY,
    INSUFFICIENT_BALANCE,
    LIMIT_PRICED,
    MARKET_CLOSED,
    MAX_ALGO_ORDERS,
    OCO_PRICES,
    STOP_TYPES,
    UNSUPPORTED_COMBINATION,
    WOULD_TAKE,
    WOULD_TRIGGER,
    check_filters,
    check_shape,
    filter_failure,
    market_step,
    rejected,
)
from tradeguard.sim.records import NewOco, NewOrder, PlaceResult, SimOrder, UserEvent
from tradeguard.sim.rejects import Reject

ZERO = Decimal(0)
OCO_TYPES = ("LIMIT_MAKER", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT", "STOP_LOSS", "STOP_LOSS_LIMIT")


def default_resp_type(order: NewOrder) -> str:
    if order.new_order_resp_type:
        return order.new_order_resp_type
    return "FULL" if order.type in ("MARKET", "LIMIT") else "ACK"


def would_take(sym: SymbolState, buy: bool, price: Decimal) -> bool:
    """Whether a limit price crosses the best opposite price (user orders or synthetic)."""
    user = sym.book(not buy).best()
    syn = sym.market.top("SELL" if buy else "BUY")
    for best in (user, None if syn is None else syn[1]):
        if best is not None and (best <= price if buy else best >= price):
            return True
    return False


def _algo_count(core: Core, account: str, symbol: str) -> int:
    held = core.open_by.get((account, symbol), {})
    return sum(1 for live in held.values() if live.order.type in STOP_TYPES)


def engine_checks(core: Core, sym: SymbolState, account: str, order: NewOrder) -> None:
    """The matching engine's refusals that need no funds computation."""
    if sym.spec.status != "TRADING":
        raise rejected(MARKET_CLOSED)
    if order.iceberg_qty is not None:
        if order.type == "LIMIT" and order.time_in_force != "GTC":
            raise rejected(UNSUPPORTED_COMBINATION)
        if order.quantity is not None and order.iceberg_qty >= order.quantity:
            raise rejected(ICEBERG_EXCEEDS_QTY)
    cid = order.new_client_order_id
    if cid is not None and (account, cid) in core.open_client:
        raise rejected(DUPLICATE_ORDER)
    if order.type in STOP_TYPES and order.trailing_delta is None and order.stop_price is not None:
        probe = Live(order=order_record(order), spec=sym.spec, reserved=ZERO, limit=None)
        if stop_condition(probe, sym.last):
            raise rejected(WOULD_TRIGGER)
    if (
        order.type == "LIMIT_MAKER"
        and order.price is not None
        and would_take(sym, order.side == "BUY", order.price)
    ):
        raise rejected(WOULD_TAKE)


def order_record(
    order: NewOrder,
    *,
    account: str = "",
    order_id: int = 0,
    client_order_id: str | None = None,
    qty: Decimal | None = None,
    now: int = 0,
    working: bool = False,
) -> SimOrder:
    """An order's record: with the defaults a throwaway one, for checks that read a SimOrder;
    new_live passes a placed order's account, ids, quantity, time and whether it works at once
    (a stop waits for its trigger), so that the record is built once, not built and then
    rewritten field by field."""
    return SimOrder(
        account=account,
        symbol=order.symbol,
        order_id=order_id,
        client_order_id=(
            (order.new_client_order_id or "") if client_order_id is None else client_order_id
        ),
        side=order.side,
        type=order.type,
        time_in_force=order.time_in_force or "GTC",
        price=order.price or ZERO,
        orig_qty=(order.quantity or ZERO) if qty is None else qty,
        executed_qty=ZERO,
        cummulative_quote_qty=ZERO,
        status="NEW",
        time=now,
        update_time=now,
        working_time=now if working else -1,
        is_working=working,
        stop_price=order.stop_price or ZERO,
        iceberg_qty=order.iceberg_qty or ZERO,
        trailing_delta=order.trailing_delta,
        orig_quote_order_qty=order.quote_order_qty or ZERO,
        self_trade_prevention_mode=order.self_trade_prevention_mode or DEFAULT_STP,
        strategy_id=order.strategy_id,
        strategy_type=order.strategy_type,
        order_list_id=order.order_list_id,
    )


def funds_needed(
    core: Core, sym: SymbolState, account: str, order: NewOrder
) -> tuple[Decimal, Decimal, Decimal]:
    """(order quantity, funds to lock, free balance required) for a new order."""
    buy = order.side == "BUY"
    stp = order.self_trade_prevention_mode or DEFAULT_STP
    if order.type == "MARKET":
        spec = sym.spec
        if order.quote_order_qty is not None:
            cap = spec.market_max_qty or None
            qty, cost = plan(
                sym, buy, None, cap, order.quote_order_qty, account, stp, market_step(spec)
            )
            return qty, (cost if buy else qty), (order.quote_order_qty if buy else qty)
        assert order.quantity is not None
        if buy:
            _, cost = plan(sym, True, None, order.quantity, None, account, stp, spec.step_size)
            return order.quantity, cost, cost
        return order.quantity, order.quantity, order.quantity
    assert order.quantity is not None
    qty = order.quantity
    if not buy:
        return qty, qty, qty
    if order.type in LIMIT_PRICED:
        assert order.price is not None
        lock = order.price * qty
    else:
        lock = (order.stop_price or sym.last) * qty
    return qty, lock, lock


def new_live(
    core: Core, sym: SymbolState, account: str, order: NewOrder, qty: Decimal, reserved: Decimal
) -> Live:
    now = core.now
    order_id = sym.next_order_id
    sym.next_order_id += 1
    stop = order.type in STOP_TYPES
    o = order_record(
        order,
        account=account,
        order_id=order_id,
        client_order_id=order.new_client_order_id or core.new_client_id(),
        qty=qty,
        now=now,
        working=not stop,
    )
    limit = order.price if order.type in LIMIT_PRICED else None
    live = Live(order=o, spec=sym.spec, reserved=reserved, limit=limit)
    core.register(sym, live)
    if stop:
        live.waiting = True
        sym.stops.append(live)
        arm(live, sym.last, now)
    return live


def lock_funds(
    core: Core, sym: SymbolState, account: str, buy: bool, amount: Decimal, required: Decimal
) -> None:
    asset = sym.spec.quote if buy else sym.spec.base
    if core.ledger.free(account, asset) < max(amount, required):
        raise rejected(INSUFFICIENT_BALANCE)
    core.ledger.lock(account, asset, amount)


def place_order(core: Core, account: str, order: NewOrder, test: bool) -> PlaceResult:
    sym = core.books.get(order.symbol)
    spec = check_shape(None if sym is None else sym.spec, order)
    assert sym is not None
    check_filters(spec, order, sym.last)
    resp_type = default_resp_type(order)
    if test:
        return PlaceResult(order_record(order), [], resp_type)
    if core.open_count(account, order.symbol) >= spec.max_num_orders:
        raise filter_failure("MAX_NUM_ORDERS")
    if order.type in STOP_TYPES and _algo_count(core, account, order.symbol) >= MAX_ALGO_ORDERS:
        raise filter_failure("MAX_NUM_ALGO_ORDERS")
    engine_checks(core, sym, account, order)
    qty, reserve, required = funds_needed(core, sym, account, order)
    buy = order.side == "BUY"
    lock_funds(core, sym, account, buy, reserve, required)
    live = new_live(core, sym, account, order, qty, reserve)
    o = live.order
    core.report(live, "NEW", core.now, on_book=o.is_working and o.type != "MARKET")
    trades = [] if live.waiting else execute(core, sym, live, core.now)
    return PlaceResult(copy.copy(o), trades, resp_type)


# ── OCO ─────────────────────────────────────────────────────────────────────────────────────
def _oco_legs(oco: NewOco) -> tuple[NewOrder, NewOrder]:
    resp = oco.new_order_resp_type
    above = NewOrder(
        symbol=oco.symbol,
        side=oco.side,
        type=oco.above_type,
        time_in_force=oco.above_time_in_force,
        quantity=oco.quantity,
        price=oco.above_price,
        new_client_order_id=oco.above_client_order_id,
        stop_price=oco.above_stop_price,
        trailing_delta=oco.above_trailing_delta,
        new_order_resp_type=resp,
    )
    below = NewOrder(
        symbol=oco.symbol,
        side=oco.side,
        type=oco.below_type,
        time_in_force=oco.below_time_in_force,
        quantity=oco.quantity,
        price=oco.below_price,
        new_client_order_id=oco.below_client_order_id,
        stop_price=oco.below_stop_price,
        trailing_delta=oco.below_trailing_delta,
        new_order_resp_type=resp,
    )
    return above, below


def check_oco_types(side: str, above: str, below: str) -> None:
    if above not in OCO_TYPES or below not in OCO_TYPES:
        raise Reject(-1158, "Order type not supported in OCO.")
    if above == below == "LIMIT_MAKER":
        raise Reject(-1168, "At least one OCO order must be contingent.")
    if side == "SELL":
        if above.startswith("STOP_LOSS"):
            raise Reject(-1197, "A stop loss order in a sell OCO must be below.")
        if below == "LIMIT_MAKER":
            raise Reject(-1166, "A limit order in a sell OCO must be above.")
        if below.startswith("TAKE_PROFIT"):
            raise Reject(-1199, "A take profit order in a sell OCO must be above.")
    else:
        if below.startswith("STOP_LOSS"):
            raise Reject(-1196, "A stop loss order in a buy OCO must be above.")
        if above == "LIMIT_MAKER":
            raise Reject(-1165, "A limit order in a buy OCO must be below.")
        if above.startswith("TAKE_PROFIT"):
            raise Reject(-1198, "A take profit order in a buy OCO must be below.")


def _leg_ref(leg: NewOrder) -> Decimal | None:
    """The price that places a leg above or below the market."""
    return leg.price if leg.type == "LIMIT_MAKER" else leg.stop_price


def place_oco(core: Core, account: str, oco: NewOco) -> list[PlaceResult]:
    sym = core.books.get(oco.symbol)
    if sym is None:
        raise Reject(-1121, "Invalid symbol.")
    spec = sym.spec
    if oco.side not in ("BUY", "SELL"):
        raise Reject(-1117, "Invalid side.")
    check_oco_types(oco.side, oco.above_type, oco.below_type)
    above, below = _oco_legs(oco)
    check_shape(spec, above, prefix="above")
    check_shape(spec, below, prefix="below")
    check_filters(spec, above, sym.last)
    check_filters(spec, below, sym.last)
    if core.open_count(account, oco.symbol) + 2 > spec.max_num_orders:
        raise filter_failure("MAX_NUM_ORDERS")
    algo = sum(1 for leg in (above, below) if leg.type in STOP_TYPES)
    if _algo_count(core, account, oco.symbol) + algo > MAX_ALGO_ORDERS:
        raise filter_failure("MAX_NUM_ALGO_ORDERS")
    if spec.status != "TRADING":
        raise rejected(MARKET_CLOSED)
    last = sym.last
    high, low = _leg_ref(above), _leg_ref(below)
    if (high is not None and high <= last) or (low is not None and low >= last):
        raise rejected(OCO_PRICES)
    ids = [leg.new_client_order_id for leg in (above, below) if leg.new_client_order_id]
    if len(set(ids)) < len(ids) or any((account, cid) in core.open_client for cid in ids):
        raise rejected(DUPLICATE_ORDER)
    for leg in (above, below):
        if (
            leg.type == "LIMIT_MAKER"
            and leg.price is not None
            and would_take(sym, leg.side == "BUY", leg.price)
        ):
            raise rejected(WOULD_TAKE)
    buy = oco.side == "BUY"
    needs = [funds_needed(core, sym, account, leg)[1] for leg in (above, below)]
    reserve = max(needs) if buy else oco.quantity
    lock_funds(core, sym, account, buy, reserve, reserve)

    list_id = core.next_list_id
    core.next_list_id += 1
    for leg in (above, below):
        leg.order_list_id = list_id
    lives = [
        new_live(core, sym, account, above, oco.quantity, reserve),
        new_live(core, sym, account, below, oco.quantity, ZERO),
    ]
    lives[0].sibling, lives[1].sibling = lives[1], lives[0]
    client_id = oco.list_client_order_id or core.new_client_id()
    core.lists[(oco.symbol, list_id)] = OcoList(list_id, client_id, account, oco.symbol, lives)
    for live in lives:
        o = live.order
        core.report(live, "NEW", core.now, on_book=o.is_working)
    if core.heard(account):
        orders = [x.order for x in lives]
        core.user_events.append(
            UserEvent(account, wire.list_status(orders, client_id, core.now, done=False))
        )
    for live in lives:
        if not live.waiting:
            execute(core, sym, live, core.now)
    resp = oco.new_order_resp_type or "FULL"
    return [PlaceResult(copy.copy(live.order), [], resp) for live in lives]
