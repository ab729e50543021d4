"""The fold from events to state, shared by the live path and replay. Pure.

A live session holds one `Ledger` and calls `ledger.apply(event)` for every event it journals;
`fold(events, until_ms=T)` runs a fresh `Ledger` over the journal. Both go through the same
`apply`, which is why replaying a run gives exactly the live state (safety invariant 9): there
is no second implementation to drift.

Order of work on the live path: apply first, then journal what was accepted. An event the
ledger refuses (a `StateError`: an overfill, a transition the table forbids) is not applied and
is journaled as an `ErrorRaised` instead, so the journal never holds an event replay would
refuse. Intents are the exception to nothing: `apply(OrderIntended)` only refuses a client
order id an order the exchange took holds (`id_taken`), which must stop the order from being
sent at all. An order that never reached the exchange's book (rejected, or found never placed)
leaves its id free, as Binance does: a new intent under it replaces that order.

`until_ms` cuts the journal at the first record whose local time is later than T: the state is
that of a prefix of the journal, never a filtered subset (a host clock stepped backwards can
leave a later record with an earlier time; it is not pulled forward).

Memory stays bounded however long a bot runs: every open order is held, and of the closed ones
(FILLED, CANCELED, ...) the `keep_closed` most recently closed, with their fills, so that a fill
reported late for a cancelled order still finds it. Older closed orders leave the state (their
fills stay in positions and balances, and in the journal: `journal show --order`). Which ones
leave depends only on the order of events, so live and replay still agree exactly.

Balances: a `BalanceChanged` is the exchange's word and replaces what was held for its assets;
each fill moves the `free` balance of its assets (commission included) so that balances are
right between two reports. The stream can deliver them out of order, so reports and fills are
placed by the exchange's time (`exchange_ms`: a report's account update time `u`, a fill's trade
time `T`), not by arrival:
- per asset, a report older than the one held is not applied (the newer one stays);
- a fill no later than the held report of its asset was counted by that report already, and
  does not move it again (a report at the same millisecond as a fill is taken to include it: it
  does for the report Binance sends after that fill; another order's fill in the same
  millisecond then shows at the next report, which follows it at once);
- a report without a time (a REST snapshot: reconciliation) is always applied, and fills after
  it move it, as arrival says.
A fill later than a report that arrives after it is counted in that report's base, and shows
again at the exchange's next report (the one sent after that fill). The session adopts a REST
snapshot after back-filling, not before.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from tradeguard import orders
from tradeguard.errors import InvalidTransition
from tradeguard.events import (
    AlertRaised,
    BalanceChanged,
    BalanceMoved,
    ClockSynced,
    ErrorRaised,
    EventBase,
    KillSwitchReset,
    KillSwitchSet,
    OrderAdopted,
    OrderFilled,
    OrderIntended,
    OrderUpdated,
    ProfileLoaded,
    RateLimitChanged,
    ReplyReceived,
    RiskDenied,
    StageSet,
    StreamConnected,
    StreamGapFilled,
    StreamGapLost,
)
from tradeguard.journal.state import (
    ClockState,
    KillSwitch,
    LimitState,
    Position,
    Stage,
    State,
    StreamState,
)
from tradeguard.model import Balance, OrderStatus, Side
from tradeguard.orders import Order

__all__ = ["KEEP_CLOSED", "Ledger", "Position", "State", "fold"]

ZERO = Decimal(0)
_SELL = Side.SELL
_FINAL = frozenset(s for s in OrderStatus if s.is_final)
KEEP_CLOSED = 10_000
MOVES_KEPT = 10_000  # deposits and withdrawals remembered by id, for de-duplication


class _PositionSum:
    """A position being summed: mutable, so that a fill costs no allocation."""

    __slots__ = ("base", "fills", "qty", "quote", "quote_asset", "symbol")

    def __init__(self, symbol: str, base: str, quote_asset: str) -> None:
        self.symbol, self.base, self.quote_asset = symbol, base, quote_asset
        self.qty = ZERO
        self.quote = ZERO
        self.fills = 0

    def frozen(self) -> Position:
        return Position(self.symbol, self.base, self.quote_asset, self.qty, self.quote, self.fills)


class _Report:
    """The exchange's latest balance report of one asset: the balance, what fills had moved
    the asset by then (their sum, as `Ledger._moved` gives it), and the report's exchange time."""

    __slots__ = ("at_ms", "balance", "exchange_ms", "moved_then")

    def __init__(
        self, balance: Balance, moved_then: Decimal, exchange_ms: int | None, at_ms: int
    ) -> None:
        self.balance, self.moved_then, self.exchange_ms = balance, moved_then, exchange_ms
        self.at_ms = at_ms


class Ledger:
    """The live state, changed only by `apply(event)`; `state()` is an immutable snapshot."""

    def __init__(self, keep_closed: int = KEEP_CLOSED) -> None:
        self.keep_closed = keep_closed
        self.closed_dropped = 0
        # final orders, oldest first; an OrderedDict because popping the oldest key of a plain
        # dict walks over every slot deleted before it
        self._closed: OrderedDict[str, None] = OrderedDict()
        self.orders: dict[str, Order] = {}
        self._open: dict[str, None] = {}  # open orders' client ids, oldest first
        self._positions: dict[str, _PositionSum] = {}
        self._fees_other: dict[str, Decimal] = {}  # commission paid in a third asset (BNB)
        # the exchange's latest balance report per asset, and what fills had moved it by then
        self._reported: dict[str, _Report] = {}
        self._latest_report_ms = -1  # the newest exchange time among them (-1: none had one)
        self.limits: dict[str, LimitState] = {}
        self.streams: dict[str, StreamState] = {}
        self.stage: Stage | None = None
        self.kill_switch = KillSwitch()
        self.clock: ClockState | None = None
        self.profile: str | None = None
        self.as_of_ms: int | None = None
        self.events = 0
        self.peak_weight = 0
        self.peak_order_count = 0
        self.risk_denials = 0
        self.errors = 0
        self.alerts = 0
        self._by_exchange_id: dict[tuple[str, int], str] = {}
        # deposits and withdrawals journaled: by the exchange's id (history), or by asset,
        # amount and time (the stream's balanceUpdate has no id); the newest MOVES_KEPT
        self._move_ids: OrderedDict[str, None] = OrderedDict()
        self._stream_moves: OrderedDict[tuple[str, Decimal, int | None], None] = OrderedDict()
        self._handlers: dict[type[Any], Callable[[Any], bool]] = {
            OrderFilled: self._filled,
            OrderUpdated: self._updated,
            OrderIntended: self._intended,
            OrderAdopted: self._adopted,
            BalanceChanged: self._balance_report,
            BalanceMoved: self._wallet_move,
            ReplyReceived: self._reply,
            RateLimitChanged: self._rate_limit,
            KillSwitchSet: self._kill_set,
            KillSwitchReset: self._kill_reset,
            StageSet: self._stage,
            ClockSynced: self._clock,
            StreamConnected: self._stream,
            StreamGapFilled: self._stream,
            StreamGapLost: self._stream,
            ProfileLoaded: self._profile,
            RiskDenied: self._counted,
            ErrorRaised: self._counted,
            AlertRaised: self._counted,
        }

    def apply(self, event: EventBase) -> bool:
        """Fold one event in. False when it changed nothing the state tracks (a fill already
        booked, or an event kind the state does not follow). Raises a StateError, changing
        nothing, when the event does not fit."""
        handler = self._handlers.get(type(event))
        changed = handler(event) if handler is not None else False
        self.events += 1
        self.as_of_ms = event.at_ms
        return changed

    def apply_new(self, event: EventBase) -> bool:
        """`apply` for the live path, which journals only what this returns True for. An event
        that repeats what the state holds is neither applied nor counted (False): a fill whose
        trade id is booked (any source), or a stream report of an order's state that changes
        nothing (the stream sent it twice, or it only confirms what a reply said). Replay then
        never meets one; a journal written before they were dropped still folds (`apply` takes
        a repeat as a no-op), counting them among its events. Raises as `apply` does."""
        handler = self._handlers.get(type(event))
        if handler is not None and not handler(event) and _repeat(event):
            return False
        self.events += 1
        self.as_of_ms = event.at_ms
        return True

    def apply_all(self, events: Iterable[EventBase], until_ms: int | None = None) -> None:
        """`apply` each event in turn, stopping before the first one later than `until_ms`.
        The same handlers as `apply`, the loop written out: replay runs it a million times."""
        handler_for = self._handlers.get
        until = until_ms if until_ms is not None else 1 << 62
        count, last = self.events, self.as_of_ms
        try:
            for event in events:
                at = event.at_ms
                if at > until:
                    break
                handler = handler_for(type(event))
                if handler is not None:
                    handler(event)
                count += 1
                last = at
        finally:
            self.events, self.as_of_ms = count, last

    def order(self, client_order_id: str) -> Order | None:
        return self.orders.get(client_order_id)

    def open_orders(self) -> list[Order]:
        """The orders not in a final status, oldest first (an index: no walk over closed ones)."""
        orders = self.orders
        return [orders[coid] for coid in self._open]

    def id_taken(self, client_order_id: str) -> bool:
        """Whether a new order may not be named `client_order_id`: an order the exchange took
        holds it (open or ended: Binance refuses an open one's id, and would place an ended
        one's again, a second order). An order that never reached the exchange's book leaves
        it free, as Binance does; so does one closed so long ago that it left the state."""
        known = self.orders.get(client_order_id)
        return known is not None and not known.never_placed

    def order_by_exchange_id(self, symbol: str, order_id: int) -> Order | None:
        coid = self._by_exchange_id.get((symbol, order_id))
        return None if coid is None else self.orders.get(coid)

    def position(self, symbol: str) -> Position | None:
        held = self._positions.get(symbol)
        return None if held is None else held.frozen()

    def position_qty(self, symbol: str) -> Decimal | None:
        """The symbol's position in its base asset (`position(symbol).qty`, without the copy
        made of the rest: the risk check reads it on every order)."""
        held = self._positions.get(symbol)
        return None if held is None else held.qty

    def balance(self, asset: str) -> Balance | None:
        """The exchange's last report for the asset, moved by every fill booked since."""
        moved = self._moved(asset)
        reported = self._reported.get(asset)
        if reported is None:
            known = asset in self._fees_other or any(
                asset in (p.base, p.quote_asset) for p in self._positions.values()
            )
            return Balance(asset, moved, ZERO) if known else None
        balance = reported.balance
        return Balance(asset, balance.free + (moved - reported.moved_then), balance.locked)

    def report_times(self, asset: str) -> tuple[int | None, int] | None:
        """When the exchange last reported this asset's balance: its own time (None for a REST
        snapshot) and the journal's; None if it never did."""
        report = self._reported.get(asset)
        return None if report is None else (report.exchange_ms, report.at_ms)

    def knows_move(
        self, move_id: str, asset: str, delta: Decimal, at_ms: int, *, slack_ms: int
    ) -> bool:
        """Whether this deposit or withdrawal is journaled already: under its id, or heard
        on the stream with the same asset and amount within `slack_ms` of `at_ms`."""
        if move_id in self._move_ids:
            return True
        return any(
            a == asset and d == delta and (t is None or abs(t - at_ms) <= slack_ms)
            for a, d, t in self._stream_moves
        )

    def has_report(self, asset: str) -> bool:
        """Whether the exchange ever reported this asset's balance to the ledger."""
        return asset in self._reported

    def _moved(self, asset: str) -> Decimal:
        """How much all fills so far moved this asset (commissions included)."""
        moved = -self._fees_other.get(asset, ZERO)
        for p in self._positions.values():
            if p.base == asset:
                moved += p.qty
            elif p.quote_asset == asset:
                moved += p.quote
        return moved

    def _assets(self) -> list[str]:
        assets = dict.fromkeys(self._reported)
        for p in self._positions.values():
            assets[p.base] = assets[p.quote_asset] = None
        assets.update(dict.fromkeys(self._fees_other))
        return sorted(assets)

    def state(self) -> State:
        return State(
            as_of_ms=self.as_of_ms, events=self.events, profile=self.profile,
            orders=dict(self.orders),
            positions={k: v.frozen() for k, v in self._positions.items()},
            balances={a: b for a in self._assets() if (b := self.balance(a)) is not None},
            limits=dict(self.limits), stage=self.stage,
            kill_switch=self.kill_switch, clock=self.clock, streams=dict(self.streams),
            peak_weight=self.peak_weight, peak_order_count=self.peak_order_count,
            risk_denials=self.risk_denials, errors=self.errors, alerts=self.alerts,
            closed_dropped=self.closed_dropped,
        )  # fmt: skip

    # ── orders ───────────────────────────────────────────────────────────────────────────────

    def _put(self, order: Order, known_id: int | None = None) -> None:
        """Hold the order's new version; `known_id` is the exchange id it had before."""
        coid = order.client_order_id
        self.orders[coid] = order
        if order.order_id is not None and order.order_id != known_id:
            self._by_exchange_id[(order.symbol, order.order_id)] = coid
        if order.status not in _FINAL:
            self._open[coid] = None
        elif coid not in self._closed:
            self._open.pop(coid, None)
            self._closed[coid] = None
            if len(self._closed) > self.keep_closed:
                self._drop(self._closed.popitem(last=False)[0])

    def _drop(self, coid: str) -> None:
        dropped = self.orders.pop(coid)
        if dropped.order_id is not None:
            self._by_exchange_id.pop((dropped.symbol, dropped.order_id), None)
        self.closed_dropped += 1

    def _intended(self, event: OrderIntended) -> bool:
        coid = event.intent.client_order_id
        known = self.orders.get(coid)
        if known is not None:
            if not known.never_placed:
                raise InvalidTransition(known.status.value, f"OrderIntended again for {coid}")
            self._closed.pop(coid, None)  # the new order under its id is open, not closed
        self._put(orders.new_order(event.intent, event.at_ms))
        return True

    def _adopted(self, event: OrderAdopted) -> bool:
        coid = event.report.client_order_id
        known = self.orders.get(coid)
        if known is not None:
            raise InvalidTransition(known.status.value, f"OrderAdopted for known order {coid}")
        self._put(orders.adopt(event.report, event.at_ms))
        return True

    def _updated(self, event: OrderUpdated) -> bool:
        order = self.orders.get(event.client_order_id)
        if order is None:
            raise InvalidTransition(
                "absent",
                f"OrderUpdated for unknown order {event.client_order_id} "
                "(never seen, or closed long ago)",
            )
        updated = orders.update(order, event)
        if updated is order:
            return False
        self._put(updated, order.order_id)
        return True

    def _filled(self, event: OrderFilled) -> bool:
        coid = event.client_order_id
        if coid is None:
            coid = self._by_exchange_id.get((event.symbol, event.order_id))
        order = None if coid is None else self.orders.get(coid)
        if order is None:
            raise InvalidTransition(
                "absent", f"OrderFilled for unknown order {event.symbol} {event.order_id}"
            )
        known_id = order.order_id
        qty = event.qty
        quote = event.price * qty if event.quote_qty is None else event.quote_qty
        if event.trade_id > order.max_trade_id:  # new for sure: no search (book_fill's path)
            order = orders.book(order, event, quote)
        else:
            order, new = orders.book_fill(order, event)
            if not new:
                return False
        if order.order_id == known_id and order.status not in _FINAL:
            self.orders[order.client_order_id] = order  # _put's common case, inlined
        else:
            self._put(order, known_id)
        # The position, summed in place: this runs once per fill, a million times in a replay,
        # so it allocates nothing but the Decimals. Balances follow from positions (_moved).
        symbol = event.symbol
        held = self._positions.get(symbol)
        if held is None:
            held = self._positions[symbol] = _PositionSum(
                symbol, event.base_asset, event.quote_asset
            )
        if event.side is _SELL:
            held.qty -= qty
            held.quote += quote
        else:
            held.qty += qty
            held.quote -= quote
        held.fills += 1
        fee = event.commission
        if fee:
            fee_asset = event.commission_asset
            if fee_asset == held.base:
                held.qty -= fee
            elif fee_asset == held.quote_asset:
                held.quote -= fee
            elif fee_asset is not None:
                self._fees_other[fee_asset] = self._fees_other.get(fee_asset, ZERO) + fee
        at = event.exchange_ms
        if at is not None and at <= self._latest_report_ms:  # seldom: a report came first
            self._counted_by_reports(event, at, quote)
        return True

    def _counted_by_reports(self, event: OrderFilled, at: int, quote: Decimal) -> None:
        """The fill is booked after a report that counted it already (its time is not before
        the report's): what the fill moved is added to what fills had moved by the report, so
        that the report's balance is not moved by it twice."""
        sell = event.side is _SELL
        moves = {
            event.base_asset: -event.qty if sell else event.qty,
            event.quote_asset: quote if sell else -quote,
        }
        fee_asset = event.commission_asset
        if event.commission and fee_asset is not None:
            moves[fee_asset] = moves.get(fee_asset, ZERO) - event.commission
        for asset, move in moves.items():
            report = self._reported.get(asset)
            if report is not None and report.exchange_ms is not None and report.exchange_ms >= at:
                report.moved_then += move

    # ── everything else the state follows ────────────────────────────────────────────────────

    def _balance_report(self, event: BalanceChanged) -> bool:
        at = event.exchange_ms
        reported = self._reported
        changed = False
        for b in event.balances:
            held = reported.get(b.asset)
            if at is not None and held is not None and (held.exchange_ms or -1) > at:
                continue  # older than the report held: the stream reordered them
            reported[b.asset] = _Report(b, self._moved(b.asset), at, event.at_ms)
            changed = True
        if at is not None and at > self._latest_report_ms:
            self._latest_report_ms = at
        return changed

    def _wallet_move(self, event: BalanceMoved) -> bool:
        # a record of why a balance moved, never a balance (events.BalanceMoved): only kept
        # so that one move read twice, or heard and then read, is journaled once
        if event.move_id is not None:
            seen: OrderedDict[Any, None] = self._move_ids
            seen[event.move_id] = None
        else:
            seen = self._stream_moves
            seen[(event.asset, event.delta, event.exchange_ms)] = None
        while len(seen) > MOVES_KEPT:
            seen.popitem(last=False)
        return False

    def _reply(self, event: ReplyReceived) -> bool:
        changed = False
        if event.weight is not None and event.weight > self.peak_weight:
            self.peak_weight, changed = event.weight, True
        if event.order_count is not None and event.order_count > self.peak_order_count:
            self.peak_order_count, changed = event.order_count, True
        return changed

    def _rate_limit(self, event: RateLimitChanged) -> bool:
        if event.until_ms is None:
            return self.limits.pop(event.limit, None) is not None
        self.limits[event.limit] = LimitState(
            event.limit, event.until_ms, event.reason, event.at_ms
        )
        return True

    def _kill_set(self, event: KillSwitchSet) -> bool:
        self.kill_switch = KillSwitch(True, event.reason, event.by, event.at_ms)
        return True

    def _kill_reset(self, event: KillSwitchReset) -> bool:
        self.kill_switch = KillSwitch(False, None, event.by, event.at_ms)
        return True

    def _stage(self, event: StageSet) -> bool:
        self.stage = Stage(event.rung, event.max_order_notional, event.max_daily_notional,
                           event.at_ms)  # fmt: skip
        return True

    def _clock(self, event: ClockSynced) -> bool:
        self.clock = ClockState(event.offset_ms, event.rtt_ms, event.at_ms)
        return True

    def _stream(self, event: StreamConnected | StreamGapFilled | StreamGapLost) -> bool:
        name = event.stream
        held = self.streams.get(name)
        if isinstance(event, StreamConnected):
            gap = held.gap_since_ms if held is not None else None
            self.streams[name] = StreamState(name, True, event.at_ms, gap)
        elif isinstance(event, StreamGapLost):
            earlier = held.gap_since_ms if held is not None else None
            since = event.since_ms if earlier is None else earlier
            self.streams[name] = StreamState(name, False, event.at_ms, since)
        else:
            connected = held.connected if held is not None else True
            self.streams[name] = StreamState(name, connected, event.at_ms, None)
        return True

    def _profile(self, event: ProfileLoaded) -> bool:
        self.profile = event.profile
        if event.fresh_exchange:
            self.orders.clear()
            self._open.clear()
            self._closed.clear()
            self._positions.clear()
            self._fees_other.clear()
            self._reported.clear()
            self._latest_report_ms = -1
            self._by_exchange_id.clear()
        return True

    def _counted(self, event: RiskDenied | ErrorRaised | AlertRaised) -> bool:
        if isinstance(event, RiskDenied):
            self.risk_denials += 1
        elif isinstance(event, ErrorRaised):
            self.errors += 1
        else:
            self.alerts += 1
        return True


def _repeat(event: EventBase) -> bool:
    """Whether an event the ledger found nothing new in is a repeat for the live path to drop
    (other kinds that change nothing, a reply's stale report, are still journaled)."""
    return type(event) is OrderFilled or (
        isinstance(event, OrderUpdated) and event.source == "stream"
    )


def fold(
    events: Iterable[EventBase], until_ms: int | None = None, keep_closed: int = KEEP_CLOSED
) -> State:
    """The state after `events`, cut at the first event later than `until_ms` (local time)."""
    ledger = Ledger(keep_closed)
    ledger.apply_all(events, until_ms)
    return ledger.state()
