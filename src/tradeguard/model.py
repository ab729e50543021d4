"""Value types shared by every layer: symbols, sides, order types, orders, fills, balances.

Money and quantities are `Decimal` from the wire to the journal, never float. The types are
immutable msgspec Structs so that they encode to JSON (Decimals as strings) without glue.
"""

from __future__ import annotations

import enum
from decimal import Decimal

import msgspec

from tradeguard.errors import ConfigError


class Side(enum.StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(enum.StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    LIMIT_MAKER = "LIMIT_MAKER"
    STOP_LOSS = "STOP_LOSS"
    STOP_LOSS_LIMIT = "STOP_LOSS_LIMIT"
    TAKE_PROFIT = "TAKE_PROFIT"
    TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"


class TimeInForce(enum.StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(enum.StrEnum):
    """Order states. PENDING_NEW and UNKNOWN are local: sent with no answer yet, and an
    outcome being resolved; the rest are the exchange's."""

    PENDING_NEW = "PENDING_NEW"
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    PENDING_CANCEL = "PENDING_CANCEL"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"
    EXPIRED_IN_MATCH = "EXPIRED_IN_MATCH"
    REJECTED = "REJECTED"
    UNKNOWN = "UNKNOWN"

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.EXPIRED,
        OrderStatus.EXPIRED_IN_MATCH,
        OrderStatus.REJECTED,
    }
)


class Symbol(msgspec.Struct, frozen=True, order=True):
    """A spot pair. Written "BTC/USDT" by users; "BTCUSDT" on Binance's wire."""

    base: str
    quote: str

    @classmethod
    def parse(cls, text: str) -> Symbol:
        base, sep, quote = text.strip().upper().partition("/")
        if not sep or not base.isalnum() or not quote.isalnum():
            raise ConfigError(
                f"symbol {text!r} is not of the form BASE/QUOTE", hint='write it like "BTC/USDT"'
            )
        return cls(base, quote)

    @property
    def binance(self) -> str:
        return self.base + self.quote

    def __str__(self) -> str:
        return f"{self.base}/{self.quote}"


class Balance(msgspec.Struct, frozen=True):
    asset: str
    free: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


class Fill(msgspec.Struct, frozen=True):
    """One execution of one order, as the exchange reported it."""

    symbol: str  # exchange symbol, e.g. "BTCUSDT"
    trade_id: int
    order_id: int
    client_order_id: str | None
    side: Side
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str | None
    time_ms: int
    is_maker: bool


class OrderReport(msgspec.Struct, frozen=True):
    """An order as the exchange reported it at one moment (a reply, a query, a stream event)."""

    symbol: str
    order_id: int
    client_order_id: str
    side: Side
    type: OrderType
    status: OrderStatus
    price: Decimal
    orig_qty: Decimal
    executed_qty: Decimal
    cummulative_quote_qty: Decimal
    time_in_force: TimeInForce | None = None
    stop_price: Decimal | None = None
    order_list_id: int = -1
    update_time_ms: int | None = None
    fills: tuple[Fill, ...] = ()


class OrderIntent(msgspec.Struct, frozen=True, kw_only=True):
    """What the bot asked for, complete, before anything is sent. The journal records it ahead
    of the request (safety invariant 4), so a crash right after sending still leaves the client
    order id to resolve the outcome by.

    `qty` is in the base asset; a market order by quote amount sets `quote_qty` instead, and its
    base quantity is learnt from the exchange's reply.
    """

    client_order_id: str
    symbol: Symbol
    side: Side
    type: OrderType
    qty: Decimal | None = None
    quote_qty: Decimal | None = None
    price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    stop_price: Decimal | None = None
    trailing_delta: int | None = None
    iceberg_qty: Decimal | None = None
    post_only: bool = False
    list_client_order_id: str | None = None  # the OCO / order list this order belongs to
    list_kind: str | None = None  # that list's kind as Binance names it, "OCO" or "OTO", if said
    placed_by: str | None = None  # the gateway's local key (its name) that placed it, if one did
