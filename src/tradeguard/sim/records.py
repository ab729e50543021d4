"""The simulator's records: symbol specs, order requests, orders, trades, balances, events.

Plain data with `Decimal` money, shared by the pure engine (which creates and changes them) and
the HTTP/WebSocket layer (which parses requests into them and renders them through `wire.py`).
No I/O, no clock: every time is an argument in milliseconds of the simulator's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

# Binance's order types as sent on the wire.
ORDER_TYPES = (
    "LIMIT",
    "MARKET",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
    "LIMIT_MAKER",
)


@dataclass(slots=True)
class SymbolSpec:
    """One tradable pair and its exchangeInfo filters (0 disables a price/notional rule)."""

    symbol: str
    base: str
    quote: str
    initial_price: Decimal
    tick_size: Decimal = Decimal("0.01")
    min_price: Decimal = Decimal("0.01")
    max_price: Decimal = Decimal("1000000")
    step_size: Decimal = Decimal("0.00001")
    min_qty: Decimal = Decimal("0.00001")
    max_qty: Decimal = Decimal("9000")
    market_min_qty: Decimal = Decimal("0")
    market_max_qty: Decimal = Decimal("100")
    market_step_size: Decimal = Decimal("0")
    min_notional: Decimal = Decimal("5")
    max_notional: Decimal = Decimal("9000000")
    apply_min_to_market: bool = True
    apply_max_to_market: bool = False
    iceberg_parts: int = 10
    max_num_orders: int = 200
    base_precision: int = 8
    quote_precision: int = 8
    status: str = "TRADING"
    order_types: tuple[str, ...] = ORDER_TYPES


@dataclass(slots=True)
class MarketParams:
    """How the seeded synthetic market behaves; every step is a pure function of the seed."""

    step_ms: int = 1000  # the reference price moves once per step of simulator time
    volatility_bps: Decimal = Decimal("5")  # std-dev of one step's move, in basis points
    half_spread_ticks: int = 2  # best synthetic bid/ask sit this many ticks from the reference
    levels: int = 20  # synthetic price levels per side
    level_gap_ticks: int = 5  # ticks between synthetic levels
    level_qty_quote: Decimal = Decimal("20000")  # size of one synthetic level, in quote currency
    replenish_per_step: Decimal = Decimal("0.25")  # share of a consumed level restored per step
    flow_qty_quote: Decimal = Decimal("500")  # synthetic taker flow per step against resting orders


@dataclass(slots=True)
class EngineConfig:
    symbols: list[SymbolSpec]
    balances: dict[str, dict[str, Decimal]]  # account -> asset -> free amount at start
    maker_commission: Decimal = Decimal("0.001")
    taker_commission: Decimal = Decimal("0.001")
    market: MarketParams = field(default_factory=MarketParams)
    seed: int = 1
    start_ms: int = 0


@dataclass(slots=True)
class NewOrder:
    """POST /api/v3/order after the HTTP layer parsed numbers and enums (format checked there).

    The engine checks which parameters each type needs (-1102/-1106), the filters (-1013),
    balances (-2010) and everything else the matching engine would.
    """

    symbol: str
    side: str  # BUY | SELL
    type: str
    time_in_force: str | None = None
    quantity: Decimal | None = None
    quote_order_qty: Decimal | None = None
    price: Decimal | None = None
    new_client_order_id: str | None = None
    stop_price: Decimal | None = None
    trailing_delta: int | None = None
    iceberg_qty: Decimal | None = None
    new_order_resp_type: str | None = None  # ACK | RESULT | FULL; None = Binance's default
    self_trade_prevention_mode: str | None = None
    strategy_id: int | None = None
    strategy_type: int | None = None
    order_list_id: int = -1  # set by the engine for order lists' legs


@dataclass(slots=True)
class NewOco:
    """POST /api/v3/orderList/oco: an above leg and a below leg sharing one quantity."""

    symbol: str
    side: str
    quantity: Decimal
    above_type: str
    below_type: str
    above_price: Decimal | None = None
    above_stop_price: Decimal | None = None
    above_trailing_delta: int | None = None
    above_time_in_force: str | None = None
    above_client_order_id: str | None = None
    below_price: Decimal | None = None
    below_stop_price: Decimal | None = None
    below_trailing_delta: int | None = None
    below_time_in_force: str | None = None
    below_client_order_id: str | None = None
    list_client_order_id: str | None = None
    new_order_resp_type: str | None = None


@dataclass(slots=True)
class NewOto:
    """POST /api/v3/orderList/oto (one pending order) or /otoco (two, an OCO pair: above
    first): the working order goes on the book now, the pending ones once it has filled."""

    symbol: str
    working: NewOrder
    pending: list[NewOrder]
    list_client_order_id: str | None = None
    new_order_resp_type: str | None = None


@dataclass(slots=True)
class SimTrade:
    """One execution of one order (each side of a match is its own SimTrade with its own id)."""

    id: int  # trade id, unique per symbol, shared by both sides of a match
    symbol: str
    order_id: int
    order_list_id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool
    account: str


@dataclass(slots=True)
class SimOrder:
    account: str
    symbol: str
    order_id: int
    client_order_id: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    orig_qty: Decimal
    executed_qty: Decimal
    cummulative_quote_qty: Decimal
    # NEW | PARTIALLY_FILLED | FILLED | CANCELED | REJECTED | EXPIRED | EXPIRED_IN_MATCH
    status: str
    time: int
    update_time: int
    working_time: int  # -1 until a stop order triggers
    is_working: bool
    stop_price: Decimal = Decimal("0")
    iceberg_qty: Decimal = Decimal("0")
    trailing_delta: int | None = None
    trailing_time: int | None = None
    orig_quote_order_qty: Decimal = Decimal("0")
    order_list_id: int = -1
    self_trade_prevention_mode: str = "EXPIRE_MAKER"
    strategy_id: int | None = None
    strategy_type: int | None = None
    orig_client_order_id: str | None = None  # set on the copy a cancel returns

    def __copy__(self) -> SimOrder:
        # Every order placed returns a copy: copy.copy's generic way (reduce, reconstruct) costs
        # ~6 µs of the simulator's time per order, this ~0.5 µs. Every field is listed here.
        new = object.__new__(SimOrder)
        new.account = self.account
        new.symbol = self.symbol
        new.order_id = self.order_id
        new.client_order_id = self.client_order_id
        new.side = self.side
        new.type = self.type
        new.time_in_force = self.time_in_force
        new.price = self.price
        new.orig_qty = self.orig_qty
        new.executed_qty = self.executed_qty
        new.cummulative_quote_qty = self.cummulative_quote_qty
        new.status = self.status
        new.time = self.time
        new.update_time = self.update_time
        new.working_time = self.working_time
        new.is_working = self.is_working
        new.stop_price = self.stop_price
        new.iceberg_qty = self.iceberg_qty
        new.trailing_delta = self.trailing_delta
        new.trailing_time = self.trailing_time
        new.orig_quote_order_qty = self.orig_quote_order_qty
        new.order_list_id = self.order_list_id
        new.self_trade_prevention_mode = self.self_trade_prevention_mode
        new.strategy_id = self.strategy_id
        new.strategy_type = self.strategy_type
        new.orig_client_order_id = self.orig_client_order_id
        return new


@dataclass(slots=True)
class PlaceResult:
    order: SimOrder
    fills: list[SimTrade]
    resp_type: str  # ACK | RESULT | FULL, after applying Binance's default for the type


@dataclass(slots=True)
class Balance:
    free: Decimal
    locked: Decimal


@dataclass(slots=True)
class UserEvent:
    """A user-data-stream event for one account, already in Binance's JSON shape."""

    account: str
    payload: dict[str, Any]


# The event type of a stop that fired: Binance's stream says nothing then (its next report is
# a fill or a cancel), but OKX's does (the algo order is `effective`, its order `live`). The
# payload is the stop's executionReport at that moment; only sinks that ask for it hear it.
STOP_TRIGGERED: Final = "stopTriggered"


@dataclass(slots=True)
class MarketEvent:
    """A public stream event: stream name (e.g. "btcusdt@trade") and Binance-shaped payload."""

    stream: str
    payload: dict[str, Any]


@dataclass(slots=True)
class KlineBar:
    """One kline as the streams send it (first/last trade id -1 when nothing traded)."""

    open_time: int
    close_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    trades: int
    taker_buy_volume: Decimal
    taker_buy_quote_volume: Decimal
    first_trade_id: int
    last_trade_id: int
