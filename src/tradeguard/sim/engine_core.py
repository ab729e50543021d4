"""The engine's state and the mechanics every operation shares.

`Core` owns the books, the ledger, the order registry and the event queues, and knows how to
record one fill (balances, commission, trade, executionReport), how to close an order (release
what it still locks, take it off the book) and how an OCO leg's activity ends its sibling.
Matching (engine_match.py), the market clock (engine_step.py) and the public API (engine.py)
are built on these.
"""

from __future__ import annotations

import random
import string
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from tradeguard.sim import wire, wire_market
from tradeguard.sim.book import Live, SideBook
from tradeguard.sim.engine_depth import PublicBook
from tradeguard.sim.engine_klines import KlineHistory
from tradeguard.sim.engine_ledger import Ledger
from tradeguard.sim.market import SyntheticMarket
from tradeguard.sim.records import (
    STOP_TRIGGERED,
    EngineConfig,
    MarketEvent,
    NewOrder,
    SimOrder,
    SimTrade,
    SymbolSpec,
    UserEvent,
)

ZERO = Decimal(0)
ALNUM = string.ascii_letters + string.digits
OPEN = ("NEW", "PARTIALLY_FILLED")
PENDING = "PENDING_NEW"  # an order list's pending order, until its working order has filled
LIST_OPEN = (*OPEN, PENDING)
# Public events are a firehose nobody may be draining; keep the newest ones only.
MARKET_EVENTS_KEPT = 100_000
TopOfBook = tuple[Decimal, Decimal, Decimal, Decimal]


@dataclass(slots=True, eq=False)
class SymbolState:
    spec: SymbolSpec
    market: SyntheticMarket
    last: Decimal
    bids: SideBook = field(default_factory=lambda: SideBook(bids=True))
    asks: SideBook = field(default_factory=lambda: SideBook(bids=False))
    klines: KlineHistory = field(default_factory=KlineHistory)
    public: PublicBook = field(default_factory=PublicBook)  # the book as last published
    live: dict[int, Live] = field(default_factory=dict)  # open orders by id
    stops: list[Live] = field(default_factory=list)  # untriggered stops, oldest first
    ticks: list[Decimal] = field(default_factory=list)  # prices not yet shown to the stops
    next_order_id: int = 1
    next_trade_id: int = 1
    next_prevented_id: int = 0
    top: TopOfBook | None = None  # the last bookTicker sent
    base_unit: Decimal = ZERO  # commission precision per asset
    quote_unit: Decimal = ZERO
    # Its public streams' names, made once: every trade and every publish names one.
    trade_stream: str = ""
    depth_stream: str = ""
    ticker_stream: str = ""

    def __post_init__(self) -> None:
        name = self.spec.symbol.lower()
        self.trade_stream = f"{name}@trade"
        self.depth_stream = f"{name}@depthUpdate"
        self.ticker_stream = f"{name}@bookTicker"

    def book(self, buy: bool) -> SideBook:
        return self.bids if buy else self.asks


@dataclass(slots=True, eq=False)
class OcoList:
    """An order list: an OCO's two legs, or an OTO's working order (first) and pending ones
    (`pending`, with what they were asked as, until the working order fills)."""

    list_id: int
    client_id: str
    account: str
    symbol: str
    legs: list[Live]
    contingency: str = "OCO"  # or "OTO" (an OTOCO too, as Binance names it)
    pending: list[tuple[Live, NewOrder]] = field(default_factory=list)
    done: bool = False  # its ALL_DONE listStatus was sent


class Core:
    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.params = config.market
        self.books: dict[str, SymbolState] = {}
        for spec in config.symbols:
            market = SyntheticMarket(spec, config.market, config.seed)
            self.books[spec.symbol] = SymbolState(
                spec=spec,
                market=market,
                last=market.ref,
                base_unit=Decimal(1).scaleb(-spec.base_precision),
                quote_unit=Decimal(1).scaleb(-spec.quote_precision),
            )
        for sym in self.books.values():
            # The market opens at its initial price (the first kline's open), and the opening
            # book is not news: published without an event.
            sym.klines.sample(config.start_ms, sym.last)
            sym.public.publish(sym.spec.symbol, sym.market, sym.bids, sym.asks, config.start_ms)
            sym.top = self.top_of_book(sym)
        self.ledger = Ledger(config.balances)
        self.now = config.start_ms
        self.step_time = config.start_ms
        self.user_events: list[UserEvent] = []
        # Whether anyone hears an account's user events (the simulator asks its streams): an
        # account nobody hears gets none built, whose payloads (~20 decimals formatted per
        # order) would be drained and dropped. Alone, an engine builds them all.
        self.heard: Callable[[str], bool] = _everyone
        # The same for the public depthUpdate and bookTicker events, by stream name (trades are
        # always built: the simulator keeps them for GET /api/v3/trades).
        self.stream_heard: Callable[[str], bool] = _everyone
        self.market_events: deque[MarketEvent] = deque(maxlen=MARKET_EVENTS_KEPT)
        self.exec_id = 0
        self.next_list_id = 0
        self._ids = random.Random(f"{config.seed}:client-order-ids")
        self.orders: dict[tuple[str, int], SimOrder] = {}
        self.history: dict[tuple[str, str], list[SimOrder]] = {}  # (account, symbol)
        self.by_client: dict[tuple[str, str, str], SimOrder] = {}  # (account, symbol, id)
        self.by_client_any: dict[tuple[str, str], SimOrder] = {}  # (symbol, id), newest
        self.open_client: dict[tuple[str, str], Live] = {}  # (account, id) while open
        self.open_by: dict[tuple[str, str], dict[int, Live]] = {}  # (account, symbol)
        self.trades: dict[tuple[str, str], list[SimTrade]] = {}
        self.lists: dict[tuple[str, int], OcoList] = {}
        self.ready: list[OcoList] = []  # OTO lists whose working order filled: place the rest

    # ── ids and events ──────────────────────────────────────────────────────────────────────
    def new_client_id(self) -> str:
        return "".join(self._ids.choices(ALNUM, k=22))

    def report(
        self, live: Live, exec_type: str, now: int, on_book: bool | None = None, **kw: Any
    ) -> dict[str, Any]:
        """Queue the order's executionReport; returns it ({} when nobody hears the account)."""
        self.exec_id += 1
        o = live.order
        payload: dict[str, Any] = {}
        if self.heard(o.account):
            payload = wire.execution_report(
                o,
                event_time=now,
                exec_type=exec_type,
                on_book=live.on_book if on_book is None else on_book,
                exec_id=self.exec_id,
                **kw,
            )
            self.user_events.append(UserEvent(o.account, payload))
        if o.order_list_id >= 0 and o.status not in LIST_OPEN:
            lst = self.lists.get((o.symbol, o.order_list_id))
            if lst is not None and all(leg.order.status not in LIST_OPEN for leg in lst.legs):
                self.list_done(self.books[o.symbol], o.order_list_id, now)
        return payload

    def report_triggered(self, live: Live, now: int) -> None:
        """A stop fired (no Binance event: `STOP_TRIGGERED`, for the dialects that say so)."""
        if not self.heard(live.order.account):
            return
        payload = wire.execution_report(
            live.order, event_time=now, exec_type="NEW", on_book=False, exec_id=self.exec_id
        )
        payload["e"] = STOP_TRIGGERED
        self.user_events.append(UserEvent(live.order.account, payload))

    def flush(self, now: int) -> None:
        if self.ledger._dirty:
            self.user_events.extend(self.ledger.flush(now, self.heard))

    def top_of_book(self, sym: SymbolState) -> TopOfBook:
        """Best bid and ask over user orders and synthetic levels (users first on a tie)."""
        bid, bid_qty = self._side_top(sym, True)
        ask, ask_qty = self._side_top(sym, False)
        return bid, bid_qty, ask, ask_qty

    def _side_top(self, sym: SymbolState, buy: bool) -> tuple[Decimal, Decimal]:
        """(price, shown quantity) at the best of one side; zeros for an empty side."""
        side = sym.book(buy)
        syn = sym.market.top("BUY" if buy else "SELL")
        best = side.best()
        price, qty = ZERO, ZERO
        if syn is not None:
            price, qty = syn[1], syn[2]
        if best is not None:
            if syn is None or best == price:
                qty = side.shown(best) + (qty if syn is not None else ZERO)
                price = best
            elif (best > price) if buy else (best < price):
                price, qty = best, side.shown(best)
        return price, qty

    def publish(self, sym: SymbolState) -> None:
        """End of an engine call: the book's changes (depthUpdate) and a new top (bookTicker)."""
        market = sym.market
        # Which sides may have changed since the last publish: the market and the side books
        # flag every change until PublicBook.publish takes the flags. A side left alone keeps
        # its top (sym.top holds the top the last publish saw), so only a changed side's top is
        # looked up again, and a call that changed neither side has nothing to publish.
        bids_changed = bool(market.moved or market.changed["BUY"] or sym.bids.dirty)
        asks_changed = bool(market.moved or market.changed["SELL"] or sym.asks.dirty)
        if not (bids_changed or asks_changed):
            return
        symbol = sym.spec.symbol
        stream = sym.depth_stream
        heard = self.stream_heard(stream)
        update = sym.public.publish(symbol, market, sym.bids, sym.asks, self.now, heard)
        if update is not None:
            self.market_events.append(MarketEvent(stream, update))
        last = sym.top
        if last is None or (bids_changed and asks_changed):
            top = self.top_of_book(sym)
        elif bids_changed:
            top = (*self._side_top(sym, True), last[2], last[3])
        else:
            top = (last[0], last[1], *self._side_top(sym, False))
        if top != last:
            sym.top = top
            stream = sym.ticker_stream
            if self.stream_heard(stream):
                payload = wire_market.book_ticker_event(sym.public.update_id, symbol, top)
                self.market_events.append(MarketEvent(stream, payload))

    # ── the order registry ──────────────────────────────────────────────────────────────────
    def register(self, sym: SymbolState, live: Live) -> None:
        o = live.order
        key = (o.account, o.symbol)
        self.orders[(o.symbol, o.order_id)] = o
        self.history.setdefault(key, []).append(o)
        self.by_client[(o.account, o.symbol, o.client_order_id)] = o
        self.by_client_any[(o.symbol, o.client_order_id)] = o
        self.open_client[(o.account, o.client_order_id)] = live
        self.open_by.setdefault(key, {})[o.order_id] = live
        sym.live[o.order_id] = live

    def open_count(self, account: str, symbol: str) -> int:
        held = self.open_by.get((account, symbol))
        return len(held) if held else 0

    def close(self, sym: SymbolState, live: Live) -> None:
        """The order is done: release what it still locks, take it off the book and indexes."""
        o = live.order
        sib = live.sibling
        if sib is not None:
            # The list outlives this leg (closed without activating it, e.g. by self-trade
            # prevention): the funds the list locked stay with the leg that goes on working.
            sib.reserved += live.reserved
            live.reserved = ZERO
            sib.sibling = live.sibling = None
        if live.reserved:
            asset = sym.spec.quote if o.side == "BUY" else sym.spec.base
            self.ledger.unlock(o.account, asset, live.reserved)
            live.reserved = ZERO
        sym.live.pop(o.order_id, None)
        self.open_by[(o.account, o.symbol)].pop(o.order_id, None)
        if self.open_client.get((o.account, o.client_order_id)) is live:
            del self.open_client[(o.account, o.client_order_id)]
        if live.on_book:
            sym.book(o.side == "BUY").remove(live)
            live.on_book = False
        if live.waiting:
            sym.stops.remove(live)
            live.waiting = False

    def finish(
        self, sym: SymbolState, live: Live, now: int, status: str, exec_type: str, **kw: Any
    ) -> dict[str, Any]:
        """End an open order with `status` (CANCELED, EXPIRED, EXPIRED_IN_MATCH) and say so;
        the report said."""
        live.order.status = status
        live.order.update_time = now
        self.close(sym, live)
        payload = self.report(live, exec_type, now, **kw)
        if status != "CANCELED" and live.order.order_list_id >= 0:
            self._expire_pending(sym, live, now)
        return payload

    def _expire_pending(self, sym: SymbolState, working: Live, now: int) -> None:
        """An OTO's working order expired unfilled: its pending orders expire with it (a
        cancel ends them all itself)."""
        lst = self.lists.get((sym.spec.symbol, working.order.order_list_id))
        if lst is None or not lst.legs or lst.legs[0] is not working:
            return
        waiting, lst.pending = lst.pending, []
        for leg, _ in waiting:
            if leg.order.status == PENDING:
                self.finish(sym, leg, now, "EXPIRED", "EXPIRED")

    # ── fills ───────────────────────────────────────────────────────────────────────────────
    def _fill(
        self,
        sym: SymbolState,
        live: Live,
        price: Decimal,
        qty: Decimal,
        maker: bool,
        trade_id: int,
        now: int,
    ) -> SimTrade:
        o = live.order
        spec = sym.spec
        quote = price * qty
        o.executed_qty += qty
        o.cummulative_quote_qty += quote
        o.update_time = now
        o.status = "FILLED" if o.executed_qty >= o.orig_qty else "PARTIALLY_FILLED"
        if o.status == "FILLED" and o.order_list_id >= 0:
            lst = self.lists.get((o.symbol, o.order_list_id))
            if lst is not None and lst.pending and lst.legs[0] is live:
                self.ready.append(lst)  # its pending orders go on once this call's fills are in
        rate = self.config.maker_commission if maker else self.config.taker_commission
        ledger = self.ledger
        if o.side == "BUY":
            # A limit buy locked limit*qty; a better price frees the difference right away.
            used = live.limit * qty if live.limit is not None else quote
            live.reserved -= used
            ledger.spend_locked(o.account, spec.quote, quote)
            ledger.unlock(o.account, spec.quote, used - quote)
            asset = spec.base
            commission = (qty * rate).quantize(sym.base_unit, rounding=ROUND_DOWN)
            ledger.credit(o.account, asset, qty - commission)
        else:
            live.reserved -= qty
            ledger.spend_locked(o.account, spec.base, qty)
            asset = spec.quote
            commission = (quote * rate).quantize(sym.quote_unit, rounding=ROUND_DOWN)
            ledger.credit(o.account, asset, quote - commission)
        trade = SimTrade(
            id=trade_id,
            symbol=o.symbol,
            order_id=o.order_id,
            order_list_id=o.order_list_id,
            price=price,
            qty=qty,
            quote_qty=quote,
            commission=commission,
            commission_asset=asset,
            time=now,
            is_buyer=o.side == "BUY",
            is_maker=maker,
            account=o.account,
        )
        kept = self.trades.get((o.account, o.symbol))
        if kept is None:  # (setdefault would build a list to throw away at every fill)
            kept = self.trades[(o.account, o.symbol)] = []
        kept.append(trade)
        on_book = live.on_book
        live.on_book = on_book and o.status != "FILLED"
        self.report(
            live,
            "TRADE",
            now,
            last_qty=qty,
            last_price=price,
            commission=commission,
            commission_asset=asset,
            trade_id=trade_id,
            is_maker=maker,
        )
        live.on_book = on_book
        return trade

    def match(
        self,
        sym: SymbolState,
        price: Decimal,
        qty: Decimal,
        taker_buys: bool,
        maker: Live | None,
        taker: Live | None,
        now: int,
    ) -> SimTrade | None:
        """One trade between a maker and a taker; either may be synthetic (None)."""
        trade_id = sym.next_trade_id
        sym.next_trade_id += 1
        for live in (maker, taker):
            if live is not None and live.sibling is not None:
                self.oco_activate(sym, live, now)
        if maker is not None:
            self._fill(sym, maker, price, qty, True, trade_id, now)
        out = None if taker is None else self._fill(sym, taker, price, qty, False, trade_id, now)
        sym.last = price
        if sym.stops:
            sym.ticks.append(price)
        sym.klines.trade(now, price, qty, taker_buys, trade_id)
        payload = wire_market.trade_event(
            sym.spec.symbol, trade_id, price, qty, now, not taker_buys
        )
        self.market_events.append(MarketEvent(sym.trade_stream, payload))
        return out

    def after_maker_fill(self, sym: SymbolState, maker: Live, qty: Decimal) -> None:
        """A resting order traded `qty`: close it, or show its next iceberg part."""
        side = sym.book(maker.is_buy)
        side.take(maker, min(qty, maker.visible))
        if maker.remaining <= 0:
            self.close(sym, maker)
        elif maker.visible <= 0:
            side.reshow(maker)

    # ── order lists ─────────────────────────────────────────────────────────────────────────
    def oco_activate(self, sym: SymbolState, live: Live, now: int) -> None:
        """One leg filled or triggered: the other leg expires and hands over its locked funds
        (an OCO locks its funds once, for whichever leg ends up working)."""
        sib = live.sibling
        if sib is None:
            return
        live.sibling = sib.sibling = None
        live.reserved += sib.reserved
        sib.reserved = ZERO
        self.finish(sym, sib, now, "EXPIRED", "EXPIRED")
        self.list_done(sym, live.order.order_list_id, now)

    def list_done(self, sym: SymbolState, list_id: int, now: int) -> None:
        """The list's ALL_DONE listStatus, once."""
        oco = self.lists.get((sym.spec.symbol, list_id))
        if oco is not None and not oco.done:
            oco.done = True
            self.list_status(oco, now, done=True)

    def list_status(self, lst: OcoList, now: int, *, done: bool) -> None:
        if not self.heard(lst.account):
            return
        payload = wire.list_status(
            [leg.order for leg in lst.legs], lst.client_id, now, done=done, kind=lst.contingency
        )
        self.user_events.append(UserEvent(lst.account, payload))


def _everyone(account: str) -> bool:
    del account
    return True
