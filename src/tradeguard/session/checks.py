"""The checks every order passes before its intent is journaled and its request leaves:
the kill switch, the stream being up, the symbol's exchangeInfo filters (`validate`), the risk
guard (`risk.check`) and the rung's caps. A refusal is a `RiskDenied` event with every reason,
and an exception for the bot. Mixed into `Session`, with the last-price cache and the exposure
the risk guard measures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec

from tradeguard import risk
from tradeguard.errors import (
    ConfigError,
    ExchangeError,
    GuardError,
    NotSent,
    OutcomeUnknown,
    StageLimitExceeded,
    TradeguardError,
    TradingHalted,
)
from tradeguard.events import EventBase, RiskDenied
from tradeguard.model import OrderIntent, OrderType, Side, Symbol
from tradeguard.validate import OrderRefused, RoundMode, validate

if TYPE_CHECKING:
    from tradeguard.journal.replay import Ledger
    from tradeguard.net.clock import Clock
    from tradeguard.orders import Order
    from tradeguard.session.guard import Guard
    from tradeguard.symbol_rules import SymbolRules
    from tradeguard.venues.protocol import Venue

# What an order request can end in short of a reply: OutcomeUnknown (it may have been placed),
# or an answer that it was not (a rejection, a ban, nothing sent, the breaker). See
# Session._send_failed for what each means for the order.
SEND_FAILURES = (OutcomeUnknown, ExchangeError, NotSent, GuardError)


def never_left(exc: TradeguardError) -> bool:
    """True when the request was refused here and nothing reached the exchange: a ban or
    pause still running, the breaker, the host's clock, a connection that never opened. Such a
    request is not an order sent: it takes no place in the order rate or the rung's caps."""
    if isinstance(exc, ExchangeError):
        return exc.local
    return isinstance(exc, NotSent | GuardError | ConfigError)


class Sending(msgspec.Struct, frozen=True):
    """An order request counted as it leaves: the exchange time (where its recvWindow
    starts), the local stamp in the order rate, the (day, notional) it took of the caps."""

    server_ms: int
    stamp_ms: int
    caps: list[tuple[int, Decimal]]


# the kinds Binance counts against MAX_NUM_ALGO_ORDERS
_ALGO = frozenset(
    (OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT,
     OrderType.TAKE_PROFIT_LIMIT)
)  # fmt: skip

PRICE_MAX_AGE_S = 2.0
READY_WAIT_S = 10.0  # an order waits this long for the stream to come back, then is refused


@dataclass
class _Price:
    value: Decimal
    at: float


class OrderChecks:
    """Mixed into `Session`; what it uses of the session is declared here for the checker."""

    if TYPE_CHECKING:
        profile: str
        transport: Venue
        rules: Mapping[str, SymbolRules]
        guard: Guard
        loss: risk.LossWatch
        clock: Clock
        closing: bool
        ready: asyncio.Event
        _prices: dict[str, _Price]
        _fill_prices: dict[str, _Price]
        _sent_ms: list[int]
        _daily_notional: dict[int, Decimal]
        _cap_spent: dict[str, tuple[int, Decimal]]

        @property
        def ledger(self) -> Ledger: ...
        def _record(self, event: EventBase, *, durable: bool = False) -> None: ...
        def _trip(self, reason: str) -> None: ...
        def _exchange_symbol(self, symbol: Symbol | str) -> str: ...
        def _now(self) -> int: ...
        def _spawn(self, work: Coroutine[Any, Any, Any]) -> None: ...
        def _streamed_price(
            self, symbol: str, max_age_s: float
        ) -> tuple[Decimal, float] | None: ...

    async def _check(
        self,
        wanted: OrderIntent,
        *,
        count: bool = True,
        replacing: str | None = None,
        round: RoundMode | None = None,
    ) -> OrderIntent:
        """Validate and risk-check `wanted`; `replacing` names an open order it replaces
        (cancel-replace), left out of the open-order counts and the exposure; `round` is the
        order's own rounding (None: the session's)."""
        if self.closing:
            raise GuardError(
                "the session is closed (or closing): no new orders",
                hint="connect again (tradeguard.connect) to trade",
            )
        if not self.ready.is_set():  # the user stream is down or back-filling a gap
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for returns the wait's result when
                # the caller's cancel lands in the turn the stream comes back, and the order
                # would go out of a call its bot had cancelled
                async with asyncio.timeout(READY_WAIT_S):
                    await self.ready.wait()
            except TimeoutError:
                self._deny(wanted, ["STREAM: the user stream is down; fills would go unseen"])
                raise GuardError(
                    f"not sent: the user stream has been down for over {READY_WAIT_S:.0f} s",
                    hint="trading resumes by itself once it is back and back-filled",
                ) from None
        state = self.ledger.kill_switch
        if state.latched:
            self._deny(wanted, [f"KILL_SWITCH: latched ({state.reason})"])
            raise TradingHalted(
                f"trading is halted: {state.reason}", hint="reset it with `tradeguard kill --reset`"
            )
        rules = self.rules.get(wanted.symbol.binance)
        if rules is None:
            # the rules are loaded for the profile's symbols only: the symbol may well trade
            # on the exchange, what is missing is the profile's entry for it
            self._deny(wanted, [f"SYMBOL: {wanted.symbol} is not among the profile's symbols"])
            held = ", ".join(f"{r.base_asset}/{r.quote_asset}" for r in self.rules.values())
            raise ConfigError(
                f"{wanted.symbol} is not among profile {self.profile!r}'s symbols ({held})",
                hint=f"add it to `symbols` in profile {self.profile!r} and start again",
            )
        symbol = wanted.symbol.binance
        last = await self.last_price(symbol)
        # the open orders read once, for the symbol's counts here and the exposure below
        open_orders = [o for o in self.ledger.open_orders() if o.client_order_id != replacing]
        open_here = [o for o in open_orders if o.symbol == symbol]
        try:
            checked = validate(
                wanted,
                rules,
                last_price=last,
                open_orders=len(open_here),
                open_algo_orders=sum(1 for o in open_here if o.type in _ALGO),
                price_band_pct=self.guard.price_band_pct,
                round=self.guard.round if round is None else round,
            )
        except OrderRefused as refused:
            self._deny(wanted, list(refused.reasons))
            raise
        now = self._now()
        exposure = self._exposure(open_orders, checked)
        verdict = risk.check(checked, exposure, self.guard.limits, now, last)
        if isinstance(verdict, risk.Deny):
            self._deny(checked, list(verdict.reasons))
            raise verdict.error()
        if count:
            self._check_caps(checked, last, now)
        return checked

    def _claim(self, wanted: Sequence[OrderIntent]) -> None:
        """Refuse intents named by a client order id an order the exchange took holds (open or
        ended: `Ledger.id_taken`); nothing is sent. Called before the checks, and again with
        no `await` before the intents are journaled: two calls racing with one id place one
        order. An id whose order never reached the exchange's book is free, as on Binance."""
        for intent in wanted:
            coid = intent.client_order_id
            if self.ledger.id_taken(coid):
                held = self.ledger.order(coid)
                status = held.status.value if held is not None else "?"
                raise GuardError(
                    f"client order id {coid} is already held by an order that reached, or may "
                    f"have reached, the exchange ({status}); nothing sent",
                    hint="name the new order with a fresh id (or none: the session names it)",
                )

    def _check_caps(self, checked: OrderIntent, last: Decimal | None, now: int) -> None:
        caps = self.guard.caps
        if caps is None:
            return
        notional = risk.order_notional(checked, last) or Decimal(0)
        day = now // 86_400_000
        spent = self._daily_notional.get(day, Decimal(0))
        reasons = []
        if caps.max_order_notional is not None and notional > caps.max_order_notional:
            reasons.append(
                f"STAGE: {notional} is over the {self.guard.rung} rung's "
                f"{caps.max_order_notional} per order"
            )
        if caps.daily_notional is not None and spent + notional > caps.daily_notional:
            reasons.append(
                f"STAGE: today's orders would reach {spent + notional}, over the "
                f"{self.guard.rung} rung's {caps.daily_notional} a day"
            )
        if reasons:
            self._deny(checked, reasons)
            raise StageLimitExceeded(
                "; ".join(reasons), hint="promote the profile with `tradeguard promote`"
            )
        self._daily_notional[day] = spent + notional
        self._cap_spent[checked.client_order_id] = (day, notional)

    def _deny(self, wanted: OrderIntent, reasons: Sequence[str]) -> None:
        self._record(
            RiskDenied(
                at_ms=self._now(),
                profile=self.profile,
                reasons=tuple(reasons),
                client_order_id=wanted.client_order_id,
                intent=wanted,
            )
        )

    async def last_price(self, symbol: Symbol | str) -> Decimal | None:
        """The last traded price (cached for a moment); None if the exchange does not say."""
        symbol = self._exchange_symbol(symbol)
        cached = self._prices.get(symbol)
        now = self.clock.monotonic()
        if cached is not None and now - cached.at < PRICE_MAX_AGE_S:
            return cached.value
        # the market stream's (its ticker, or its book when the bot reads only that), free
        # when the bot subscribed; else the last fill seen live, when fresh; else REST
        # a streamed ticker is as old as its frame, not as the read
        price, seen_at = self._streamed_price(symbol, PRICE_MAX_AGE_S) or (None, now)
        if price is None:
            fill = self._fill_prices.get(symbol)
            if fill is not None and now - fill.at < PRICE_MAX_AGE_S:
                price, seen_at = fill.value, fill.at  # as old as the fill, not as the read
        if price is None:
            try:
                price = await self.transport.last_price(symbol)
            except TradeguardError:
                return cached.value if cached is not None else None
        self._prices[symbol] = _Price(price, seen_at)
        breach = self.loss.on_mark(symbol, price, self._now())
        if breach is not None:
            self._trip(breach.reason)
        return price

    def _exposure(self, open_orders: list[Order], wanted: OrderIntent) -> risk.Exposure:
        """What the risk guard measures `wanted` against; `open_orders` the ones that stay
        open (a cancel-replace's replaced order left out). The position and open quantities
        are the order's symbol's only: that is all `risk.check` weighs an order by, and summing
        every symbol's on each order cost a few µs of the bot's time for nothing."""
        sym = wanted.symbol
        symbol = sym.binance
        buy = sell = risk.ZERO
        for order in open_orders:
            if order.symbol != symbol or order.remaining_qty is None:
                continue
            if order.side is Side.BUY:
                buy += order.remaining_qty
            else:
                sell += order.remaining_qty
        held = self.ledger.position_qty(symbol)
        kill = self.ledger.kill_switch
        return risk.Exposure(
            positions={} if held is None else {sym: held},
            open_orders=len(open_orders),
            open_buy_qty={sym: buy} if buy else {},
            open_sell_qty={sym: sell} if sell else {},
            recent_orders_ms=self._sent_ms,  # read at once, by bisection: no copy per order
            kill_switch=kill.latched,
            kill_reason=kill.reason,
            read_only=self.guard.read_only,
            **self.loss.exposure_fields(),
        )
