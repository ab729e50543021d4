"""The guard a bot holds: every order goes intent → checks → journal → exchange → state.

    async with tradeguard.connect("default") as tg:
        order = await tg.limit_buy("BTC/USDT", qty="0.010", price="60000", post_only=True)
        async for event in tg.events(): ...

What an order call does, in this order, and why:

1. kill switch and read-only mode: refused at once (TradingHalted / RiskDenied);
2. `validate` against the symbol's exchangeInfo filters (rounding only when asked, toward the
   safe side), then the risk guard (`risk.check`) and the rung's caps; a refusal is a
   `RiskDenied` event in the journal with every reason, and an exception for the bot;
3. `OrderIntended` committed durably (safety invariant 4), then the request;
4. the reply moves the order (never books its fills: fills come from fill messages, the user
   stream or myTrades); `OutcomeUnknown` puts it in UNKNOWN and starts its resolver; an answer
   that says it was not placed (a rejection, NotSent, a ban) makes it REJECTED with the reason.

Everything that happens is recorded through one `Recorder` (fold, then journal), so the state
the bot reads is the state replay rebuilds.
"""

from __future__ import annotations

import asyncio
import contextlib
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from tradeguard import risk, stages
from tradeguard.errors import (
    BreakerOpen,
    ConfigError,
    OrderRejected,
    OutcomeUnknown,
    TradeguardError,
)
from tradeguard.events import (
    EventBase,
    KillSwitchSet,
    OrderFilled,
    OrderIntended,
    OrderUpdated,
    RateLimitChanged,
)
from tradeguard.intents import ClientIds, intent, symbol_of
from tradeguard.journal.replay import Ledger
from tradeguard.model import OrderIntent, OrderStatus, OrderType, Side, Symbol
from tradeguard.net.clock import Clock
from tradeguard.orders import Order
from tradeguard.report_events import order_updated
from tradeguard.session.checks import SEND_FAILURES, OrderChecks, Sending, _Price, never_left
from tradeguard.session.market import MarketCalls
from tradeguard.session.orders import OrderCalls, name_error
from tradeguard.session.reads import Awaited, ReadCalls
from tradeguard.session.recorder import Recorder
from tradeguard.session.replace import ReplaceCalls
from tradeguard.session.resolve import (
    ListVenue,
    ResolvePolicy,
    book_fills,
    resolve_unknown,
    resolve_unknown_list,
)
from tradeguard.session.serving import ServingCalls
from tradeguard.session.stop import StopCalls
from tradeguard.symbol_rules import SymbolRules
from tradeguard.validate import RoundMode
from tradeguard.venues.protocol import Venue

UNKNOWN_ORDER = -2011  # a cancel for an order that is no longer open


@dataclass
class Guard:
    """What the checks need, fixed for a session (see connect.py for where each comes from)."""

    limits: risk.RiskLimits
    caps: stages.Caps | None = None
    rung: str = "sim"
    read_only: bool = False
    round: RoundMode = RoundMode.REFUSE
    price_band_pct: Decimal | None = None


@dataclass
class Session(
    OrderChecks, OrderCalls, ReplaceCalls, ReadCalls, StopCalls, MarketCalls, ServingCalls
):
    """The guard a bot holds (`tg`): orders, cancels, state, events, the kill switch.

    Get one from `tradeguard.connect(profile)` (or as `main(tg)`'s argument under
    `tradeguard run`); never build it by hand.

    Placing: `market_buy/market_sell`, `limit_buy/limit_sell/limit`, `stop_loss`,
    `take_profit`, `bracket` (OCO), `cancel_replace`. Each checks the intent (exchange
    filters, risk limits, rung caps, kill switch), journals it, sends one request, and returns
    the order as the reply left it. Cancelling: `cancel`, `cancel_all`, `kill` (latch the kill
    switch and cancel everything).

    Reading: `order(coid)`, `open_orders()`, `position(symbol)`, `balance(asset)`,
    `last_price(symbol)`; waiting: `wait_for(coid, *statuses)`, `resolved(coid)` (after
    OutcomeUnknown); `events()` is an async feed of everything recorded (fills, order
    updates, risk denials, alerts). Amounts are Decimals; symbols "BTC/USDT" or "BTCUSDT".

    The state it shows is the journal folded: replaying the journal rebuilds it exactly.
    """

    profile: str
    transport: Venue
    recorder: Recorder
    rules: Mapping[str, SymbolRules]
    guard: Guard
    loss: risk.LossWatch
    ids: ClientIds
    clock: Clock
    _prices: dict[str, _Price] = field(default_factory=dict)
    # each symbol's last fill seen live (a reply or the user stream), when it was seen
    _fill_prices: dict[str, _Price] = field(default_factory=dict)
    # send times, oldest first: every one of the last minute, for the order-rate check (a
    # fixed 1,000 left a max_orders_per_minute over 1,000 never reached), and up to as many
    # older ones, dropped in bulk (`_sending`)
    _sent_ms: list[int] = field(default_factory=list)
    _daily_notional: dict[int, Decimal] = field(default_factory=dict)
    _cap_spent: dict[str, tuple[int, Decimal]] = field(default_factory=dict)  # checked, not sent
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _in_flight: set[str] = field(default_factory=set)  # orders whose call was cancelled mid-send
    # client order id -> (what is awaited of the order, future); woken by the watcher
    _waiters: dict[str, list[tuple[Awaited, asyncio.Future[None]]]] = field(default_factory=dict)
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # stream up, no gap open
    closing: bool = False
    on_close: list[Any] = field(default_factory=list)  # async callables run by close()
    alerts: Any = None  # session_alerts.AlertHub
    stream: Any = None  # venues.binance.stream.UserStream, when the session has one
    sim: Any = None  # the embedded simulator (tradeguard.sim.server.RunningSim) on env = "sim"
    resolve_policy: ResolvePolicy | None = None  # None: resolve.ResolvePolicy's defaults
    cancel_on_exit: bool = True  # the profile's: what closing does with open orders unless told
    # set while the kill switch is latched, whoever latched it: `await tg.halted.wait()`
    halted: asyncio.Event = field(default_factory=asyncio.Event)
    _halt_open: set[str] = field(default_factory=set)  # the orders open when it latched
    market_config: Any = None  # market.keeper.MarketConfig (None: its defaults)
    _market: Any = None  # market.keeper.MarketKeeper, made on the first market-data read

    def __post_init__(self) -> None:
        self.recorder.watchers.append(self._watch)

    # ── reading ───────────────────────────────────────────────────────────────────────────
    @property
    def ledger(self) -> Ledger:
        return self.recorder.ledger

    @property
    def venue(self) -> str:
        """The exchange this session trades: "binance", "bybit", "okx" or "kraken"."""
        return self.transport.name

    def supports(self, feature: str) -> bool:
        """Whether this venue offers `feature` ("oco", "cancel_replace", "stop_orders",
        "iceberg", "trailing"); an order call needing one it lacks is refused before anything
        is journaled or sent, so a bot that runs everywhere asks first."""
        return feature in self.transport.features

    # ── placing (the order-type calls are in session_orders.OrderCalls) ─────────────────
    def _intent(
        self, symbol: Symbol | str, side: Side | str, kind: OrderType, **fields: Any
    ) -> OrderIntent:
        return intent(self.ids.next(), symbol, side, kind, **fields)

    async def place(self, wanted: OrderIntent, *, round: RoundMode | None = None) -> Order:
        """Check, journal and send one intent; the order as the reply left it (its fills
        follow as fill messages: `wait_for` returns it with them booked). Any error names the
        order (`client_order_id`, `symbol`); after `OutcomeUnknown`, `resolved()` waits for
        what the exchange did with it."""
        # `naming`'s work without its context manager: with the caches cold (the exchange had
        # the core while the bot waited) entering and leaving one cost ~10 µs an order
        try:
            self._claim((wanted,))
            checked = await self._check(wanted, round=round)
            self._claim((checked,))  # no await from here to the journal: a racing twin lost
            self._record(
                OrderIntended(at_ms=self._now(), profile=self.profile, intent=checked),
                durable=True,
            )
            await self._send(checked)
        except TradeguardError as exc:
            name_error(exc, wanted)
            raise
        found = self.order(checked.client_order_id)
        assert found is not None
        return found

    async def _send(self, checked: OrderIntent) -> None:
        coid = checked.client_order_id
        symbol = checked.symbol.binance
        sending = self._sending([coid])
        try:
            report = await self.transport.submit(checked)
        except SEND_FAILURES as exc:
            self._send_failed([coid], symbol, exc, sending)
            raise
        except asyncio.CancelledError:
            self._cancelled_in_flight(coid, symbol, sending)
            raise
        self._record(order_updated(report, self._now(), self.profile, source="reply"))

    def _cancelled_in_flight(self, coid: str, symbol: str, sending: Sending) -> None:
        """The call was cancelled (a stop: Ctrl-C, SIGTERM; or the bot's own timeout) while its
        request may be out: an unknown outcome, handled as after a lost reply (`_send_failed`:
        UNKNOWN, resolved by client order id); a stop waits for that resolution before its
        cancels (`StopCalls.close`), which would otherwise overtake the order and leave it open
        on the exchange."""
        cancelled = OutcomeUnknown("the order call was cancelled while its request was out")
        self._send_failed([coid], symbol, cancelled, sending)
        self._in_flight = {c for c in self._in_flight if self._unknown(c)} | {coid}

    def _unknown(self, coid: str) -> bool:
        order = self.ledger.order(coid)
        return order is not None and order.status is OrderStatus.UNKNOWN

    def _sending(self, coids: Sequence[str]) -> Sending:
        """Count an order request about to leave (its place in the order rate, the notional
        its orders took of the rung's daily cap at their check): what `_uncount` takes back if
        it never leaves."""
        stamp = self._now()
        sent = self._sent_ms
        sent.append(stamp)
        expired = bisect_right(sent, stamp - risk.MINUTE_MS)
        if expired > len(sent) // 2:  # a list, not a deque, so the check bisects it quickly
            del sent[:expired]
        caps = [spent for c in coids if (spent := self._cap_spent.pop(c, None)) is not None]
        return Sending(self.transport.server_now_ms(), stamp, caps)

    def _uncount(self, sending: Sending) -> None:
        with contextlib.suppress(ValueError):
            self._sent_ms.remove(sending.stamp_ms)
        for day, notional in sending.caps:
            self._daily_notional[day] = self._daily_notional.get(day, Decimal(0)) - notional

    def _send_failed(
        self,
        coids: Sequence[str],
        symbol: str,
        exc: TradeguardError,
        sending: Sending,
        list_id: str | None = None,
    ) -> None:
        """What a request that got no placement reply means for its orders: UNKNOWN after an
        OutcomeUnknown, resolved by client order id (an order list's legs by the list's,
        `list_id`, where the venue reads lists) and never resent; REJECTED, with the reason,
        after an answer that it was not placed. A request refused before it left takes back
        its place in the order rate and its notional in the rung's daily cap."""
        if never_left(exc):
            self._uncount(sending)
        if isinstance(exc, OutcomeUnknown):
            # the order call names the order on any error (session_orders.naming); this one
            # also says how to await what the exchange did with it
            exc.about_order(
                coids[0],
                symbol,
                hint=f'it may be live: `await tg.resolved("{coids[0]}")` returns it once the '
                "exchange's answer is found; never send it again blindly",
            )
            for coid in coids:
                self._local(coid, symbol, OrderStatus.UNKNOWN, f"outcome unknown: {exc.message}")
            if list_id is not None and hasattr(self.transport, "order_list_legs"):
                self._spawn(self._resolve_list(list_id, coids, symbol, sending.server_ms))
                return
            for coid in coids:
                self._spawn(self._resolve(coid, symbol, sending.server_ms))
            return
        for coid in coids:
            self._local(coid, symbol, OrderStatus.REJECTED, f"{type(exc).__name__}: {exc}")
        if isinstance(exc, BreakerOpen):
            self._breaker_opened(exc)

    async def _resolve(self, coid: str, symbol: str, sent_server_ms: int) -> None:
        def still_unknown() -> bool:
            found = self.ledger.order(coid)
            return found is not None and found.status is OrderStatus.UNKNOWN

        await resolve_unknown(
            self.transport,
            symbol=symbol,
            client_order_id=coid,
            assets=self._assets(symbol),
            sent_server_ms=sent_server_ms,
            still_unknown=still_unknown,
            record=self._record,
            profile=self.profile,
            policy=self.resolve_policy,
        )

    async def _resolve_list(
        self, list_id: str, coids: Sequence[str], symbol: str, sent_server_ms: int
    ) -> None:
        def unknown() -> list[str]:
            legs = (self.ledger.order(coid) for coid in coids)
            return [o.client_order_id for o in legs if o and o.status is OrderStatus.UNKNOWN]

        await resolve_unknown_list(
            cast("ListVenue", self.transport),
            symbol=symbol,
            list_client_order_id=list_id,
            unknown=unknown,
            assets=self._assets(symbol),
            sent_server_ms=sent_server_ms,
            record=self._record,
            profile=self.profile,
            policy=self.resolve_policy,
        )

    # ── cancelling ────────────────────────────────────────────────────────────────────────
    async def cancel(self, client_order_id: str) -> Order:
        """Cancel one order; the order as the exchange left it. A cancel that loses the race
        with a fill (-2011) books the fill and returns the order FILLED; a partial fill before
        the cancel keeps its executed quantity. An order already closed is returned as it is."""
        order = self.order(client_order_id)
        if order is None:
            raise ConfigError(f"no order {client_order_id} in this session's journal")
        if not order.is_open:
            return order
        self._local(client_order_id, order.symbol, OrderStatus.PENDING_CANCEL, "cancel sent")
        try:
            report = await self.transport.cancel_order(
                order.symbol, client_order_id=client_order_id
            )
            at = self._now()
            if report.executed_qty > order.executed_qty:
                # it filled partly since the last fill message seen (a silent or late stream):
                # the cancel reply says how much, myTrades says which fills; book them first
                await book_fills(
                    self.transport, report, self._assets(order.symbol), self._record,
                    self.profile, at,
                )  # fmt: skip
            self._record(order_updated(report, at, self.profile, source="reply"))
        except OrderRejected as exc:
            if exc.code != UNKNOWN_ORDER:
                raise
            report = await self.transport.get_order(order.symbol, client_order_id=client_order_id)
            at = self._now()
            await book_fills(
                self.transport, report, self._assets(order.symbol), self._record, self.profile, at
            )
            self._record(order_updated(report, at, self.profile))
        found = self.order(client_order_id)
        assert found is not None
        return found

    async def cancel_all(self, symbol: Symbol | str | None = None) -> list[Order]:
        """Cancel every open order (of `symbol`, if given); the orders as cancelled. UNKNOWN
        orders are left to their resolution (cancelling by id would race it)."""
        wanted = None if symbol is None else symbol_of(symbol).binance
        done = []
        for order in self.ledger.open_orders():
            if wanted is not None and order.symbol != wanted:
                continue
            if order.status is OrderStatus.UNKNOWN:
                continue  # its resolver finds it; cancelling by id races it
            with contextlib.suppress(TradeguardError):
                done.append(await self.cancel(order.client_order_id))
        return done

    async def kill(self, reason: str, by: str = "user") -> None:
        """Latch the kill switch (kept across restarts) and cancel every open order."""
        if not self.ledger.kill_switch.latched:
            self._record(
                KillSwitchSet(at_ms=self._now(), profile=self.profile, reason=reason, by=by)
            )
        await self.cancel_all()

    # ── recording ─────────────────────────────────────────────────────────────────────────
    def _record(self, event: EventBase, *, durable: bool = False) -> None:
        self.recorder.record(event, durable=durable)

    def _local(self, coid: str, symbol: str, status: OrderStatus, reason: str) -> None:
        self._record(
            OrderUpdated(
                at_ms=self._now(),
                profile=self.profile,
                client_order_id=coid,
                symbol=symbol,
                status=status,
                source="local",
                reason=reason,
            )
        )

    def _breaker_opened(self, exc: BreakerOpen) -> None:
        until = self.transport.server_now_ms() + int(exc.retry_in_s * 1000)
        held = self.ledger.limits.get("breaker")
        if held is not None and held.until_ms >= until - 1000:
            return  # already journaled
        self._record(
            RateLimitChanged(
                at_ms=self._now(),
                profile=self.profile,
                limit="breaker",
                until_ms=until,
                reason=f"{exc.what}: {exc.rejection}",
            )
        )

    def _watch(self, event: EventBase) -> None:
        if isinstance(event, OrderFilled):
            if event.source != "query":  # a back-filled fill may be old: its price is not now
                self._fill_prices[event.symbol] = _Price(event.price, self.clock.monotonic())
            breach = self.loss.on_fill(event)
            if breach is not None:
                self._trip(breach.reason)
        if self._waiters:
            self._wake(getattr(event, "client_order_id", None))

    def _trip(self, reason: str) -> None:
        if self.ledger.kill_switch.latched:
            return
        self._record(
            KillSwitchSet(at_ms=self._now(), profile=self.profile, reason=reason, by="guard"),
            durable=True,
        )
        self._spawn(self.cancel_all())

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _exchange_symbol(self, symbol: Symbol | str) -> str:
        if isinstance(symbol, str) and "/" not in symbol and symbol.upper() in self.rules:
            return symbol.upper()
        return symbol_of(symbol).binance

    def _assets(self, symbol: str) -> tuple[str, str]:
        rules = self.rules[symbol]
        return rules.base_asset, rules.quote_asset

    def _now(self) -> int:
        return self.clock.wall_ms()

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        await self.close(reason=self._exit_reason(exc))


__all__ = ["Guard", "Session"]
