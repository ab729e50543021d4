"""What the journal says the guard held at one moment: the value types `fold` returns. Pure."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradeguard.model import Balance
from tradeguard.orders import Order

ZERO = Decimal(0)


class Position(msgspec.Struct, frozen=True, gc=False):
    """What one symbol's fills added up to: `qty` in the base asset (bought minus sold minus
    commission paid in the base asset), `quote` in the quote asset (received minus paid minus
    commission paid in the quote asset). A commission in a third asset (BNB) moves only that
    asset's balance."""

    symbol: str
    base_asset: str
    quote_asset: str
    qty: Decimal = ZERO
    quote: Decimal = ZERO
    fills: int = 0


class LimitState(msgspec.Struct, frozen=True, gc=False):
    """A pause, ban or open breaker as last journaled. Whether it is still in force at a given
    moment is `until_ms > now`."""

    limit: str
    until_ms: int
    reason: str
    since_ms: int


class KillSwitch(msgspec.Struct, frozen=True, gc=False):
    latched: bool = False
    reason: str | None = None
    by: str | None = None
    since_ms: int | None = None


class Stage(msgspec.Struct, frozen=True, gc=False):
    rung: str
    max_order_notional: Decimal | None
    max_daily_notional: Decimal | None
    since_ms: int


class ClockState(msgspec.Struct, frozen=True, gc=False):
    offset_ms: int
    rtt_ms: float
    at_ms: int


class StreamState(msgspec.Struct, frozen=True, gc=False):
    stream: str
    connected: bool
    since_ms: int
    gap_since_ms: int | None = None  # a gap not yet filled: fills may be missing since then


class State(msgspec.Struct, frozen=True, gc=False):
    """Everything the guard held at one moment."""

    as_of_ms: int | None = None  # local time of the last event folded
    events: int = 0
    profile: str | None = None
    orders: dict[str, Order] = {}
    positions: dict[str, Position] = {}
    balances: dict[str, Balance] = {}
    limits: dict[str, LimitState] = {}
    stage: Stage | None = None
    kill_switch: KillSwitch = KillSwitch()
    clock: ClockState | None = None
    streams: dict[str, StreamState] = {}
    peak_weight: int = 0
    peak_order_count: int = 0
    risk_denials: int = 0
    errors: int = 0
    alerts: int = 0
    closed_dropped: int = 0  # closed orders no longer held (see Ledger.keep_closed)

    def open_orders(self) -> list[Order]:
        return [o for o in self.orders.values() if o.is_open]

    def limits_in_force(self, now_ms: int) -> list[LimitState]:
        return [s for s in self.limits.values() if s.until_ms > now_ms]
