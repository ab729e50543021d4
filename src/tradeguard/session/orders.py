"""The order-type calls a bot makes on its session: market, limit (GTC/IOC/FOK, post-only,
iceberg), stop-loss and stop-limit, take-profit, trailing stops, and OCO brackets. Each builds
an `OrderIntent` and goes through `Session.place` (or, for a bracket, the same checks for both
legs), so there is one path to the exchange. Options Binance Spot lacks (reduce_only, hidden,
...) are refused with the reason, never dropped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from tradeguard.errors import TradeguardError
from tradeguard.events import EventBase, OrderIntended
from tradeguard.intents import Amount, ClientIds, choice, symbol_of
from tradeguard.model import OrderIntent, OrderReport, OrderType, Side, Symbol
from tradeguard.orders import Order
from tradeguard.report_events import order_updated
from tradeguard.session.checks import SEND_FAILURES, Sending
from tradeguard.validate import RoundMode, check_options
from tradeguard.venues.protocol import (
    FILL_OR_KILL,
    ICEBERG,
    OCO,
    STOP_ORDERS,
    TRAILING,
    require,
)

if TYPE_CHECKING:
    from tradeguard.venues.protocol import Venue

Rounding = RoundMode | str | None  # "refuse" or "safe"; None: the session's own


def rounding(value: Rounding) -> RoundMode | None:
    """An order's `round=` option: "refuse" (never change a value) or "safe" (round onto the
    symbol's grid toward the side that risks less); None keeps the session's."""
    return None if value is None else choice(RoundMode, value, "round")


@contextlib.contextmanager
def naming(wanted: OrderIntent) -> Iterator[None]:
    """Every TradeguardError leaving an order call names the order it is about."""
    try:
        yield
    except TradeguardError as exc:
        name_error(exc, wanted)
        raise


def name_error(exc: TradeguardError, wanted: OrderIntent) -> None:
    """`exc` names the order it is about, unless it names one already (`naming`'s work, for
    the one call that is cheaper without a context manager: `Session.place`)."""
    if exc.client_order_id is None:
        exc.about_order(wanted.client_order_id, wanted.symbol.binance)


class OrderCalls:
    """Mixed into `Session`; what it uses of the session is declared here for the checker."""

    if TYPE_CHECKING:
        profile: str
        transport: Venue
        ids: ClientIds

        async def place(self, wanted: OrderIntent, *, round: RoundMode | None = None) -> Order: ...
        def _intent(
            self, symbol: Symbol | str, side: Side | str, kind: OrderType, **fields: Any
        ) -> OrderIntent: ...
        async def _check(
            self, wanted: OrderIntent, *, count: bool = True, round: RoundMode | None = None
        ) -> OrderIntent: ...
        def _record(self, event: EventBase, *, durable: bool = False) -> None: ...
        def _sending(self, coids: Sequence[str]) -> Sending: ...
        def _claim(self, wanted: Sequence[OrderIntent]) -> None: ...
        def _send_failed(
            self,
            coids: Sequence[str],
            symbol: str,
            exc: TradeguardError,
            sending: Sending,
            list_id: str | None = None,
        ) -> None: ...
        def _spawn(self, work: Coroutine[Any, Any, Any]) -> None: ...
        def order(self, client_order_id: str) -> Order | None: ...
        def _now(self) -> int: ...

    async def market_buy(
        self,
        symbol: Symbol | str,
        *,
        qty: Amount | None = None,
        quote: Amount | None = None,
        round: Rounding = None,
    ) -> Order:
        """Buy at the market: `qty` in the base asset ("0.001" BTC), or `quote` to spend in the
        quote asset ("50" USDT), not both. Returns the order as the reply left it (often FILLED
        at once); its fills arrive as fill messages: `wait_for` returns it with them booked.
        Amounts are strings or Decimals, never floats. `round="safe"` rounds the quantity down
        onto the symbol's step instead of refusing it. Raises RiskDenied (a filter or a limit,
        nothing sent), TradingHalted (kill switch), OrderRejected (the exchange refused),
        RateLimited, or OutcomeUnknown (no trustworthy answer: see `resolved`); each names the
        order's `client_order_id` and `symbol`."""
        return await self.place(
            self._intent(symbol, Side.BUY, OrderType.MARKET, qty=qty, quote_qty=quote),
            round=rounding(round),
        )

    async def market_sell(
        self,
        symbol: Symbol | str,
        *,
        qty: Amount | None = None,
        quote: Amount | None = None,
        round: Rounding = None,
    ) -> Order:
        """Sell at the market: `qty` in the base asset, or `quote` to receive in the quote
        asset. Everything else as `market_buy`."""
        return await self.place(
            self._intent(symbol, Side.SELL, OrderType.MARKET, qty=qty, quote_qty=quote),
            round=rounding(round),
        )

    async def limit_buy(
        self, symbol: Symbol | str, *, qty: Amount, price: Amount, **options: Any
    ) -> Order:
        """A limit buy of `qty` at `price`; `options` as `limit` (time_in_force, post_only,
        iceberg_qty, round)."""
        return await self.limit(symbol, Side.BUY, qty=qty, price=price, **options)

    async def limit_sell(
        self, symbol: Symbol | str, *, qty: Amount, price: Amount, **options: Any
    ) -> Order:
        """A limit sell of `qty` at `price`; `options` as `limit`."""
        return await self.limit(symbol, Side.SELL, qty=qty, price=price, **options)

    async def limit(
        self,
        symbol: Symbol | str,
        side: Side | str,
        *,
        qty: Amount,
        price: Amount,
        time_in_force: str = "GTC",
        post_only: bool = False,
        iceberg_qty: Amount | None = None,
        round: Rounding = None,
        **unsupported: Any,
    ) -> Order:
        """A limit order. `side` is "BUY" or "SELL" (any case); `time_in_force` "GTC" (rests
        until filled or cancelled), "IOC" (fills what it can now, the rest expires) or "FOK"
        (all now or nothing); `post_only` makes it a LIMIT_MAKER, refused by the exchange if it
        would take liquidity; `iceberg_qty` shows only that much on the book. The price must
        sit on the symbol's tick and within `price_band_pct` of the last price; `round="safe"`
        rounds onto the grid toward the side that risks less instead of refusing. Options
        Binance Spot lacks (reduce_only, hidden, ...) are refused with the reason. Returns and
        raises as `market_buy`."""
        check_options(unsupported, "a limit order")
        if iceberg_qty is not None:
            require(self.transport, ICEBERG, "an iceberg_qty")
        if str(time_in_force).upper() == "FOK" and not post_only:
            require(self.transport, FILL_OR_KILL, 'time_in_force="FOK"')
        return await self.place(
            self._intent(
                symbol,
                side,
                OrderType.LIMIT,
                qty=qty,
                price=price,
                post_only=post_only,
                time_in_force=None if post_only else time_in_force,
                iceberg_qty=iceberg_qty,
            ),
            round=rounding(round),
        )

    async def stop_loss(
        self,
        symbol: Symbol | str,
        side: Side | str,
        *,
        qty: Amount,
        stop_price: Amount | None = None,
        price: Amount | None = None,
        trailing_delta: int | None = None,
        round: Rounding = None,
        **unsupported: Any,
    ) -> Order:
        """A stop-loss: a market order once the last price crosses `stop_price`, or a
        stop-limit with `price`; trailing with `trailing_delta` (basis points, e.g. 100 =
        1 %) instead of, or beside, `stop_price`. It rests on the exchange, so it works while
        the bot is down. Size it to the real position (`tg.position(symbol).qty`), which fills
        and fees moved. Returns and raises as `market_buy`."""
        check_options(unsupported, "a stop-loss order")
        kinds = (OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT)
        return await self._triggered(
            kinds, symbol, side, qty, stop_price, price, trailing_delta, rounding(round)
        )

    async def take_profit(
        self,
        symbol: Symbol | str,
        side: Side | str,
        *,
        qty: Amount,
        stop_price: Amount | None = None,
        price: Amount | None = None,
        trailing_delta: int | None = None,
        round: Rounding = None,
        **unsupported: Any,
    ) -> Order:
        """A take-profit: a market order once the last price crosses `stop_price` the other
        way, or a take-profit-limit with `price`; trailing with `trailing_delta`. Returns and
        raises as `market_buy`."""
        check_options(unsupported, "a take-profit order")
        kinds = (OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT)
        return await self._triggered(
            kinds, symbol, side, qty, stop_price, price, trailing_delta, rounding(round)
        )

    async def _triggered(
        self,
        kinds: tuple[OrderType, OrderType],
        symbol: Symbol | str,
        side: Side | str,
        qty: Amount,
        stop_price: Amount | None,
        price: Amount | None,
        trailing_delta: int | None,
        round: RoundMode | None,
    ) -> Order:
        """A stop or take-profit: the market kind without a limit `price`, the limit kind with."""
        require(self.transport, STOP_ORDERS, kinds[0].value.lower())
        if trailing_delta is not None:
            require(self.transport, TRAILING, "a trailing_delta")
        kind = kinds[0] if price is None else kinds[1]
        fields = {"qty": qty, "price": price, "stop_price": stop_price,
                  "trailing_delta": trailing_delta}  # fmt: skip
        return await self.place(self._intent(symbol, side, kind, **fields), round=round)

    async def bracket(
        self,
        symbol: Symbol | str,
        side: Side | str,
        *,
        qty: Amount,
        take_profit: Amount,
        stop: Amount,
        stop_limit: Amount | None = None,
        round: Rounding = None,
    ) -> tuple[Order, Order]:
        """An OCO bracket: a take-profit limit at `take_profit` and a stop at `stop` (a
        stop-limit with `stop_limit`), placed as one order list; when one fills the exchange
        cancels the other. For a SELL (protecting a long position) the take-profit sits above
        the market and the stop below it; for a BUY the other way round. Both legs are checked
        and journaled before the one request leaves. Returns (take-profit leg, stop leg); raises
        as `market_buy`."""
        require(self.transport, OCO, "bracket")
        sym = symbol_of(symbol)
        side = choice(Side, side, "side")
        how = rounding(round)
        list_id = self.ids.next()
        limit_leg = self._intent(
            sym,
            side,
            OrderType.LIMIT,
            qty=qty,
            price=take_profit,
            post_only=True,
            list_client_order_id=list_id,
        )
        stop_kind = OrderType.STOP_LOSS if stop_limit is None else OrderType.STOP_LOSS_LIMIT
        stop_leg = self._intent(
            sym,
            side,
            stop_kind,
            qty=qty,
            stop_price=stop,
            price=stop_limit,
            list_client_order_id=list_id,
        )
        with naming(limit_leg):
            checked = [
                await self._check(limit_leg, round=how),
                await self._check(stop_leg, count=False, round=how),
            ]
            return await self._send_bracket(sym, side, list_id, checked)

    async def _send_bracket(
        self, sym: Symbol, side: Side, list_id: str, checked: list[OrderIntent]
    ) -> tuple[Order, Order]:
        del side
        send = partial(self.transport.place_bracket, checked, list_id)
        first, second = await self._send_list(sym, checked, send)
        return first, second

    async def _send_list(
        self,
        sym: Symbol,
        checked: list[OrderIntent],
        send: Callable[[], Awaitable[Sequence[OrderReport]]],
    ) -> list[Order]:
        """An order list's checked legs journaled, then its one request sent (`send`); the
        legs as the reply left them."""
        self._claim(checked)  # no await from here to the journal
        for leg in checked:
            self._record(
                OrderIntended(at_ms=self._now(), profile=self.profile, intent=leg), durable=True
            )
        coids = [leg.client_order_id for leg in checked]
        sending = self._sending(coids)
        try:
            reports = await send()
        except SEND_FAILURES as exc:
            list_id = checked[0].list_client_order_id
            self._send_failed(coids, sym.binance, exc, sending, list_id)
            raise
        for report in reports:
            self._record(order_updated(report, self._now(), self.profile, source="reply"))
        placed = [self.order(leg.client_order_id) for leg in checked]
        assert all(o is not None for o in placed)
        return [o for o in placed if o is not None]
