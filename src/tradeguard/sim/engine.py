"""The simulator's matching engine: pure, deterministic, no I/O.

STUB: this file fixes the interface the HTTP layer codes against. The engine helper replaces
the bodies (and may move internals into book.py / market.py / filters.py); the signatures
below stay as they are unless both sides agree.

Every method takes the simulator's time `now_ms` (or is time-free) and first catches the market
up to it with `advance(now_ms)`. Refusals raise `Reject(code, msg, http_status)` with Binance's
exact codes and texts. Events for user streams and public streams queue up and are taken with
`drain_user_events()` / `drain_market_events()`.
"""

from __future__ import annotations

from decimal import Decimal

from tradeguard.sim.records import (
    Balance,
    EngineConfig,
    MarketEvent,
    NewOco,
    NewOrder,
    PlaceResult,
    SimOrder,
    SimTrade,
    SymbolSpec,
    UserEvent,
)


class Engine:
    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.symbols: dict[str, SymbolSpec] = {s.symbol: s for s in config.symbols}

    # ── time ──────────────────────────────────────────────────────────────────────────────
    def advance(self, now_ms: int) -> None:
        """Catch the market up to `now_ms`: move reference prices step by step, replenish
        synthetic liquidity, let synthetic taker flow fill resting orders, trigger stops and
        trailing stops. Never moves backwards (an earlier `now_ms` is a no-op)."""
        raise NotImplementedError

    # ── orders ────────────────────────────────────────────────────────────────────────────
    def place_order(
        self, account: str, order: NewOrder, now_ms: int, *, test: bool = False
    ) -> PlaceResult:
        """Validate and (unless `test`) place and match an order. `test=True` validates only
        (POST /api/v3/order/test) and returns a PlaceResult that changes nothing."""
        raise NotImplementedError

    def place_oco(self, account: str, oco: NewOco, now_ms: int) -> list[PlaceResult]:
        """Place both legs of an OCO as one order list; returns [above, below] leg results
        (order_list_id set on both). Filling or triggering one leg cancels the other."""
        raise NotImplementedError

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
        raise NotImplementedError

    def cancel_open_orders(self, account: str, symbol: str, now_ms: int) -> list[SimOrder]:
        raise NotImplementedError

    def cancel_order_list(
        self, account: str, symbol: str, order_list_id: int | None, list_client_order_id: str | None,
        now_ms: int,
    ) -> list[SimOrder]:
        raise NotImplementedError

    def get_order(
        self, account: str, symbol: str, order_id: int | None, orig_client_order_id: str | None
    ) -> SimOrder:
        """-2013 "Order does not exist." if unknown."""
        raise NotImplementedError

    def open_orders(self, account: str, symbol: str | None) -> list[SimOrder]:
        raise NotImplementedError

    def all_orders(
        self,
        account: str,
        symbol: str,
        order_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 500,
    ) -> list[SimOrder]:
        raise NotImplementedError

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
        raise NotImplementedError

    # ── account and market data ───────────────────────────────────────────────────────────
    def balances(self, account: str) -> dict[str, Balance]:
        raise NotImplementedError

    def last_price(self, symbol: str) -> Decimal:
        raise NotImplementedError

    def depth(
        self, symbol: str, limit: int
    ) -> tuple[int, list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """(lastUpdateId, bids best-first, asks best-first), synthetic and user orders merged."""
        raise NotImplementedError

    def book_ticker(self, symbol: str) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """(bid price, bid qty, ask price, ask qty)."""
        raise NotImplementedError

    def klines(
        self,
        symbol: str,
        interval_ms: int,
        start_time: int | None,
        end_time: int | None,
        limit: int,
    ) -> list[list[object]]:
        """Binance kline rows built from the simulator's trades and reference prices."""
        raise NotImplementedError

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
        raise NotImplementedError

    def set_price(self, symbol: str, price: Decimal, now_ms: int) -> None:
        """Move the reference price by hand (triggers stops, fills crossed resting orders)."""
        raise NotImplementedError

    def set_balance(self, account: str, asset: str, free: Decimal, now_ms: int) -> None:
        """Set a free balance (emits balanceUpdate + outboundAccountPosition)."""
        raise NotImplementedError

    # ── event queues ──────────────────────────────────────────────────────────────────────
    def drain_user_events(self) -> list[UserEvent]:
        raise NotImplementedError

    def drain_market_events(self) -> list[MarketEvent]:
        raise NotImplementedError
