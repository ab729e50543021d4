"""The simulator's matching engine: pure, deterministic, no I/O.

Every method takes the simulator's time `now_ms` (or is time-free) and first catches the market
up to it with `advance(now_ms)`. Refusals raise `Reject(code, msg, http_status)` with Binance's
exact codes and texts. Events for user streams and public streams queue up and are taken with
`drain_user_events()` / `drain_market_events()`.

Layout: engine_core.py (state, fills, closing orders), engine_match.py (taking liquidity),
engine_step.py (the market clock and stop triggers), engine_orders.py (placing orders and OCOs),
market.py (synthetic liquidity), book.py (user orders), filters.py (Binance's checks), wire.py
(Binance JSON). Determinism: all randomness comes from `random.Random` instances seeded from
`EngineConfig.seed`, so the same seed and the same calls at the same times give the same events.

What the queues carry: user events (executionReport, outboundAccountPosition, balanceUpdate,
listStatus) in the order they happen, kept until drained; public events: "<symbol>@trade" for
every trade with a user order on one side (synthetic liquidity never trades with itself, so a
quiet book prints no trades), and once per call, when the book changed, "<symbol>@depthUpdate"
(the levels that changed, numbered by update ids consistent with `depth()`'s lastUpdateId; see
engine_depth.py) and "<symbol>@bookTicker" when the top of the book differs from the last one
sent (not once per step; the newest 100,000 public events are kept). The simulator has only
what someone hears built (`build_user_events_for`, `build_stream_events_for`): an account's
user events while a sink listens to it, a depthUpdate or bookTicker while a feed follows it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal

from tradeguard.sim import wire
from tradeguard.sim.book import Live
from tradeguard.sim.engine_core import LIST_OPEN, Core, OcoList, SymbolState
from tradeguard.sim.engine_ledger import WalletMove
from tradeguard.sim.engine_lists import activate_ready, place_oto
from tradeguard.sim.engine_orders import place_oco, place_order
from tradeguard.sim.engine_step import advance, after_price, cross, run_triggers
from tradeguard.sim.filters import NO_SUCH_ORDER, UNKNOWN_ORDER
from tradeguard.sim.records import (
    STOP_TRIGGERED,
    Balance,
    EngineConfig,
    KlineBar,
    MarketEvent,
    NewOco,
    NewOrder,
    NewOto,
    PlaceResult,
    SimOrder,
    SimTrade,
    SymbolSpec,
    UserEvent,
)
from tradeguard.sim.rejects import Reject

ZERO = Decimal(0)


class Engine:
    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.symbols: dict[str, SymbolSpec] = {s.symbol: s for s in config.symbols}
        self._core = Core(config)

    # ── time ──────────────────────────────────────────────────────────────────────────────
    def advance(self, now_ms: int) -> None:
        """Catch the market up to `now_ms`: move reference prices step by step, replenish
        synthetic liquidity, let synthetic taker flow fill resting orders, trigger stops and
        trailing stops. Never moves backwards (an earlier `now_ms` is a no-op)."""
        if advance(self._core, now_ms):
            activate_ready(self._core)
            for sym in self._core.books.values():
                self._core.publish(sym)

    @property
    def now_ms(self) -> int:
        """The simulator time the engine has reached."""
        return self._core.now

    def _sym(self, symbol: str) -> SymbolState:
        sym = self._core.books.get(symbol)
        if sym is None:
            raise Reject(-1121, "Invalid symbol.")
        return sym

    def _done(self, sym: SymbolState) -> None:
        """End of a state-changing call: stops see new prices, balances and top of book report."""
        core = self._core
        activate_ready(core)
        if sym.ticks:
            run_triggers(core, sym, core.now)
            activate_ready(core)
        core.flush(core.now)
        core.publish(sym)

    # ── orders ────────────────────────────────────────────────────────────────────────────
    def place_order(
        self, account: str, order: NewOrder, now_ms: int, *, test: bool = False
    ) -> PlaceResult:
        """Validate and (unless `test`) place and match an order. `test=True` validates only
        (POST /api/v3/order/test) and returns a PlaceResult that changes nothing."""
        self.advance(now_ms)
        result = place_order(self._core, account, order, test)
        if not test:
            self._done(self._core.books[order.symbol])
        return result

    def place_oco(self, account: str, oco: NewOco, now_ms: int) -> list[PlaceResult]:
        """Place both legs of an OCO as one order list; returns [above, below] leg results
        (order_list_id set on both). Filling or triggering one leg cancels the other."""
        self.advance(now_ms)
        results = place_oco(self._core, account, oco)
        self._done(self._core.books[oco.symbol])
        return results

    def place_oto(self, account: str, oto: NewOto, now_ms: int) -> list[PlaceResult]:
        """Place an OTO (or OTOCO) list: the working order now, its pending orders once it
        has filled; returns [working, pending...] (the pending ones PENDING_NEW)."""
        self.advance(now_ms)
        results = place_oto(self._core, account, oto)
        self._done(self._core.books[oto.symbol])
        return results

    def list_kind(self, symbol: str, order_list_id: int) -> str:
        """An order list's contingencyType: OCO or OTO (an OTOCO is an OTO)."""
        lst = self._core.lists.get((symbol, order_list_id))
        return "OCO" if lst is None else lst.contingency

    def list_client_order_id(self, symbol: str, order_list_id: int) -> str:
        """The listClientOrderId of an order list (given or generated at placement)."""
        oco = self._core.lists.get((symbol, order_list_id))
        if oco is None:
            raise Reject(-2011, "Order list does not exist.")
        return oco.client_id

    def _find(
        self,
        account: str,
        symbol: str,
        order_id: int | None,
        client_id: str | None,
        code: int,
        msg: str,
    ) -> SimOrder:
        if order_id is None and client_id is None:
            raise Reject(
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        core = self._core
        if order_id is not None:
            found = core.orders.get((symbol, order_id))
        else:
            assert client_id is not None
            found = core.by_client.get((account, symbol, client_id))
        if found is None or found.account != account:
            raise Reject(code, msg)
        if client_id is not None and found.client_order_id != client_id:
            raise Reject(code, msg)
        return found

    def _cancel_one(self, sym: SymbolState, live: Live, cancel_id: str) -> SimOrder:
        core = self._core
        o = live.order
        said = core.finish(
            sym, live, core.now, "CANCELED", "CANCELED", orig_client_order_id=o.client_order_id
        )
        # The cancel's own report carries the cancel request's id as "c" (Binance does so).
        said["c"] = cancel_id
        out = copy.copy(o)
        out.orig_client_order_id = o.client_order_id
        out.client_order_id = cancel_id
        return out

    def _cancel_live(self, sym: SymbolState, live: Live, cancel_id: str | None) -> SimOrder:
        """Cancel an order, and the rest of its order list if it is an OCO leg."""
        core = self._core
        o = live.order
        legs = [live]
        if o.order_list_id >= 0:
            oco = core.lists.get((o.symbol, o.order_list_id))
            if oco is not None:
                legs = [leg for leg in oco.legs if leg.order.status in LIST_OPEN]
        out = None
        for leg in legs:
            copy_ = self._cancel_one(sym, leg, cancel_id or core.new_client_id())
            if leg is live:
                out = copy_
        if o.order_list_id >= 0:
            core.list_done(sym, o.order_list_id, core.now)
        assert out is not None
        return out

    def cancel_order(
        self,
        account: str,
        symbol: str,
        order_id: int | None,
        orig_client_order_id: str | None,
        new_client_order_id: str | None,
        now_ms: int,
    ) -> SimOrder:
        """Cancel one open order; -2011 "Unknown order sent." if unknown or no longer open.
        Returns a copy whose client_order_id is the cancel id and orig_client_order_id the
        order's own id (Binance's DELETE reply)."""
        self.advance(now_ms)
        sym = self._sym(symbol)
        o = self._find(account, symbol, order_id, orig_client_order_id, -2011, UNKNOWN_ORDER)
        live = sym.live.get(o.order_id)
        if live is None:
            raise Reject(-2011, UNKNOWN_ORDER)
        out = self._cancel_live(sym, live, new_client_order_id)
        self._done(sym)
        return out

    def cancel_open_orders(self, account: str, symbol: str, now_ms: int) -> list[SimOrder]:
        self.advance(now_ms)
        sym = self._sym(symbol)
        out = []
        for order_id in sorted(self._core.open_by.get((account, symbol), {})):
            live = sym.live.get(order_id)
            if live is not None:
                out.append(self._cancel_live(sym, live, None))
        self._done(sym)
        return out

    def cancel_order_list(
        self,
        account: str,
        symbol: str,
        order_list_id: int | None,
        list_client_order_id: str | None,
        now_ms: int,
    ) -> list[SimOrder]:
        self.advance(now_ms)
        sym = self._sym(symbol)
        oco = self._order_list(account, symbol, order_list_id, list_client_order_id)
        open_legs = [leg for leg in oco.legs if leg.order.status in LIST_OPEN]
        if not open_legs:
            raise Reject(-2011, UNKNOWN_ORDER)
        out = [self._cancel_one(sym, leg, self._core.new_client_id()) for leg in open_legs]
        self._core.list_done(sym, oco.list_id, self._core.now)
        self._done(sym)
        return out

    def _order_list(
        self, account: str, symbol: str, order_list_id: int | None, list_client_order_id: str | None
    ) -> OcoList:
        if order_list_id is None and list_client_order_id is None:
            raise Reject(
                -1102,
                "Param 'listClientOrderId' or 'orderListId' must be sent, but "
                "both were empty/null!",
            )
        lists = self._core.lists
        found = None
        if order_list_id is not None:
            found = lists.get((symbol, order_list_id))
        else:
            for oco in lists.values():
                if oco.symbol == symbol and oco.client_id == list_client_order_id:
                    found = oco
        if found is None or found.account != account:
            raise Reject(-2011, UNKNOWN_ORDER)
        return found

    def order_list(
        self,
        account: str,
        symbol: str,
        order_list_id: int | None,
        list_client_order_id: str | None,
    ) -> tuple[str, list[SimOrder]]:
        """GET /api/v3/orderList: (listClientOrderId, legs)."""
        oco = self._order_list(account, symbol, order_list_id, list_client_order_id)
        return oco.client_id, [copy.copy(leg.order) for leg in oco.legs]

    def get_order(
        self, account: str, symbol: str, order_id: int | None, orig_client_order_id: str | None
    ) -> SimOrder:
        """-2013 "Order does not exist." if unknown."""
        self._sym(symbol)
        found = self._find(account, symbol, order_id, orig_client_order_id, -2013, NO_SUCH_ORDER)
        return copy.copy(found)

    def open_orders(self, account: str, symbol: str | None) -> list[SimOrder]:
        if symbol is not None:
            self._sym(symbol)
        core = self._core
        out: list[SimOrder] = []
        for (acct, sym_name), held in core.open_by.items():
            if acct == account and (symbol is None or sym_name == symbol):
                out.extend(copy.copy(live.order) for live in held.values())
        out.sort(key=lambda o: (o.symbol, o.order_id))
        return out

    def all_orders(
        self,
        account: str,
        symbol: str,
        order_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 500,
    ) -> list[SimOrder]:
        self._sym(symbol)
        rows = self._core.history.get((account, symbol), [])
        picked = [
            o
            for o in rows
            if (order_id is None or o.order_id >= order_id)
            and (start_time is None or o.time >= start_time)
            and (end_time is None or o.time <= end_time)
        ]
        picked = picked[:limit] if order_id is not None else picked[-limit:] if limit else []
        return [copy.copy(o) for o in picked]

    def my_trades(
        self,
        account: str,
        symbol: str,
        order_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        from_id: int | None = None,
        limit: int = 500,
    ) -> list[SimTrade]:
        self._sym(symbol)
        rows = self._core.trades.get((account, symbol), [])
        picked = [
            t
            for t in rows
            if (order_id is None or t.order_id == order_id)
            and (from_id is None or t.id >= from_id)
            and (start_time is None or t.time >= start_time)
            and (end_time is None or t.time <= end_time)
        ]
        picked = picked[:limit] if from_id is not None else picked[-limit:] if limit else []
        return [copy.copy(t) for t in picked]

    # ── account and market data ───────────────────────────────────────────────────────────
    def balances(self, account: str) -> dict[str, Balance]:
        held = self._core.ledger.accounts.get(account, {})
        return {a: Balance(free=b.free, locked=b.locked) for a, b in held.items()}

    def wallet_moves(self, account: str) -> list[WalletMove]:
        """The account's deposits and withdrawals, oldest first."""
        return [m for m in self._core.ledger.moves if m.account == account]

    def last_price(self, symbol: str) -> Decimal:
        return self._sym(symbol).last

    def depth(
        self, symbol: str, limit: int
    ) -> tuple[int, list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """(lastUpdateId, bids best-first, asks best-first), synthetic and user orders merged."""
        return self._sym(symbol).public.snapshot(limit)

    def book_ticker(self, symbol: str) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """(bid price, bid qty, ask price, ask qty)."""
        return self._core.top_of_book(self._sym(symbol))

    def klines(
        self,
        symbol: str,
        interval_ms: int,
        start_time: int | None,
        end_time: int | None,
        limit: int,
    ) -> list[list[object]]:
        """Binance kline rows built from the simulator's trades and reference prices (the last
        1000 one-second and 1000 one-minute buckets are kept; see engine_klines.py)."""
        return self._sym(symbol).klines.rows(interval_ms, start_time, end_time, limit)

    def kline_bar(self, symbol: str, interval_ms: int, open_time: int) -> KlineBar | None:
        """The kline opening at `open_time` (None if nothing was seen in it), for the streams."""
        return self._sym(symbol).klines.bar(interval_ms, open_time)

    # ── control (tests and users drive the market) ────────────────────────────────────────
    def control_fill(
        self,
        symbol: str,
        order_id: int | None,
        orig_client_order_id: str | None,
        qty: Decimal,
        price: Decimal | None,
        now_ms: int,
    ) -> list[SimTrade]:
        """An outside taker trades `qty` against one resting order (at its limit price, or
        `price` if given and no worse for the order). Drives exact partial and full fills."""
        self.advance(now_ms)
        sym = self._sym(symbol)
        core = self._core
        if order_id is not None:
            found = core.orders.get((symbol, order_id))
        elif orig_client_order_id is not None:
            found = core.by_client_any.get((symbol, orig_client_order_id))
        else:
            raise Reject(
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        if found is None:
            raise Reject(-2013, NO_SUCH_ORDER)
        live = sym.live.get(found.order_id)
        if live is None or not live.on_book or live.limit is None:
            raise Reject(
                -2011, f"Order {found.order_id} is not resting on the book (status {found.status})."
            )
        if qty <= 0 or qty > live.remaining:
            raise Reject(
                -1013,
                f"control_fill quantity {qty} is not within the order's "
                f"remaining quantity {live.remaining}.",
            )
        at = live.limit
        if price is not None:
            if (price > at) if live.is_buy else (price < at):
                raise Reject(
                    -1013,
                    f"control_fill price {price} is worse for the order than its limit price {at}.",
                )
            at = price
        core.match(sym, at, qty, not live.is_buy, live, None, core.now)
        trade = core.trades[(found.account, symbol)][-1]  # before any stop it sets off trades
        core.after_maker_fill(sym, live, qty)
        self._done(sym)
        return [trade]

    def set_price(self, symbol: str, price: Decimal, now_ms: int) -> None:
        """Move the reference price by hand (triggers stops, fills crossed resting orders)."""
        self.advance(now_ms)
        sym = self._sym(symbol)
        core = self._core
        sym.market.set_ref(price)
        ref = sym.market.ref
        sym.last = ref
        sym.klines.sample(core.now, ref)
        if sym.bids or sym.asks:
            cross(core, sym, core.now)
            sym.last = ref  # the orders it crossed traded on the way to the new price
        after_price(core, sym, ref, core.now)
        self._done(sym)

    def set_balance(
        self, account: str, asset: str, free: Decimal, now_ms: int, *, recorded: bool = False
    ) -> None:
        """Set a free balance (emits balanceUpdate + outboundAccountPosition); `recorded`
        keeps the change in the deposit or withdrawal history too (else nothing explains it)."""
        self.advance(now_ms)
        core = self._core
        delta = core.ledger.set_free(account, asset, free)
        if recorded:
            core.ledger.record_move(account, asset, delta, core.now)
        if core.heard(account):
            core.user_events.append(UserEvent(account, wire.balance_update(core.now, asset, delta)))
        core.flush(core.now)

    # ── event queues ──────────────────────────────────────────────────────────────────────
    def build_user_events_for(self, heard: Callable[[str], bool]) -> None:
        """Queue user events only for the accounts `heard(account)` says someone hears now
        (the simulator: a subscription, a listenKey stream, a FIX session); the others' are
        never built. Without this, every account's are."""
        self._core.heard = heard

    def build_stream_events_for(self, heard: Callable[[str], bool]) -> None:
        """Queue the depthUpdate and bookTicker events of a stream ("btcusdt@bookTicker") only
        while `heard(stream)` says a feed follows it now; trades are always queued."""
        self._core.stream_heard = heard

    def drain_user_events(self, *, triggers: bool = False) -> list[UserEvent]:
        """The user events since the last drain, in order; with `triggers`, the stops that
        fired among them too (`STOP_TRIGGERED`: no Binance event, only some dialects')."""
        out = self._core.user_events
        self._core.user_events = []
        if triggers:
            return out
        return [e for e in out if e.payload.get("e") != STOP_TRIGGERED]

    def drain_market_events(self) -> list[MarketEvent]:
        out = list(self._core.market_events)
        self._core.market_events.clear()
        return out
