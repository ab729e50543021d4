"""The risk guard: limits every order must stay within, and the loss watch that latches the
kill switch. Pure: no clock (time is `now_ms`), no I/O, Decimal money.

    check(intent, exposure, limits, now_ms, last_price) -> Allow | Deny(reasons)

`check` is the second gate after `validate.validate` (the exchange's own filters). It denies iff
a limit is crossed, and a `Deny` carries every reason, not only the first. Two denials are
absolute: a read-only profile (it sends no order whatever the key allows) and a latched kill
switch (`Deny.halted`; `Deny.error()` is then `TradingHalted`, otherwise `RiskDenied`).

How orders are measured (all in the symbol's quote currency):

- notional: a quote-amount market order is its quote amount; a BUY with a limit price is
  qty * price (it never pays more); anything else is qty * the highest of its limit price, stop
  price and the last price (a SELL may fill above its limit, a market order wherever the
  market is). No price to value it by: denied, saying to pass `last_price`.
- position: the symbol's base-asset position after this order and every open order on the
  same side fill in full (worst case). It is denied when its size would exceed the symbol's
  cap and grow; an order that shrinks an over-cap position is allowed.
- order rate: orders sent in the 60 s before `now_ms` (`Exposure.recent_orders_ms`), plus
  this one.
- price band: a limit order's price against the last price, a stop-limit's limit price
  against its stop price; more than `price_band_pct` percent away is denied.
- loss: `pnl_today` (realised + unrealised, since 00:00 UTC) at or below -daily_loss, or
  `equity_peak - equity` at or above drawdown_from_peak.

How PnL is measured (`LossWatch`): mark-to-market in one quote currency. Each fill moves the
symbol's base quantity and quote cash (commission in the base asset reduces the quantity, in
the quote asset the cash, in a third asset such as BNB it is valued at that asset's mark
against the quote currency when one is known, and counted in `unpriced_fees` otherwise).
Equity is cash + quantity * mark summed over symbols; marks are the last prices given, and every
fill's price is also a mark. Equity starts at 0 when the watch starts, so it measures what the
bot's own trading did, not the price moves of assets held before. The day starts at 00:00 UTC,
taken from `now_ms`; the day's baseline is the equity just before the first event of the day
(the last marks of the day before). The peak is the highest equity seen. Crossing either limit
trips the watch once (`Breach`); the caller journals `KillSwitchSet`, which latches trading off
until `KillSwitchReset`; `reset()` re-baselines the day and the peak at the current equity, so
a reset is not undone by the loss it acknowledged.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import msgspec

from tradeguard.errors import ConfigError, GuardError, RiskDenied, TradingHalted
from tradeguard.events import EventBase, KillSwitchReset, OrderFilled
from tradeguard.model import OrderIntent, OrderType, Side, Symbol
from tradeguard.text import plain

ZERO = Decimal(0)
HUNDRED = Decimal(100)
MINUTE_MS = 60_000
DAY_MS = 86_400_000
_STOP_LIMIT = (OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)
_PRICED = frozenset(
    {OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT}
)


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Every limit is optional: None switches it off. The defaults are deliberately small, for a
    first run; a profile's `[limits]` raises them. Amounts are in each symbol's quote currency;
    daily_loss and drawdown_from_peak in the loss watch's currency."""

    max_order_notional: Decimal | None = Decimal("100")
    max_position: Mapping[Symbol, Decimal] = field(default_factory=dict)
    max_position_default: Decimal | None = None  # for symbols without their own cap
    max_open_orders: int | None = 10
    max_orders_per_minute: int | None = 30
    price_band_pct: Decimal | None = Decimal("5")
    daily_loss: Decimal | None = Decimal("50")
    drawdown_from_peak: Decimal | None = Decimal("100")

    def __post_init__(self) -> None:
        amounts = {
            "max_order_notional": self.max_order_notional,
            "max_position_default": self.max_position_default,
            "max_open_orders": self.max_open_orders,
            "max_orders_per_minute": self.max_orders_per_minute,
            "price_band_pct": self.price_band_pct,
            "daily_loss": self.daily_loss,
            "drawdown_from_peak": self.drawdown_from_peak,
            **{f"max_position[{k}]": v for k, v in self.max_position.items()},
        }
        for name, value in amounts.items():
            if value is not None and not value > 0:
                raise ConfigError(
                    f"limit {name} is {value}; a limit must be positive",
                    hint="leave it out (or None) to switch it off",
                )

    @classmethod
    def off(cls) -> RiskLimits:
        """No limit at all (tests, or a caller that enforces its own)."""
        return cls(
            max_order_notional=None,
            max_open_orders=None,
            max_orders_per_minute=None,
            price_band_pct=None,
            daily_loss=None,
            drawdown_from_peak=None,
        )


class Exposure(msgspec.Struct, frozen=True):
    """What the guard holds when an order is checked. Positions in the base asset by symbol;
    `open_buy_qty` / `open_sell_qty` the unfilled quantity of open orders by symbol;
    `recent_orders_ms` the times orders were sent, oldest first; PnL from `LossWatch`. A
    Struct: one is built per order, and a frozen dataclass's __init__ cost about 1 µs more."""

    positions: Mapping[Symbol, Decimal] = msgspec.field(default_factory=dict)
    open_orders: int = 0
    open_buy_qty: Mapping[Symbol, Decimal] = msgspec.field(default_factory=dict)
    open_sell_qty: Mapping[Symbol, Decimal] = msgspec.field(default_factory=dict)
    recent_orders_ms: Sequence[int] = ()
    pnl_today: Decimal = ZERO
    equity: Decimal = ZERO
    equity_peak: Decimal = ZERO
    kill_switch: bool = False
    kill_reason: str | None = None
    read_only: bool = False


@dataclass(frozen=True, slots=True)
class Allow:
    allowed = True


ALLOW = Allow()


@dataclass(frozen=True, slots=True)
class Deny:
    reasons: tuple[str, ...]
    halted: bool = False  # the kill switch is latched
    allowed = False

    def error(self) -> GuardError:
        if self.halted:
            return TradingHalted(
                "trading is halted by the kill switch: " + "; ".join(self.reasons),
                hint="reset it with `tradeguard kill --reset` once the cause is dealt with",
            )
        return RiskDenied(self.reasons)


def order_notional(intent: OrderIntent, last_price: Decimal | None) -> Decimal | None:
    """The order's size in quote currency, as `check` measures it (see the module text);
    None when nothing prices it."""
    if intent.quote_qty is not None:
        return intent.quote_qty
    qty = intent.qty
    if qty is None:
        return None
    price = intent.price
    if intent.side is Side.BUY and price is not None:
        return qty * price
    ref = price
    for p in (intent.stop_price, last_price):
        if p is not None and (ref is None or p > ref):
            ref = p
    return None if ref is None else qty * ref


def orders_in_last_minute(recent_orders_ms: Sequence[int], now_ms: int) -> int:
    """How many of the (oldest-first) send times fall in the 60 s before `now_ms`: two binary
    searches, since a busy bot holds thousands of send times in the window."""
    since = now_ms - MINUTE_MS
    return bisect_right(recent_orders_ms, now_ms) - bisect_right(recent_orders_ms, since)


def check(
    intent: OrderIntent,
    exposure: Exposure,
    limits: RiskLimits,
    now_ms: int,
    last_price: Decimal | None,
) -> Allow | Deny:
    reasons: list[str] = []
    if exposure.read_only:
        reasons.append(
            "READ_ONLY: this profile is read-only and sends no order, whatever the key allows; "
            'set mode = "trade" in the profile to trade'
        )
    if exposure.kill_switch:
        why = f" ({exposure.kill_reason})" if exposure.kill_reason else ""
        reasons.append(
            f"KILL_SWITCH: the kill switch is latched{why}; reset it with `tradeguard kill --reset`"
        )

    cap = limits.max_order_notional
    if cap is not None:
        notional = order_notional(intent, last_price)
        if notional is None:
            reasons.append("MAX_ORDER_NOTIONAL: no price to value this order by; pass last_price")
        elif notional > cap:
            reasons.append(
                f"MAX_ORDER_NOTIONAL: order notional {plain(notional)} is above the limit "
                f"{plain(cap)}; make it smaller or raise max_order_notional"
            )

    sym = intent.symbol
    pos_cap = limits.max_position.get(sym, limits.max_position_default)
    if pos_cap is not None:
        qty = intent.qty
        if qty is None and intent.quote_qty is not None and last_price:
            qty = intent.quote_qty / last_price
        if qty is None:
            reasons.append(
                f"MAX_POSITION: no last price to estimate the {sym} quantity by; pass last_price"
            )
        else:
            cur = exposure.positions.get(sym, ZERO)
            if intent.side is Side.BUY:
                after = cur + exposure.open_buy_qty.get(sym, ZERO) + qty
            else:
                after = cur - exposure.open_sell_qty.get(sym, ZERO) - qty
            if abs(after) > pos_cap and abs(after) > abs(cur):
                reasons.append(
                    f"MAX_POSITION: the {sym} position could reach {plain(after)} with this order "
                    f"and the open ones, beyond the limit {plain(pos_cap)}"
                )

    if limits.max_open_orders is not None and exposure.open_orders >= limits.max_open_orders:
        reasons.append(
            f"MAX_OPEN_ORDERS: {exposure.open_orders} orders are open, the limit is "
            f"{limits.max_open_orders}; cancel some first"
        )
    rate = limits.max_orders_per_minute
    if rate is not None:
        sent = orders_in_last_minute(exposure.recent_orders_ms, now_ms)
        if sent >= rate:
            reasons.append(
                f"MAX_ORDERS_PER_MINUTE: {sent} orders were sent in the last minute, the limit "
                f"is {rate}; wait"
            )

    band = limits.price_band_pct
    price = intent.price
    if band is not None and price is not None and intent.type in _PRICED:
        stop_limit = intent.type in _STOP_LIMIT and intent.stop_price is not None
        ref = intent.stop_price if stop_limit else last_price
        if ref is None or ref <= 0:
            reasons.append("PRICE_BAND: no last price to check the price band against; pass it")
        elif abs(price - ref) * HUNDRED > band * ref:
            what = "stop_price" if stop_limit else "the last price"
            reasons.append(
                f"PRICE_BAND: price {plain(price)} is more than {plain(band)}% from {what} "
                f"{plain(ref)}; check the price or widen price_band_pct"
            )

    if limits.daily_loss is not None and exposure.pnl_today <= -limits.daily_loss:
        reasons.append(
            f"DAILY_LOSS: today's PnL {plain(exposure.pnl_today)} reached the daily loss limit "
            f"{plain(limits.daily_loss)}"
        )
    dd = limits.drawdown_from_peak
    if dd is not None and exposure.equity_peak - exposure.equity >= dd:
        reasons.append(
            f"DRAWDOWN: equity {plain(exposure.equity)} is "
            f"{plain(exposure.equity_peak - exposure.equity)} below its peak "
            f"{plain(exposure.equity_peak)}, the limit is {plain(dd)}"
        )

    if reasons:
        return Deny(tuple(reasons), halted=exposure.kill_switch)
    return ALLOW


# ── the loss watch ───────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class Breach:
    """A loss limit was crossed: journal `KillSwitchSet(reason=breach.reason)`."""

    kinds: tuple[str, ...]  # "daily_loss", "drawdown"
    reason: str
    at_ms: int
    pnl_today: Decimal
    drawdown: Decimal


class _Holding:
    __slots__ = ("base", "cash", "qty")

    def __init__(self, base: str) -> None:
        self.base = base
        self.qty = ZERO
        self.cash = ZERO


class LossWatch:
    """Mark-to-market PnL in `quote` currency from fills and marks; trips once per breach.

    Feed it every fill (`on_fill`) and price updates (`on_mark`); each returns a `Breach` the
    first time a limit is crossed and None otherwise (also while tripped: the caller latches
    the kill switch once). After a restart, `replay(journal events)` rebuilds it from the fills
    and kill-switch resets (marks between fills are not journaled, so the peak is then the
    highest equity at fill prices)."""

    def __init__(
        self,
        quote: str,
        *,
        daily_loss: Decimal | None,
        drawdown_from_peak: Decimal | None,
    ) -> None:
        self.quote = quote
        self.daily_loss = daily_loss
        self.drawdown_from_peak = drawdown_from_peak
        self._held: dict[str, _Holding] = {}
        self._marks: dict[str, Decimal] = {}
        self._asset_marks: dict[str, Decimal] = {}  # base asset -> mark against `quote`
        self._equity = ZERO
        self._peak = ZERO
        self._day: int | None = None
        self._day_start = ZERO
        self.tripped: Breach | None = None
        self.unpriced_fees = 0
        self.unmeasured: set[str] = set()  # symbols whose quote is not `quote`

    @classmethod
    def from_limits(cls, quote: str, limits: RiskLimits) -> LossWatch:
        return cls(
            quote, daily_loss=limits.daily_loss, drawdown_from_peak=limits.drawdown_from_peak
        )

    # ── what it says ──
    @property
    def equity(self) -> Decimal:
        return self._equity

    @property
    def peak(self) -> Decimal:
        return self._peak

    @property
    def pnl_today(self) -> Decimal:
        return self._equity - self._day_start

    @property
    def drawdown(self) -> Decimal:
        return self._peak - self._equity

    def position(self, symbol: str) -> Decimal:
        held = self._held.get(symbol)
        return ZERO if held is None else held.qty

    # ── what it is fed ──
    def on_mark(self, symbol: str, price: Decimal, now_ms: int) -> Breach | None:
        """The last price of `symbol` (exchange symbol, "BTCUSDT") at `now_ms`."""
        self._roll(now_ms)
        held = self._held.get(symbol)
        old = self._marks.get(symbol)
        self._marks[symbol] = price
        if held is not None:
            self._asset_marks[held.base] = price
            if held.qty:
                self._equity += held.qty * (price - (old if old is not None else price))
        return self._after(now_ms)

    def on_fill(self, fill: OrderFilled) -> Breach | None:
        """One fill, timed by its `at_ms`. A fill in another quote currency is not measured
        (its symbol is added to `unmeasured`)."""
        now_ms = fill.at_ms
        self._roll(now_ms)
        if fill.quote_asset != self.quote:
            self.unmeasured.add(fill.symbol)
            return None
        symbol = fill.symbol
        held = self._held.get(symbol)
        if held is None:
            held = self._held[symbol] = _Holding(fill.base_asset)
        price = fill.price
        old = self._marks.get(symbol)
        if old is not None and held.qty:
            self._equity += held.qty * (price - old)  # revalue what was held at the fill price
        self._marks[symbol] = price
        self._asset_marks[held.base] = price
        cost = fill.quote_qty if fill.quote_qty is not None else price * fill.qty
        dq = fill.qty if fill.side is Side.BUY else -fill.qty
        dc = -cost if fill.side is Side.BUY else cost
        fee = fill.commission
        if fee:
            asset = fill.commission_asset
            if asset == held.base:
                dq -= fee
            elif asset == self.quote:
                dc -= fee
            elif asset is not None and asset in self._asset_marks:
                dc -= fee * self._asset_marks[asset]
            else:
                self.unpriced_fees += 1
        held.qty += dq
        held.cash += dc
        self._equity += dc + dq * price
        return self._after(now_ms)

    def reset(self, now_ms: int) -> None:
        """The kill switch was reset: the loss is acknowledged, so today's baseline and the
        peak restart from the equity now."""
        self._roll(now_ms)
        self._day_start = self._equity
        self._peak = self._equity
        self.tripped = None

    def replay(self, events: Iterable[EventBase]) -> None:
        """Rebuild from journal events: fills and kill-switch resets, in order."""
        for event in events:
            self.observe(event)

    def observe(self, event: EventBase) -> None:
        """One journal event while rebuilding (`replay`'s step)."""
        if isinstance(event, OrderFilled):
            self.on_fill(event)
        elif isinstance(event, KillSwitchReset):
            self.reset(event.at_ms)

    # ── inside ──
    def _roll(self, now_ms: int) -> None:
        day = now_ms // DAY_MS
        if day != self._day:
            if self._day is None or day > self._day:
                self._day_start = self._equity
            self._day = day if self._day is None else max(day, self._day)

    def _after(self, now_ms: int) -> Breach | None:
        if self._equity > self._peak:
            self._peak = self._equity
        if self.tripped is not None:
            return None
        kinds: list[str] = []
        why: list[str] = []
        pnl = self._equity - self._day_start
        if self.daily_loss is not None and pnl <= -self.daily_loss:
            kinds.append("daily_loss")
            why.append(
                f"today's PnL {plain(pnl)} {self.quote} reached the daily loss limit "
                f"{plain(self.daily_loss)}"
            )
        dd = self._peak - self._equity
        if self.drawdown_from_peak is not None and dd >= self.drawdown_from_peak:
            kinds.append("drawdown")
            why.append(
                f"equity fell {plain(dd)} {self.quote} from its peak {plain(self._peak)}, the "
                f"limit is {plain(self.drawdown_from_peak)}"
            )
        if not kinds:
            return None
        self.tripped = Breach(tuple(kinds), "; ".join(why), now_ms, pnl, dd)
        return self.tripped

    def exposure_fields(self) -> dict[str, Decimal]:
        """pnl_today, equity and equity_peak, for building an `Exposure`."""
        return {"pnl_today": self.pnl_today, "equity": self._equity, "equity_peak": self._peak}
