"""What a server in front of the session needs of it, as named calls (the signing gateway,
`tradeguard.gateway`, answers other bots' requests with them), instead of the session's
internals:

    tg.new_client_id()                   a client order id named as the session names its own
    await tg.check_order(intent)         the guard's checks only: nothing journaled, sent or
                                         counted against the rung's caps (Binance's order/test)
    await tg.place_order_list(a, b)      two intents as one OCO list, through `bracket`'s path
    await tg.place_oto(working, pending) a working order and the one or two (an OCO pair) it
                                         places once filled, as one OTO / OTOCO list
    tg.order_by_exchange_id(symbol, id)  the journal's order of that exchange id (None: none)
    tg.orders_of(symbol)                 every order the journal holds for the symbol
    tg.client_id_taken(client_order_id)  whether an order the exchange took holds that id
    tg.intent_of(client_order_id)        what the order was placed with, from the journal
    tg.can_trade                         False while the kill switch is latched or the profile
                                         is read-only (every order would be refused)
    tg.server_now_ms()                   the exchange's clock, as the session estimates it
    tg.market_streams_url()              Binance's combined market-stream endpoint for it
    await tg.exchange_balances()         the exchange's balances, asked now
    tg.on_recorded(callback)             `callback(event)` for each event once it is recorded
                                         (after the fold: the state already shows it)
    await tg.forward(request)            a venue-native REST request (on Binance, an
                                         `endpoints.Request`) sent through the session's
                                         transport: priced against the per-host budget, held
                                         during a pause and refused during a ban like its own

Orders from `order_by_exchange_id` and `orders_of` are the journal's, not the tidied copies
`tg.order` gives a bot: they are for reading (a server shapes many of them per request).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from tradeguard.errors import ConfigError
from tradeguard.events import EventBase, OrderIntended
from tradeguard.model import Balance, OrderIntent, OrderReport, Side, Symbol
from tradeguard.orders import Order
from tradeguard.session.orders import naming
from tradeguard.venues.protocol import OCO, OTO, require

if TYPE_CHECKING:
    from tradeguard.intents import ClientIds
    from tradeguard.journal.replay import Ledger
    from tradeguard.session.guard import Guard
    from tradeguard.session.recorder import Recorder
    from tradeguard.venues.protocol import OtoVenue, Venue


class ServingCalls:
    """Mixed into `Session`; what it uses of the session is declared here for the checker."""

    if TYPE_CHECKING:
        transport: Venue
        recorder: Recorder
        sim: Any
        guard: Guard
        ids: ClientIds

        @property
        def ledger(self) -> Ledger: ...
        @property
        def venue(self) -> str: ...
        def _check(
            self, wanted: OrderIntent, *, count: bool = True, replacing: str | None = None,
            round: Any = None,
        ) -> Coroutine[Any, Any, OrderIntent]: ...  # fmt: skip
        def _claim(self, wanted: Sequence[OrderIntent]) -> None: ...
        def _send_bracket(
            self, sym: Symbol, side: Side, list_id: str, checked: list[OrderIntent]
        ) -> Coroutine[Any, Any, tuple[Order, Order]]: ...
        def _send_list(
            self,
            sym: Symbol,
            checked: list[OrderIntent],
            send: Callable[[], Awaitable[Sequence[OrderReport]]],
        ) -> Coroutine[Any, Any, list[Order]]: ...

    def new_client_id(self) -> str:
        """A fresh client order id, as the session names the orders it makes."""
        return self.ids.next()

    async def check_order(self, wanted: OrderIntent) -> OrderIntent:
        """The intent as the guard would send it (filters, risk limits, kill switch), or the
        refusal it would raise; nothing journaled but the denial, nothing sent or counted."""
        return await self._check(wanted, count=False)

    async def place_order_list(
        self, first: OrderIntent, second: OrderIntent
    ) -> tuple[Order, Order]:
        """Two intents as one OCO list, as `bracket` places its legs: both checked (the rung's
        caps counted once), both journaled, then one request. Both name the list in
        `list_client_order_id`; `first` is the take-profit side's leg (for a SELL the one above
        the market, for a BUY the one below). The legs as placed; raises as `bracket`."""
        require(self.transport, OCO, "an order list")
        list_id = first.list_client_order_id
        if list_id is None or second.list_client_order_id != list_id:
            raise ConfigError("both legs of an order list name it in list_client_order_id")
        with naming(first):
            self._claim((first, second))
            checked = [await self._check(first), await self._check(second, count=False)]
            return await self._send_bracket(first.symbol, first.side, list_id, checked)

    async def place_oto(self, working: OrderIntent, pending: Sequence[OrderIntent]) -> list[Order]:
        """A working order and the orders it places once it has filled, as one list: one
        pending order (an OTO) or an OCO pair, the one above the market first (an OTOCO).
        Every leg is checked by the guard (the rung's caps counted for the working order and
        the first pending one: an OTOCO's pair is one bracket), all journaled, then one
        request. All name the list in `list_client_order_id`. The legs as placed (the
        pending ones PENDING_NEW until the working order fills); raises as `bracket`."""
        require(self.transport, OTO, "an OTO order list")
        legs = [working, *pending]
        list_id = working.list_client_order_id
        if list_id is None or any(leg.list_client_order_id != list_id for leg in legs):
            raise ConfigError("every leg of an order list names it in list_client_order_id")
        if len(pending) not in (1, 2):
            raise ConfigError("an OTO list places one pending order, or an OCO pair of them")
        with naming(working):
            self._claim(legs)
            checked = [await self._check(leg, count=i < 2) for i, leg in enumerate(legs)]
            oto = cast("OtoVenue", self.transport)
            return await self._send_list(
                working.symbol, checked, partial(oto.place_oto, checked, list_id)
            )

    def order_by_exchange_id(self, symbol: str, order_id: int) -> Order | None:
        """The order the exchange numbers `order_id` on `symbol` ("BTCUSDT"), if journaled."""
        return self.ledger.order_by_exchange_id(symbol, order_id)

    def client_id_taken(self, client_order_id: str) -> bool:
        """Whether a new order may not be named `client_order_id`: an order the exchange took
        (open or ended) holds it. One the exchange rejected, or whose lost request was found
        never placed, leaves it free, as Binance does."""
        return self.ledger.id_taken(client_order_id)

    def orders_of(self, symbol: str) -> list[Order]:
        """Every order of `symbol` ("BTCUSDT") the journal holds, open or ended."""
        return [o for o in self.ledger.orders.values() if o.symbol == symbol]

    def intent_of(self, client_order_id: str) -> OrderIntent | None:
        """What the order was placed with (its journaled intent); None for one the session
        did not place (adopted from the exchange) or does not know."""
        records = self.recorder.journal.records(
            client_order_id=client_order_id, kinds=("OrderIntended",)
        )
        found = None
        for record in records:  # the last: an id whose order never reached the exchange
            if isinstance(record.event, OrderIntended):  # may name a later one
                found = record.event.intent
        return found

    @property
    def can_trade(self) -> bool:
        """Whether an order could pass: the kill switch open and the profile not read-only."""
        return not (self.ledger.kill_switch.latched or self.guard.read_only)

    def server_now_ms(self) -> int:
        """The exchange's clock now, as the session estimates it (ms)."""
        return self.transport.server_now_ms()

    def market_streams_url(self) -> str:
        """The combined market-stream endpoint (`.../stream`) beside the session's Binance
        REST root, or the embedded simulator's."""
        from tradeguard.session.market import market_stream_url

        return market_stream_url(self.transport.base_url, self.sim)

    async def exchange_balances(self) -> dict[str, Balance]:
        """The exchange's balances, asked now (one request through the session's limits)."""
        return await self.transport.balances()

    def on_recorded(self, callback: Callable[[EventBase], None]) -> None:
        """Call `callback(event)` for every event recorded from now on, after the fold."""
        self.recorder.watchers.append(callback)

    async def forward(self, request: object) -> bytes:
        """Send a venue-native REST request through the session's transport (its limits, its
        bans); the raw reply body. Refused on a venue whose transport takes none."""
        call = getattr(self.transport, "call", None)
        if call is None:
            raise ConfigError(f"the {self.venue} transport forwards no raw requests")
        reply: bytes = await call(request)
        return reply


__all__ = ["ServingCalls"]
