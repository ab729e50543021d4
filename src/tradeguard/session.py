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
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from tradeguard import risk, stages
from tradeguard.clock import Clock
from tradeguard.errors import (
    BreakerOpen,
    ConfigError,
    OrderRejected,
    OutcomeUnknown,
    TradeguardError,
)
from tradeguard.events import (
    EventBase,
    KillSwitchReset,
    KillSwitchSet,
    OrderFilled,
    OrderIntended,
    OrderUpdated,
    RateLimitChanged,
    ShutDown,
)
from tradeguard.intents import ClientIds, intent, symbol_of
from tradeguard.journal.replay import Ledger
from tradeguard.journal.state import Position
from tradeguard.model import Balance, OrderIntent, OrderStatus, OrderType, Side, Symbol
from tradeguard.orders import Order
from tradeguard.recorder import Recorder
from tradeguard.resolve import ResolvePolicy, book_fills, resolve_unknown
from tradeguard.session_checks import SEND_FAILURES, OrderChecks, Sending, _Price, never_left
from tradeguard.session_orders import OrderCalls, naming
from tradeguard.session_replace import ReplaceCalls
from tradeguard.text import plain, tidy
from tradeguard.validate import RoundMode
from tradeguard.venues.binance.client import BinanceTransport
from tradeguard.venues.binance.report_events import order_updated
from tradeguard.venues.binance.rules import SymbolRules, to_new_order

S = TypeVar("S", bound=msgspec.Struct)

UNKNOWN_ORDER = -2011  # a cancel for an order that is no longer open
CLOSE_HOOK_S = 10.0  # how long closing waits for each part (stream, transport, journal, sim)
FILLS_GRACE_S = 2.0  # reported fills not yet booked: wait this long for the stream, then ask
FILLS_GRACE_MAX_S = 30.0  # ... doubling each time it asks, up to this
_KNOWN = frozenset(
    s for s in OrderStatus if s not in (OrderStatus.UNKNOWN, OrderStatus.PENDING_NEW)
)


def tidy_order(order: Order) -> Order:
    """The order with its amounts (and its fills') written plainly, for the bot."""
    return tidy_struct(order, fills=tuple(tidy_struct(f) for f in order.fills))


def tidy_struct(value: S, **also: Any) -> S:
    """A copy of a struct with every Decimal field tidied (text.tidy), plus `also`."""
    changes = {
        name: tidy(v)
        for name in value.__struct_fields__
        if isinstance(v := getattr(value, name), Decimal)
    }
    return msgspec.structs.replace(value, **changes, **also)


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
class Session(OrderChecks, OrderCalls, ReplaceCalls):
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
    transport: BinanceTransport
    recorder: Recorder
    rules: Mapping[str, SymbolRules]
    guard: Guard
    loss: risk.LossWatch
    ids: ClientIds
    clock: Clock
    _prices: dict[str, _Price] = field(default_factory=dict)
    _sent_ms: deque[int] = field(default_factory=lambda: deque(maxlen=1000))
    _daily_notional: dict[int, Decimal] = field(default_factory=dict)
    _cap_spent: dict[str, tuple[int, Decimal]] = field(default_factory=dict)  # checked, not sent
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    # client order id -> (what is awaited of the order, future); woken by the watcher
    _waiters: dict[str, list[tuple[Callable[[Order], bool], asyncio.Future[None]]]] = field(
        default_factory=dict
    )
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

    def __post_init__(self) -> None:
        self.recorder.watchers.append(self._watch)

    # ── reading ───────────────────────────────────────────────────────────────────────────
    @property
    def ledger(self) -> Ledger:
        return self.recorder.ledger

    def order(self, client_order_id: str) -> Order | None:
        """The order as tradeguard knows it now (None: not in this session's journal)."""
        found: Order | None = self.ledger.order(client_order_id)
        return None if found is None else tidy_order(found)

    def open_orders(self) -> list[Order]:
        """Every order still open (UNKNOWN ones included: they may be live)."""
        return [tidy_order(o) for o in self.ledger.open_orders()]

    def position(self, symbol: Symbol | str) -> Position:
        """What the symbol's fills add up to (commission included); flat before any fill."""
        name = self._exchange_symbol(symbol)
        rules = self.rules.get(name)
        if rules is None:
            raise ConfigError(
                f"{symbol} is not a symbol of this session",
                hint=f"its symbols: {', '.join(sorted(self.rules))}; add it to the profile's "
                "symbols",
            )
        found: Position | None = self.ledger.position(name)
        if found is None:
            return Position(name, rules.base_asset, rules.quote_asset)
        return tidy_struct(found)

    def balance(self, asset: str) -> Balance | None:
        """The exchange's last report of the asset, moved by every fill booked since; None
        for an asset the account has never reported."""
        found: Balance | None = self.ledger.balance(asset.upper())
        return None if found is None else tidy_struct(found)

    def events(self) -> AsyncIterator[EventBase]:
        """Every event from now on: fills, order updates, risk denials, alerts. Events are
        the journal's records as written (amounts in the exchange's own notation)."""
        return self.recorder.feed()

    async def wait_for(
        self, client_order_id: str, *statuses: OrderStatus, timeout_s: float = 30.0
    ) -> Order:
        """Wait until the order is in one of `statuses` (default: any final status) with
        every fill the exchange reported for it booked: a FILLED order comes back with its
        executed quantity and the position moved, never ahead of its fills. Fills come from
        the user stream; if they are late, from myTrades. An UNKNOWN order is waited for
        through its resolution. TimeoutError after `timeout_s`."""
        wanted = frozenset(statuses) or frozenset(s for s in OrderStatus if s.is_final)
        return await self._settled(client_order_id, wanted, timeout_s)

    async def resolved(self, client_order_id: str, *, timeout_s: float = 60.0) -> Order:
        """The order once its placement's outcome is known: after `OutcomeUnknown`, what the
        exchange did with it (NEW, FILLED, ... with its fills booked), or REJECTED with the
        reason if it never reached the matching engine (it is never resent: send a new order
        if you still want one). TimeoutError after `timeout_s`."""
        return await self._settled(client_order_id, _KNOWN, timeout_s)

    async def _settled(self, coid: str, wanted: frozenset[OrderStatus], timeout_s: float) -> Order:
        if self.ledger.order(coid) is None:
            raise ConfigError(
                f"no order {coid} in this session's journal",
                hint="pass the client_order_id of an order this session placed or adopted",
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        grace = FILLS_GRACE_S
        while True:
            order = self.ledger.order(coid)
            assert order is not None
            if order.status in wanted and order.missing_qty == 0:
                return tidy_order(order)
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError(
                    f"order {coid} is {order.status.value} after {timeout_s:.0f} s"
                    + (f", {plain(order.missing_qty)} filled but not yet booked"
                       if order.missing_qty else "")
                )  # fmt: skip
            if order.status not in wanted:
                await self._until(coid, lambda o: o.status in wanted, left)
                continue
            # the exchange reported fills (a reply's cumulative quantity) the fill messages
            # have not brought yet: give the stream a moment, then ask myTrades
            if await self._until(coid, lambda o: o.missing_qty == 0, min(grace, left)):
                continue
            grace = min(grace * 2, FILLS_GRACE_MAX_S)
            await self._fetch_fills(order)

    async def _until(self, coid: str, done: Any, timeout_s: float) -> bool:
        """Wait until `done(order)` holds after some event about the order; False on timeout."""
        order = self.ledger.order(coid)
        if order is not None and done(order):
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (done, future)
        self._waiters.setdefault(coid, []).append(entry)
        try:
            await asyncio.wait_for(future, timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            waiting = self._waiters.get(coid, [])
            if entry in waiting:
                waiting.remove(entry)
            if not waiting:
                self._waiters.pop(coid, None)

    async def _fetch_fills(self, order: Order) -> None:
        """Book an order's reported fills from myTrades (the ledger ignores ones it has)."""
        try:
            report = await self.transport.get_order(
                order.symbol, client_order_id=order.client_order_id
            )
            await book_fills(
                self.transport, report, self._assets(order.symbol), self._record,
                self.profile, self._now(),
            )  # fmt: skip
        except TradeguardError:
            pass  # a ban, a pause, the network: the stream or the next look books them

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
        with naming(wanted):
            checked = await self._check(wanted, round=round)
            self._record(
                OrderIntended(at_ms=self._now(), profile=self.profile, intent=checked),
                durable=True,
            )
            await self._send(checked)
        found = self.order(checked.client_order_id)
        assert found is not None
        return found

    async def _send(self, checked: OrderIntent) -> None:
        coid = checked.client_order_id
        symbol = checked.symbol.binance
        sending = self._sending([coid])
        try:
            report = await self.transport.place_order(to_new_order(checked))
        except SEND_FAILURES as exc:
            self._send_failed([coid], symbol, exc, sending)
            raise
        self._record(order_updated(report, self._now(), self.profile, source="reply"))

    def _sending(self, coids: Sequence[str]) -> Sending:
        """Count an order request about to leave (its place in the order rate, the notional
        its orders took of the rung's daily cap at their check): what `_uncount` takes back if
        it never leaves."""
        stamp = self._now()
        self._sent_ms.append(stamp)
        caps = [spent for c in coids if (spent := self._cap_spent.pop(c, None)) is not None]
        return Sending(self.transport.server_now_ms(), stamp, caps)

    def _uncount(self, sending: Sending) -> None:
        with contextlib.suppress(ValueError):
            self._sent_ms.remove(sending.stamp_ms)
        for day, notional in sending.caps:
            self._daily_notional[day] = self._daily_notional.get(day, Decimal(0)) - notional

    def _send_failed(
        self, coids: Sequence[str], symbol: str, exc: TradeguardError, sending: Sending
    ) -> None:
        """What a request that got no placement reply means for its orders: UNKNOWN after an
        OutcomeUnknown, resolved by client order id and never resent; REJECTED, with the
        reason, after an answer that it was not placed. A request refused before it left
        takes back its place in the order rate and its notional in the rung's daily cap."""
        exc.about_order(coids[0], symbol)
        if never_left(exc):
            self._uncount(sending)
        if isinstance(exc, OutcomeUnknown):
            exc.about_order(
                coids[0],
                symbol,
                hint=f'it may be live: `await tg.resolved("{coids[0]}")` returns it once the '
                "exchange's answer is found; never send it again blindly",
            )
            for coid in coids:
                self._local(coid, symbol, OrderStatus.UNKNOWN, f"outcome unknown: {exc.message}")
                self._spawn(self._resolve(coid, symbol, sending.server_ms))
            return
        for coid in coids:
            self._local(coid, symbol, OrderStatus.REJECTED, f"{type(exc).__name__}: {exc}")
        if isinstance(exc, BreakerOpen):
            self._breaker_opened(exc)

    async def _resolve(self, coid: str, symbol: str, sent_server_ms: int) -> None:
        def still_unknown() -> bool:
            found = self.order(coid)
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
        for order in self.open_orders():
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
    async def commit_due(self) -> None:
        """Group-commit what waits in the journal while the bot is quiet. An append commits
        the batch it finds old enough, so a bot that places orders and then idles would leave
        their replies and stream events in memory for as long as it idles (and lose them to a
        SIGKILL); this tick keeps the README's "within 0.2 s" then too. Runs until close."""
        journal = self.recorder.journal
        tick = journal.max_delay_s / 2  # an event waits at most two ticks
        while not self.closing:
            await asyncio.sleep(tick)
            # a commit that fails (a full disk) keeps its events queued: the next tick tries
            # again, and the next append that commits (an order's intent) raises it to the bot
            with contextlib.suppress(TradeguardError):
                journal.flush_due(older_than_s=tick)

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
            breach = self.loss.on_fill(event)
            if breach is not None:
                self._trip(breach.reason)
        if self._waiters:
            self._wake(getattr(event, "client_order_id", None))

    def _wake(self, coid: str | None) -> None:
        waiting = self._waiters.get(coid) if coid is not None else None
        if not waiting:
            return
        order = self.ledger.order(coid) if coid is not None else None
        if order is None:
            return
        for done, future in waiting:
            if not future.done() and done(order):
                future.set_result(None)

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

    # ── the journal as a control channel ──────────────────────────────────────────────────
    async def watch_journal(self, every_s: float = 1.0) -> None:
        """Follow kill-switch changes other processes write to the journal (`tradeguard
        kill`): latch or release here too. Keeps `halted` set while the kill switch is
        latched, whoever latched it: this session's guard or the bot's own `kill` at once,
        another process within `every_s`. Runs until the session closes."""
        journal = self.recorder.journal
        seen = journal.head()[0]
        kinds = (KillSwitchSet.__name__, KillSwitchReset.__name__)
        self.recorder.watchers.append(self._latch_recorded)
        self._follow_latch()
        while not self.closing:
            await asyncio.sleep(every_s)
            # committed records only: this session's own are in its ledger already (applying
            # them again changes nothing), and waiting for its commits would hold the event
            # loop for as long as the disk takes
            head = journal.head(commit_first=False)[0]
            for record in journal.records(from_seq=seen + 1, kinds=kinds, commit_first=False):
                event = record.event
                latched = self.ledger.kill_switch.latched
                if isinstance(event, KillSwitchSet) and not latched:
                    self.ledger.apply(event)
                    self._follow_latch()
                    self._spawn(self.cancel_all())
                elif isinstance(event, KillSwitchReset) and latched:
                    self.ledger.apply(event)
                    self.loss.reset(self._now())
                    self._follow_latch()
            seen = max(seen, head)

    # ── closing ───────────────────────────────────────────────────────────────────────────
    async def close(
        self, *, cancel_open: bool | None = None, reason: str = "closed"
    ) -> ShutDown | None:
        """Stop new orders; cancel the open ones if `cancel_open` (not given: the profile's
        `cancel_on_exit`), and always while the kill switch is latched (it cancels
        everything, and its own cancels may still be under way); record the shutdown with
        `reason` and the orders the stop cancelled; flush. The ShutDown recorded, or None when
        the session was closed already."""
        if self.closing:
            return None
        self.closing = True
        cancel = self.cancel_on_exit if cancel_open is None else cancel_open
        stopping = self._halt_open | {o.client_order_id for o in self.open_orders()}
        if cancel or self.ledger.kill_switch.latched:
            await self.cancel_all()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*self._tasks, return_exceptions=True)
        shut = ShutDown(
            at_ms=self._now(),
            profile=self.profile,
            reason=reason,
            open_orders=len(self.open_orders()),
            cancelled=self._cancelled_of(stopping),
        )
        self._record(shut, durable=True)
        for hook in self.on_close:  # each bounded: one stuck socket must not keep the rest open
            with contextlib.suppress(Exception):
                await asyncio.wait_for(hook(), CLOSE_HOOK_S)
        self.recorder.close_feeds()
        self.recorder.journal.flush()
        return shut

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        await self.close(reason=self._exit_reason(exc))

    # ── stopping: the kill switch and the shutdown's record ─────────────────────────────────
    def _follow_latch(self) -> None:
        """`halted` follows the kill switch; the orders open when it latches are kept, for
        the shutdown to say which of them the stop cancelled (a reset: that was no stop)."""
        if not self.ledger.kill_switch.latched:
            self.halted.clear()
            self._halt_open.clear()
        elif not self.halted.is_set():
            self._halt_open.update(o.client_order_id for o in self.open_orders())
            self.halted.set()

    def _latch_recorded(self, event: EventBase) -> None:
        """A recorder watcher: a kill switch latched or reset in this process."""
        if isinstance(event, KillSwitchSet | KillSwitchReset):
            self._follow_latch()

    def _cancelled_of(self, coids: set[str]) -> tuple[str, ...]:
        """Those of `coids` that ended cancelled, oldest first."""
        found = [o for o in map(self.order, coids) if o is not None]
        done = [o for o in found if o.status is OrderStatus.CANCELED]
        return tuple(o.client_order_id for o in sorted(done, key=lambda o: o.created_ms))

    @staticmethod
    def _exit_reason(exc: BaseException | None) -> str:
        """What ended an `async with` block, as the shutdown records it."""
        if exc is None:
            return "closed"
        if isinstance(exc, asyncio.CancelledError):
            return "cancelled"
        if isinstance(exc, KeyboardInterrupt):
            return "SIGINT"
        return f"raised {type(exc).__name__}: {exc}"


__all__ = ["Guard", "Session"]
