"""The seam between the guard and an exchange: what the session, reconciliation, resolution,
doctor and `tradeguard account` ask of a venue, and nothing more.

Two kinds of venue implement it: Binance Spot natively (`venues.binance.client`, the fast path
the speed figures measure) and every other exchange through ccxt (`venues.ccxt`). The guard
above it (intents journaled first, unknown outcomes resolved by client order id and never
resent, fills booked from fill messages only and de-duplicated by trade id, reconciliation at
start and after gaps) is the same code whichever venue is underneath.

What a venue owes its caller:

- Symbols are the exchange's own compact names ("BTCUSDT"); a venue that spells them otherwise
  ("BTC-USDT", "XBT/USDT") translates at its edge.
- Order and trade ids are integers. A venue whose ids are not (Kraken's "OQCLML-BW3P3-BUCMWZ")
  maps them to stable integers at its edge and keeps the way back.
- A lookup of an order the exchange does not hold raises `OrderNotFound`; a request that may
  have reached the exchange without a trustworthy answer raises `OutcomeUnknown`, one that
  never left raises `NotSent`; rate limits raise `RateLimited` and block every request until
  the pause ends (the venue tells `on_limit`).
- `submit` places an already validated `OrderIntent` under its client order id, exactly once:
  a venue never retries an order placement by itself.
- Features a venue lacks are named in `features`; the session refuses an order needing one
  before its intent is journaled, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

import msgspec

if TYPE_CHECKING:
    from tradeguard.errors import RateLimited
    from tradeguard.keys.credentials import ApiCredentials
    from tradeguard.model import Balance, Fill, OrderIntent, OrderReport
    from tradeguard.net.clock import Clock
    from tradeguard.net.clocksync import Estimate
    from tradeguard.net.ratelimit import RateLedger
    from tradeguard.symbol_rules import SymbolRules

# What a venue may offer beyond plain orders; the session asks before it journals an intent.
OCO = "oco"  # one-cancels-the-other lists (bracket)
OTO = "oto"  # one-triggers-the-other lists (OTO, OTOCO): pending orders placed on a fill
CANCEL_REPLACE = "cancel_replace"  # cancel one order and place another in one request
STOP_ORDERS = "stop_orders"  # stop-loss / take-profit, market and limit
ICEBERG = "iceberg"
TRAILING = "trailing"
FILL_OR_KILL = "fok"  # time_in_force FOK: all at once or nothing (Kraken spot lacks it)


class ReplyNote(msgspec.Struct, frozen=True, gc=False):
    """One request and its answer as the journal keeps it (`ReplyReceived`): no parameters
    beyond the client order id, no signature, no secret. `weight` and `order_count` are the
    venue's own usage counters where it sends them."""

    method: str
    path: str
    status: int
    latency_ms: float
    code: int | None = None
    weight: int | None = None
    order_count: int | None = None
    client_order_id: str | None = None


class Venue(Protocol):
    """One exchange account as the guard sees it (see the module's docstring for the rules)."""

    name: str  # "binance", "bybit", "okx", "kraken"
    base_url: str
    credentials: ApiCredentials | None
    clock: Clock
    ledger: RateLedger  # the request weight and order counts spent, for the panel and summary
    features: frozenset[str]
    on_reply: Callable[[ReplyNote], None] | None  # told of every reply (the session journals it)
    on_limit: Callable[[RateLimited], None] | None  # told of every rate-limit answer met
    on_clock: Callable[[Estimate], None] | None  # told of every clock estimate

    async def close(self) -> None: ...

    def use_credentials(self, credentials: ApiCredentials) -> None:
        """Sign with `credentials` from the next request on (a rotated key, audited already),
        and tell the venue's own sessions that log on with a key (FIX's drop copy)."""
        ...

    def counter_peaks(self) -> list[tuple[str, Decimal, int]]:
        """A decaying call counter's highest level this run beside its limit, per counter, with
        its description (Kraken's; none where the venue counts in windows, `ledger`)."""
        ...

    # ── time ────────────────────────────────────────────────────────────────────────────
    async def sync_clock(self) -> Estimate: ...

    def server_now_ms(self) -> int: ...

    @property
    def recv_window_ms(self) -> int:
        """How long after its timestamp the exchange still accepts a request: an order sent
        at T that the exchange has not heard of by T + this (plus a grace) never will be."""
        ...

    # ── listings ────────────────────────────────────────────────────────────────────────
    async def symbol_rules(self, wanted: Sequence[str], profile: str) -> dict[str, SymbolRules]:
        """The wanted symbols' rules; ConfigError naming the nearest listed ones for a symbol
        the exchange does not list."""
        ...

    async def keep_rules_fresh(self, rules: MutableMapping[str, SymbolRules], profile: str) -> None:
        """Refresh `rules` in place now and then, until cancelled."""
        ...

    async def last_price(self, symbol: str) -> Decimal: ...

    # ── orders ──────────────────────────────────────────────────────────────────────────
    async def submit(self, intent: OrderIntent) -> OrderReport: ...

    async def cancel_order(
        self, symbol: str, *, order_id: int | None = None, client_order_id: str | None = None
    ) -> OrderReport: ...

    async def get_order(
        self, symbol: str, *, order_id: int | None = None, client_order_id: str | None = None
    ) -> OrderReport: ...

    async def place_bracket(
        self, legs: Sequence[OrderIntent], list_client_order_id: str
    ) -> list[OrderReport]:
        """A take-profit leg and a stop leg, one cancelling the other (feature OCO)."""
        ...

    async def open_orders(self, symbol: str | None = None) -> list[OrderReport]: ...

    async def orders_by_id(self, symbol: str, order_ids: set[int]) -> dict[int, OrderReport]:
        """The orders with these exchange ids that it holds (reconciliation adopting trades
        nobody here placed); ids it does not know are absent."""
        ...

    # ── fills and money ─────────────────────────────────────────────────────────────────
    async def my_trades(self, symbol: str, *, order_id: int | None = None) -> list[Fill]: ...

    async def trades_after(self, symbol: str, last_trade_id: int | None) -> list[Fill]:
        """The symbol's trades after `last_trade_id` (recent ones when None), oldest first.
        A venue may return some already seen; the ledger drops repeats by trade id."""
        ...

    async def balances(self) -> dict[str, Balance]: ...


class OtoVenue(Protocol):
    """A venue with feature OTO."""

    async def place_oto(
        self, legs: Sequence[OrderIntent], list_client_order_id: str
    ) -> list[OrderReport]:
        """A working order (the first leg) and the orders it places once it has filled: one
        (an OTO) or an OCO pair, the one above the market first (an OTOCO). The legs as the
        exchange placed them, the pending ones PENDING_NEW."""
        ...


_FEATURE_NAMES = {
    OCO: "one-cancels-the-other lists",
    OTO: "one-triggers-the-other lists",
    CANCEL_REPLACE: "cancel-replace in one request",
    STOP_ORDERS: "stop orders",
    ICEBERG: "iceberg orders",
    TRAILING: "trailing stops",
    FILL_OR_KILL: "fill-or-kill (time_in_force FOK)",
}


def require(venue: Venue, feature: str, call: str) -> None:
    """Refuse `call` here, before anything is journaled or sent, when the venue lacks it."""
    if feature in venue.features:
        return
    from tradeguard.errors import GuardError

    raise GuardError(
        f"not sent: {call} needs {_FEATURE_NAMES.get(feature, feature)}, which tradeguard "
        f"does not offer on {venue.name}",
        hint="use plain orders there (a limit and a stop placed apart), or trade it on Binance",
    )


AssetsBySymbol = Mapping[str, tuple[str, str]]  # exchange symbol -> (base asset, quote asset)
