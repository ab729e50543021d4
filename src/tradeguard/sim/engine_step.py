"""The market clock: what happens on every step of simulator time, and stop triggers.

Each step (in order): the reference price moves and consumed synthetic levels refill; synthetic
levels that now cross resting user orders trade with them (the user is maker, at the user's
price); synthetic taker flow of `flow_qty_quote` per side trades with user orders resting at or
better than the synthetic best price on their side; then stops see every price printed since
they last looked (trades, then the new reference) and trigger.

Work that cannot matter is skipped (no user orders: no crossing or flow; no stops: no trigger
scan), but nothing that changes results is: stepping an hour at once gives exactly what 3600
single steps give.
"""

from __future__ import annotations

from decimal import Decimal

from tradeguard.sim.book import Live
from tradeguard.sim.engine_core import Core, SymbolState
from tradeguard.sim.engine_match import execute, plan
from tradeguard.sim.filters import floor_to

ZERO = Decimal(0)
BIPS = Decimal(10000)
RISES_TO_TRIGGER = {
    ("STOP_LOSS", "BUY"),
    ("STOP_LOSS_LIMIT", "BUY"),
    ("TAKE_PROFIT", "SELL"),
    ("TAKE_PROFIT_LIMIT", "SELL"),
}


def advance(core: Core, now: int) -> bool:
    """Step every symbol up to `now`; True when at least one step was taken."""
    if now <= core.now:
        return False
    step_ms = max(1, core.params.step_ms)
    t = core.step_time + step_ms
    if t > now:  # most calls: the clock moved, no step is due yet
        core.now = now
        return False
    books = list(core.books.values())
    while t <= now:
        for sym in books:
            step_symbol(core, sym, t)
        core.step_time = t
        t += step_ms
    core.now = now
    return True


def step_symbol(core: Core, sym: SymbolState, t: int) -> None:
    market = sym.market
    market.step()
    price = market.ref
    sym.last = price
    sym.klines.sample(t, price)
    if sym.bids or sym.asks:
        cross(core, sym, t)
        flow(core, sym, t)
        sym.last = price  # the step ends at the new reference, whatever traded on the way
    after_price(core, sym, price, t)


def after_price(core: Core, sym: SymbolState, price: Decimal, t: int) -> None:
    """A new reference price was printed: let the stops see it (and any trades before it)."""
    if sym.stops:
        sym.ticks.append(price)
        run_triggers(core, sym, t)
    elif sym.ticks:
        sym.ticks.clear()
    core.flush(t)


def _crosses(user_price: Decimal, syn_price: Decimal, syn_bids: bool) -> bool:
    """A synthetic bid crosses user asks at or below it; a synthetic ask, user bids at or above."""
    return user_price <= syn_price if syn_bids else user_price >= syn_price


def cross(core: Core, sym: SymbolState, t: int) -> None:
    """Synthetic levels the reference moved through trade with the user orders they cross."""
    market = sym.market
    for syn_bids in (True, False):
        user = sym.book(not syn_bids)
        syn_side = "BUY" if syn_bids else "SELL"
        best = market.best_price(syn_side)
        top = user.best()
        if best is None or top is None or not _crosses(top, best, syn_bids):
            continue
        for index, price, avail in market.levels(syn_side):
            while avail > 0:
                top = user.best()
                if top is None or not _crosses(top, price, syn_bids):
                    break
                maker = user.levels[top][0]
                q = min(avail, maker.visible)
                market.consume(syn_side, index, q)
                avail -= q
                core.match(sym, top, q, syn_bids, maker, None, t)
                core.after_maker_fill(sym, maker, q)
            top = user.best()
            if top is None or not _crosses(top, price, syn_bids):
                break


def flow(core: Core, sym: SymbolState, t: int) -> None:
    """Synthetic takers trade `flow_qty_quote` per side with user orders at the top of book."""
    budget = core.params.flow_qty_quote
    if budget <= 0:
        return
    market = sym.market
    step = sym.spec.step_size
    for buy_flow in (False, True):
        user = sym.book(not buy_flow)  # sellers hit user bids, buyers lift user asks
        syn_best = market.best_price("SELL" if buy_flow else "BUY")
        left = budget
        while left > 0:
            top = user.best()
            if top is None:
                break
            if syn_best is not None and not (top <= syn_best if buy_flow else top >= syn_best):
                break
            maker = user.levels[top][0]
            q = min(maker.visible, floor_to(left / top, step))
            if q <= 0:
                break
            left -= q * top
            core.match(sym, top, q, buy_flow, maker, None, t)
            core.after_maker_fill(sym, maker, q)


# ── stops ───────────────────────────────────────────────────────────────────────────────────
def stop_condition(live: Live, price: Decimal) -> bool:
    o = live.order
    if (o.type, o.side) in RISES_TO_TRIGGER:
        return price >= o.stop_price
    return price <= o.stop_price


def arm(live: Live, last: Decimal, now: int) -> None:
    """At placement: a trailing stop without a stop price (or whose stop price is already met)
    starts tracking from the last price."""
    o = live.order
    if o.trailing_delta is not None and (o.stop_price <= 0 or stop_condition(live, last)):
        live.activated = True
        live.extreme = last
        o.trailing_time = now


def should_trigger(live: Live, price: Decimal, now: int) -> bool:
    o = live.order
    if o.trailing_delta is None:
        return stop_condition(live, price)
    if not live.activated:
        if stop_condition(live, price):
            # The first price meeting the stop price starts the tracking (Binance's FAQ).
            live.activated = True
            live.extreme = price
            o.trailing_time = now
        return False
    delta = Decimal(o.trailing_delta) / BIPS
    if o.side == "SELL":  # sells trail the highest price and trigger on a fall
        if price > live.extreme:
            live.extreme = price
            return False
        return price <= live.extreme * (1 - delta)
    if price < live.extreme:  # buys trail the lowest price and trigger on a rise
        live.extreme = price
        return False
    return price >= live.extreme * (1 + delta)


def run_triggers(core: Core, sym: SymbolState, t: int) -> None:
    while sym.ticks and sym.stops:
        prices, sym.ticks = sym.ticks, []
        for price in prices:
            for live in list(sym.stops):
                if live.waiting and should_trigger(live, price, t):
                    trigger(core, sym, live, t)
    sym.ticks.clear()


def trigger(core: Core, sym: SymbolState, live: Live, t: int) -> None:
    """The stop fired: it becomes a market order (STOP_LOSS, TAKE_PROFIT) or a limit order
    (the *_LIMIT types) and works against the book now."""
    o = live.order
    sym.stops.remove(live)
    live.waiting = False
    if live.sibling is not None:
        core.oco_activate(sym, live, t)
    o.is_working = True
    o.working_time = t
    o.update_time = t
    core.report_triggered(live, t)
    cap = None
    if o.type in ("STOP_LOSS", "TAKE_PROFIT") and live.is_buy:
        # A market buy locked an estimate; lock what the book now costs (as far as the free
        # balance goes) and buy only what the locked funds pay for.
        stp = o.self_trade_prevention_mode
        step = sym.spec.step_size
        _, cost = plan(sym, True, None, live.remaining, None, o.account, stp, step)
        if cost > live.reserved:
            extra = min(cost - live.reserved, core.ledger.free(o.account, sym.spec.quote))
            if extra > 0:
                core.ledger.lock(o.account, sym.spec.quote, extra)
                live.reserved += extra
        cap, _ = plan(sym, True, None, live.remaining, live.reserved, o.account, stp, step)
    execute(core, sym, live, t, cap)
