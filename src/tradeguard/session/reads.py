"""What a bot reads from its session and waits for: orders, positions, balances, the event
feed, `wait_for` and `resolved`. Mixed into `Session`.

Two promises live here. What the session returns is written plainly (amounts tidied, never
`0E-8`), and copies: the ledger's own values stay exactly as journaled, so replay still equals
the live state. And a wait never reports an order ahead of its fills: a FILLED order comes back
with every fill the exchange reported for it booked, from the user stream or, when the stream is
late, from myTrades.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from tradeguard.errors import ConfigError, TradeguardError
from tradeguard.events import EventBase
from tradeguard.journal.state import Position
from tradeguard.model import Balance, OrderStatus, Symbol
from tradeguard.orders import Order
from tradeguard.session.resolve import book_fills
from tradeguard.text import plain, tidy

if TYPE_CHECKING:
    from tradeguard.journal.replay import Ledger
    from tradeguard.session.recorder import Feed, Recorder
    from tradeguard.symbol_rules import SymbolRules
    from tradeguard.venues.protocol import Venue

S = TypeVar("S", bound=msgspec.Struct)

FILLS_GRACE_S = 2.0  # reported fills not yet booked: wait this long for the stream, then ask
FILLS_GRACE_MAX_S = 30.0  # ... doubling each time it asks, up to this
_FINAL = frozenset(s for s in OrderStatus if s.is_final)  # what wait_for waits for by default
# an outcome known: any status but UNKNOWN, PENDING_NEW only once the exchange numbered the
# order (an order list's pending leg, held until its working order fills; without an exchange
# id it is a request not yet answered: `_is`)
_KNOWN = frozenset(s for s in OrderStatus if s is not OrderStatus.UNKNOWN)

Awaited = Callable[[Order], bool]  # what a waiter waits for of an order


def _is(order: Order, wanted: frozenset[OrderStatus]) -> bool:
    """The order is in one of `wanted` (PENDING_NEW counts once the exchange numbered it)."""
    if order.status is OrderStatus.PENDING_NEW and order.order_id is None:
        return False
    return order.status in wanted


def tidy_order(order: Order) -> Order:
    """The order with its amounts (and its fills') written plainly, for the bot. Its five
    amounts by name, not `tidy_struct`'s walk over its sixteen fields: every order call returns
    one, and with the caches cold the walk cost ~10 µs more (a test holds the five to be every
    Decimal field the Order has)."""
    qty, price, fills = order.qty, order.price, order.fills
    return msgspec.structs.replace(
        order,
        qty=None if qty is None else tidied(qty),
        price=None if price is None else tidied(price),
        executed_qty=tidied(order.executed_qty),
        executed_quote=tidied(order.executed_quote),
        reported_qty=tidied(order.reported_qty),
        fills=tuple([tidy_struct(f) for f in fills]) if fills else fills,
    )


def tidy_struct(value: S, **also: Any) -> S:
    """A copy of a struct with every Decimal field tidied (text.tidy), plus `also`."""
    changes = {
        name: tidied(v)
        for name in value.__struct_fields__
        if isinstance(v := getattr(value, name), Decimal)
    }
    return msgspec.structs.replace(value, **changes, **also)


_TIDIED: dict[Decimal, Decimal] = {}  # a session's amounts repeat (its sizes, its prices)
_TIDIED_MAX = 4096
_ZERO = Decimal(0)


def tidied(value: Decimal) -> Decimal:
    """text.tidy, remembered: every order returned to the bot tidies its five amounts, and
    writing a Decimal out and reading it back cost more than the order's risk check. Equal
    values tidy alike, but for zero's sign (-0 == 0), which is left to tidy itself."""
    if not value:
        return tidy(value) if value.is_signed() else _ZERO
    found = _TIDIED.get(value)
    if found is None:
        if len(_TIDIED) >= _TIDIED_MAX:
            _TIDIED.clear()
        found = _TIDIED[value] = tidy(value)
    return found


class ReadCalls:
    """Mixed into `Session`; what it uses of the session is declared here for the checker."""

    if TYPE_CHECKING:
        profile: str
        transport: Venue
        recorder: Recorder
        rules: Mapping[str, SymbolRules]
        _waiters: dict[str, list[tuple[Awaited, asyncio.Future[None]]]]

        @property
        def ledger(self) -> Ledger: ...
        def _record(self, event: EventBase, *, durable: bool = False) -> None: ...
        def _exchange_symbol(self, symbol: Symbol | str) -> str: ...
        def _assets(self, symbol: str) -> tuple[str, str]: ...
        def _now(self) -> int: ...

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

    def events(self) -> Feed:
        """Every event from the moment this is called: fills, order updates, risk denials,
        alerts (an async iterator; it ends when the session closes). Events are the journal's
        records as written (amounts in the exchange's own notation). `feed.missed` counts what
        a reader 10,000 events behind lost; the journal and the state lose nothing."""
        return self.recorder.feed()

    async def wait_for(
        self, client_order_id: str, *statuses: OrderStatus, timeout_s: float = 30.0
    ) -> Order:
        """Wait until the order is in one of `statuses` (default: any final status) with
        every fill the exchange reported for it booked: a FILLED order comes back with its
        executed quantity and the position moved, never ahead of its fills. Fills come from
        the user stream; if they are late, from myTrades. An UNKNOWN order is waited for
        through its resolution. TimeoutError after `timeout_s`."""
        return await self._settled(client_order_id, frozenset(statuses) or _FINAL, timeout_s)

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
            if _is(order, wanted) and order.missing_qty == 0:
                return tidy_order(order)
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError(
                    f"order {coid} is {order.status.value} after {timeout_s:.0f} s"
                    + (f", {plain(order.missing_qty)} filled but not yet booked"
                       if order.missing_qty else "")
                )  # fmt: skip
            if not _is(order, wanted):
                await self._until(coid, lambda o: _is(o, wanted), left)
                continue
            # the exchange reported fills (a reply's cumulative quantity) the fill messages
            # have not brought yet: give the stream a moment, then ask myTrades
            if await self._until(coid, lambda o: o.missing_qty == 0, min(grace, left)):
                continue
            grace = min(grace * 2, FILLS_GRACE_MAX_S)
            await self._fetch_fills(order)

    async def _until(self, coid: str, done: Awaited, timeout_s: float) -> bool:
        """Wait until `done(order)` holds after some event about the order; False on timeout."""
        order = self.ledger.order(coid)
        if order is not None and done(order):
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (done, future)
        self._waiters.setdefault(coid, []).append(entry)
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for returns the event to a caller
            # cancelled in the turn it came, and the bot's cancel is lost
            async with asyncio.timeout(timeout_s):
                await future
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
