"""Journal events: everything the guard did and saw, in the past tense.

One tagged union (`Event`): each record is a msgspec Struct whose tag, in the field "event", is
its class name. Every event carries the local wall time in ms (`at_ms`, read by the caller from
`tradeguard.net.clock`; this module reads no clock), the exchange's time where the exchange said it
(`exchange_ms`), and the profile. Events about one order carry its client order id and, once
known, the exchange's order id. Money and quantities are `Decimal` (encoded as strings).

Nothing here may hold a secret: request parameters pass through `journal.redact` first, and
API keys appear only as the short prefix of `credentials.key_prefix`.

Adding a field: give it a default and put it last, so older records still decode. Anything else
(renaming, removing, retyping) needs a new codec version (see `journal.codec`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

from tradeguard.model import Balance, OrderIntent, OrderReport, OrderStatus, Side


class EventBase(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    omit_defaults=True,
    tag_field="event",
    tag=True,
    gc=False,  # events never hold cycles; untracked, decoding a million is 4x faster
):
    """What every event has: `at_ms`, the local wall time it was recorded (ms since the epoch);
    `profile`, the profile it belongs to; `exchange_ms`, the exchange's own time for what
    happened, when the exchange gave one. The tag in the field "event" is the class name."""

    at_ms: int  # local wall time, ms since the epoch
    profile: str
    exchange_ms: int | None = None  # the exchange's own timestamp for what happened, if it gave one


# ── session and environment ──────────────────────────────────────────────────────────────────


class ProfileLoaded(EventBase, frozen=True, kw_only=True):
    """A session started: the profile's venue, rung, mode and symbols, the key it trades with
    (as a short prefix), and the tradeguard.toml it came from. The first event of every start
    (`connect`), so every later event belongs to this profile's rung until the next one."""

    venue: str
    env: str  # sim | testnet | live-small | live
    mode: str  # trade | read-only
    symbols: tuple[str, ...] = ()
    api_key: str | None = None  # key_prefix() only
    source: str | None = None  # the tradeguard.toml it came from
    # A new exchange with nothing in common with the last one (the embedded simulator starts
    # empty every run): the state forgets the previous exchange's orders, positions and
    # balances. The kill switch, the rung and the limits' history are the user's and stay.
    fresh_exchange: bool = False


class KeyAudited(EventBase, frozen=True, kw_only=True):
    """The API key's audit: what the exchange says the key may do (`permissions`, whether it is
    IP-restricted) and every finding (withdraw or transfer rights, no IP whitelist, too old).
    Recorded at connect, by `tradeguard keys rotate`, and when a running session picks up a
    rotated key; `passed` False means the key was refused."""

    api_key: str  # key_prefix() only
    passed: bool
    permissions: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    ip_restricted: bool | None = None


class StageSet(EventBase, frozen=True, kw_only=True):
    """The environment rung in force and its caps (None: no cap on that rung)."""

    rung: str
    max_order_notional: Decimal | None = None
    max_daily_notional: Decimal | None = None


class ClockSynced(EventBase, frozen=True, kw_only=True):
    """The exchange's clock against this host's, measured at connect from round trips:
    `offset_ms` (exchange minus local) and the round trip it was estimated over."""

    offset_ms: int  # exchange time minus local time
    rtt_ms: float


class RateLimitChanged(EventBase, frozen=True, kw_only=True):
    """A pause (429), a ban (418) or the rejection breaker started, changed or ended.
    `until_ms` None means lifted."""

    limit: Literal["pause", "ban", "breaker"]
    until_ms: int | None
    reason: str = ""
    code: int | None = None


# ── requests on the wire (redacted) ──────────────────────────────────────────────────────────


class RequestSent(EventBase, frozen=True, kw_only=True):
    """A request left for the exchange, its parameters redacted (no signature, no secret, the
    API key as a prefix). The live path records none today: an order's request is journaled as
    its `OrderIntended`, and every answer as a `ReplyReceived`; older journals hold these."""

    method: str
    path: str
    query: str = ""  # journal.redact.redact_query(params): no signature or secret, key as prefix
    client_order_id: str | None = None


class ReplyReceived(EventBase, frozen=True, kw_only=True):
    """The exchange answered a REST request: HTTP status, Binance error code if any, latency,
    and the request weight and order count the exchange reported after it. One per reply, for
    every request the session's transport makes."""

    method: str
    path: str
    status: int  # HTTP status
    latency_ms: float
    code: int | None = None  # Binance error code, when the body was an error
    weight: int | None = None  # X-MBX-USED-WEIGHT-1M after this request
    order_count: int | None = None  # X-MBX-ORDER-COUNT-10S after this request
    client_order_id: str | None = None
    order_id: int | None = None


# ── orders ───────────────────────────────────────────────────────────────────────────────────


class OrderIntended(EventBase, frozen=True, kw_only=True):
    """The full intent, committed durably before its request leaves."""

    intent: OrderIntent

    @property
    def client_order_id(self) -> str:
        return self.intent.client_order_id


OrderSource = Literal["reply", "stream", "query", "local"]


class OrderUpdated(EventBase, frozen=True, kw_only=True):
    """An order's state as one source reported it. `local` is tradeguard's own conclusion:
    UNKNOWN after an unknown outcome, PENDING_CANCEL once a cancel is sent."""

    client_order_id: str
    symbol: str
    status: OrderStatus
    source: OrderSource
    order_id: int | None = None
    executed_qty: Decimal | None = None  # the exchange's cumulative filled quantity (z)
    quote_qty: Decimal | None = None  # the exchange's cumulative quote quantity (Z)
    orig_qty: Decimal | None = None  # learnt from the exchange (a market order by quote amount)
    reason: str | None = None  # reject reason, expiry reason


class OrderAdopted(EventBase, frozen=True, kw_only=True):
    """An order the exchange knows and the journal did not (placed by another tool, or found by
    reconciliation): taken over as the exchange reports it. Its fills follow as OrderFilled."""

    report: OrderReport
    base_asset: str
    quote_asset: str

    @property
    def client_order_id(self) -> str:
        return self.report.client_order_id


class OrderFilled(EventBase, frozen=True, kw_only=True):
    """One execution, from a fill message (stream executionReport, or myTrades to fill a gap).
    `qty` is this fill's quantity (l); `cum_qty` the exchange's cumulative (z) when it said."""

    client_order_id: str | None  # None from myTrades: found by (symbol, order_id)
    order_id: int
    symbol: str
    base_asset: str
    quote_asset: str
    side: Side
    trade_id: int
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str | None
    is_maker: bool
    cum_qty: Decimal | None = None
    quote_qty: Decimal | None = None  # (Y) only when it is not exactly price * qty
    source: OrderSource = "stream"

    @property
    def quote(self) -> Decimal:
        """The fill's quote quantity."""
        return self.price * self.qty if self.quote_qty is None else self.quote_qty


class BalanceChanged(EventBase, frozen=True, kw_only=True):
    """Balances as the exchange reported them (account snapshot, outboundAccountPosition):
    they replace what the journal held for those assets, unless it holds a newer report.
    `exchange_ms` is the account's update time (outboundAccountPosition's `u`, else its `E`),
    the order in which the fold takes reports and fills; None (a REST snapshot) is always
    taken."""

    balances: tuple[Balance, ...]
    source: str = "stream"


class BalanceMoved(EventBase, frozen=True, kw_only=True):
    """A deposit, withdrawal or transfer the exchange reported (Binance's balanceUpdate):
    `delta` of `asset` (negative: out), at the exchange's clear time `exchange_ms`. A record of
    why a balance changed, not a balance: the fold leaves balances to the exchange's report
    sent with it (outboundAccountPosition), which already counts it; adding the delta too
    would count it twice whenever that report arrives first. `source` "history" is a deposit or
    withdrawal read from the exchange's history at reconciliation, under the exchange's id for
    it (`move_id`, the stream's balanceUpdate carries none): recorded once per id."""

    asset: str
    delta: Decimal
    source: str = "stream"
    move_id: str | None = None


class RiskDenied(EventBase, frozen=True, kw_only=True):
    """An order refused before anything was sent: every reason (the kill switch, the stream
    down, an exchange filter, a risk limit, the order rate, the rung's caps) and the intent
    itself. Recorded when an order call fails its checks; the call raises a GuardError
    (`RiskDenied`, `TradingHalted`, `StageLimitExceeded`, ...) with the same reasons."""

    reasons: tuple[str, ...]
    client_order_id: str | None = None
    intent: OrderIntent | None = None


class KillSwitchSet(EventBase, frozen=True, kw_only=True):
    """The kill switch latched: the session cancels its open orders and sends no new order until
    a `KillSwitchReset`. `by` is "guard" when a limit tripped it (daily loss, drawdown, a
    reconciliation mismatch) or "user" (`tradeguard kill`, `tg.kill()`). Survives restarts."""

    reason: str
    by: str = "guard"  # guard (a limit tripped it) | user


class KillSwitchReset(EventBase, frozen=True, kw_only=True):
    """The kill switch released by hand (`tradeguard kill --reset`): trading may resume."""

    by: str = "user"


# ── streams, reconciliation, errors ─────────────────────────────────────────────────────────


class StreamConnected(EventBase, frozen=True, kw_only=True):
    """The user-data stream subscribed (at start and after every reconnect); a
    `StreamGapFilled` or `StreamGapLost` follows for the time it was down."""

    stream: str  # "user", "trades:BTCUSDT", ...


class StreamGapFilled(EventBase, frozen=True, kw_only=True):
    """After a (re)subscription, what the stream may have missed since `since_ms` was read over
    REST (trades since the last one seen, open orders): `fills` and `orders` recovered. While a
    gap is open the session sends no order."""

    stream: str
    since_ms: int
    fills: int = 0  # fills recovered over REST
    orders: int = 0  # orders re-read over REST


class StreamGapLost(EventBase, frozen=True, kw_only=True):
    """The stream could not be brought back and its gap filled (after several attempts, or the
    back-fill failed): fills since `since_ms` may be missing; trading waits for the stream."""

    stream: str
    since_ms: int
    reason: str = ""


class ReconciliationFound(EventBase, frozen=True, kw_only=True):
    """Reconciliation with the exchange (at start, after stream gaps, every
    `reconcile_every_s`) found a difference: an order the exchange holds and the journal did
    not (`unknown_order`, then adopted), an order the journal holds and the exchange does not
    know (`missing_order`), a balance off by `actual - expected` (`balance_mismatch`). What the
    exchange says is adopted; a balance mismatch beyond tolerance also latches the kill
    switch."""

    kind: str  # e.g. unknown_order, missing_order, balance_mismatch, position_mismatch
    detail: str
    client_order_id: str | None = None
    asset: str | None = None
    expected: Decimal | None = None
    actual: Decimal | None = None


class ErrorRaised(EventBase, frozen=True, kw_only=True):
    """Something failed without an exception reaching the bot: an event the ledger refused (an
    overfill, a forbidden transition; journaled instead of that event), a reconciliation round
    that failed, an alert that could not be delivered, a rotated key that could not be used.
    `error` is the class name in tradeguard.errors (or the exception's)."""

    error: str  # the class name in tradeguard.errors
    message: str
    code: int | None = None
    http_status: int | None = None
    client_order_id: str | None = None


class AlertRaised(EventBase, frozen=True, kw_only=True):
    """An alert went out to the profile's webhook or command (after rate limiting): a ban, the
    breaker, the kill switch, a lost stream, a reconciliation mismatch, unknown outcomes piling
    up. `message` is the text every hook received."""

    kind: str  # ban, breaker, kill_switch, stream_lost, reconciliation, unknown_outcomes
    message: str
    severity: str = "warning"


class ShutDown(EventBase, frozen=True, kw_only=True):
    """The session closed (the bot finished, a signal, the kill switch, the library form's
    `async with` ended): the real reason, how many orders were left open (0 unless
    cancel_on_exit is off) and which ones the stop cancelled. Committed with everything
    appended before it."""

    reason: str  # SIGINT, SIGTERM, "kill switch: ...", "bot finished", "bot raised ...", ...
    open_orders: int = 0  # still open when the session closed
    cancelled: tuple[str, ...] = ()  # client order ids the stop cancelled (kill switch, on exit)


Event = (
    ProfileLoaded
    | KeyAudited
    | StageSet
    | ClockSynced
    | RateLimitChanged
    | RequestSent
    | ReplyReceived
    | OrderIntended
    | OrderUpdated
    | OrderAdopted
    | OrderFilled
    | BalanceChanged
    | BalanceMoved
    | RiskDenied
    | KillSwitchSet
    | KillSwitchReset
    | StreamConnected
    | StreamGapFilled
    | StreamGapLost
    | ReconciliationFound
    | ErrorRaised
    | AlertRaised
    | ShutDown
)

EVENT_TYPES: tuple[type[EventBase], ...] = (
    ProfileLoaded, KeyAudited, StageSet, ClockSynced, RateLimitChanged, RequestSent, ReplyReceived,
    OrderIntended, OrderUpdated, OrderAdopted, OrderFilled, BalanceChanged, BalanceMoved,
    RiskDenied, KillSwitchSet, KillSwitchReset, StreamConnected, StreamGapFilled, StreamGapLost,
    ReconciliationFound, ErrorRaised, AlertRaised, ShutDown,
)  # fmt: skip


def kind(event: EventBase) -> str:
    """The event's name, as stored in the journal's `kind` column and the tag."""
    return type(event).__name__


def client_order_id(event: EventBase) -> str | None:
    """The client order id an event is about, if it is about one order."""
    value = getattr(event, "client_order_id", None)
    return value if isinstance(value, str) else None
