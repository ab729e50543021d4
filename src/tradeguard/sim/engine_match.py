"""Taking liquidity: price-time priority over user orders and synthetic levels merged.

`plan` answers "what would this taker get?" without touching anything (for FOK, for the funds a
market order must lock, for quoteOrderQty); `walk` then executes against the same book, so the
two always agree. At one price, user orders trade before the synthetic level, oldest first.
Self-trade prevention follows the taker's mode, as Binance does.
"""

from __future__ import annotations

from decimal import Decimal

from tradeguard.sim.book import Live
from tradeguard.sim.engine_core import Core, SymbolState
from tradeguard.sim.filters import floor_to
from tradeguard.sim.records import SimTrade

ZERO = Decimal(0)


def _better_or_equal(a: Decimal, b: Decimal, buy: bool) -> bool:
    """For a buying taker, lower asks come first; for a seller, higher bids."""
    return a <= b if buy else a >= b


def _beyond(price: Decimal, limit: Decimal | None, buy: bool) -> bool:
    return limit is not None and (price > limit if buy else price < limit)


def plan(
    sym: SymbolState,
    buy: bool,
    limit: Decimal | None,
    qty_max: Decimal | None,
    quote_max: Decimal | None,
    account: str,
    stp: str,
    step: Decimal,
) -> tuple[Decimal, Decimal]:
    """(quantity, quote cost) a taker would trade, without changing the book."""
    book = sym.book(not buy)
    # The synthetic levels are read lazily: a taker usually stops at the first one or two.
    synthetic = sym.market.iter_levels("SELL" if buy else "BUY")
    syn = next(synthetic, None)
    prices = list(book.iter_prices())
    i = 0
    qty = cost = ZERO
    while qty_max is None or qty < qty_max:
        up = prices[i] if i < len(prices) else None
        sp = syn[1] if syn is not None else None
        if up is None and sp is None:
            break
        use_user = up is not None and (sp is None or _better_or_equal(up, sp, buy))
        price = up if use_user else sp
        assert price is not None
        if _beyond(price, limit, buy):
            break
        blocked = False
        if use_user:
            avail = ZERO
            for live in book.levels[price]:
                if stp != "NONE" and live.order.account == account:
                    if stp == "EXPIRE_MAKER":
                        continue  # it will expire; the taker goes on past it
                    blocked = True  # the taker expires here
                    break
                avail += live.remaining
            i += 1
        else:
            assert syn is not None
            avail = syn[2]
            syn = next(synthetic, None)
        want = avail if qty_max is None else min(avail, qty_max - qty)
        q = want
        if quote_max is not None:
            q = min(q, floor_to((quote_max - cost) / price, step))
        if q > 0:
            qty += q
            cost += q * price
        if blocked or q < want:
            break
    return qty, cost


def _prevent(core: Core, sym: SymbolState, taker: Live, maker: Live, stp: str, now: int) -> bool:
    """Self-trade prevention between `taker` and the same account's `maker`; True when the
    taker is expired (EXPIRE_TAKER / EXPIRE_BOTH)."""
    match_id = sym.next_prevented_id
    sym.next_prevented_id += 1
    if stp in ("EXPIRE_MAKER", "EXPIRE_BOTH"):
        maker.prevented += maker.remaining
        core.finish(
            sym,
            maker,
            now,
            "EXPIRED_IN_MATCH",
            "TRADE_PREVENTION",
            stp={
                "v": match_id,
                "A": maker.prevented,
                "B": maker.prevented,
                "U": taker.order.order_id,
            },
        )
    if stp in ("EXPIRE_TAKER", "EXPIRE_BOTH"):
        taker.prevented += taker.remaining
        taker.prevented_match = (match_id, maker.order.order_id)
        taker.order.status = "EXPIRED_IN_MATCH"
        return True
    return False


def walk(
    core: Core, sym: SymbolState, taker: Live, cap: Decimal, now: int
) -> tuple[list[SimTrade], bool]:
    """Trade up to `cap` for `taker` at its limit (or any price). Returns the taker's trades and
    whether self-trade prevention expired it."""
    buy = taker.is_buy
    book = sym.book(not buy)
    syn_side = "SELL" if buy else "BUY"
    market = sym.market
    limit = taker.limit
    account = taker.order.account
    stp = taker.order.self_trade_prevention_mode
    trades: list[SimTrade] = []
    syn = market.top(syn_side)
    left = cap
    while left > 0:
        up = book.best()
        use_user = up is not None and (syn is None or _better_or_equal(up, syn[1], buy))
        if use_user:
            assert up is not None
            if _beyond(up, limit, buy):
                break
            maker = book.levels[up][0]
            if stp != "NONE" and maker.order.account == account:
                if _prevent(core, sym, taker, maker, stp, now):
                    return trades, True
                continue
            q = min(left, maker.visible)
            trade = core.match(sym, up, q, buy, maker, taker, now)
            core.after_maker_fill(sym, maker, q)
        elif syn is not None:
            index, price, avail = syn
            if _beyond(price, limit, buy):
                break
            q = min(left, avail)
            market.consume(syn_side, index, q)
            trade = core.match(sym, price, q, buy, None, taker, now)
            syn = market.top(syn_side)
        else:
            break
        assert trade is not None
        trades.append(trade)
        left -= q
    return trades, False


def settle_taker(
    core: Core, sym: SymbolState, live: Live, stp_expired: bool, rest: bool, now: int
) -> None:
    """After a taker's walk: report an STP expiry, close a filled order, rest a GTC limit
    order's remainder on the book, or expire what is left (IOC, FOK, MARKET)."""
    o = live.order
    if stp_expired:
        match_id, counter = live.prevented_match
        core.finish(
            sym,
            live,
            now,
            "EXPIRED_IN_MATCH",
            "TRADE_PREVENTION",
            stp={"v": match_id, "A": live.prevented, "B": live.prevented, "U": counter},
        )
    elif o.status == "FILLED":
        core.close(sym, live)
    elif rest:
        live.refresh_visible()
        sym.book(live.is_buy).add(live)
        live.on_book = True
    else:
        core.finish(sym, live, now, "EXPIRED", "EXPIRED")
    if o.status in ("FILLED", "EXPIRED", "EXPIRED_IN_MATCH", "CANCELED"):
        live.on_book = False


MARKET_TYPES = ("MARKET", "STOP_LOSS", "TAKE_PROFIT")


def execute(
    core: Core, sym: SymbolState, live: Live, now: int, cap: Decimal | None = None
) -> list[SimTrade]:
    """Run a working order against the book: a market order takes what it can (up to `cap`)
    and expires the rest; a limit order takes what crosses and rests (GTC) or expires (IOC, and
    FOK when it cannot fill completely, in which case it trades nothing)."""
    o = live.order
    if o.type == "LIMIT_MAKER":
        settle_taker(core, sym, live, False, True, now)
        return []
    if o.type in MARKET_TYPES:
        trades, stp = walk(core, sym, live, live.remaining if cap is None else cap, now)
        settle_taker(core, sym, live, stp, False, now)
        return trades
    if o.time_in_force == "FOK":
        qty, _ = plan(
            sym,
            live.is_buy,
            live.limit,
            live.remaining,
            None,
            o.account,
            o.self_trade_prevention_mode,
            sym.spec.step_size,
        )
        if qty < live.remaining:
            settle_taker(core, sym, live, False, False, now)
            return []
    trades, stp = walk(core, sym, live, live.remaining, now)
    settle_taker(core, sym, live, stp, o.time_in_force == "GTC", now)
    return trades
