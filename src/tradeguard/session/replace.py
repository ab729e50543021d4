"""Cancel-replace: move an open order's price or quantity in one request (Binance's
POST /api/v3/order/cancelReplace), without losing track of either order whatever comes back.

    new = await tg.cancel_replace(order.client_order_id, price="59000")

The replacement is a new order with its own client order id, validated and risk-checked like
any other (the order it replaces is left out of the open-order counts and the exposure), its
`OrderIntended` journaled durably before the request. Then, by what the exchange answers:

- both halves done (200): the old order CANCELED, the new one as the reply says (both also
  arrive from the stream);
- the cancel failed but the new order is live (409 -2021, only with ALLOW_FAILURE): the old
  order filled or is otherwise gone; it is queried and its fills booked from myTrades, and the
  new order is recorded live and returned. This is the case bots get wrong (user pain 8);
- the cancel went through but the new order was refused (409 -2021): the old order CANCELED,
  the new one REJECTED, `OrderRejected` raised;
- neither (400 -2022; with STOP_ON_FAILURE the new order is not even attempted when the cancel
  fails): the old order queried and booked, the new one REJECTED, `OrderRejected` raised;
- no trustworthy answer (`OutcomeUnknown`): the new order UNKNOWN and resolved by its client
  id through the usual resolver, the old order queried; raised. Never resent.

The default mode is STOP_ON_FAILURE: if the old order cannot be cancelled (it filled), no new
order is placed, so a replace never doubles the exposure unless the bot asks for ALLOW_FAILURE.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any, cast

import msgspec

from tradeguard.errors import (
    ConfigError,
    GuardError,
    OrderRejected,
    OutcomeUnknown,
    TradeguardError,
)
from tradeguard.events import EventBase, OrderIntended, OrderUpdated
from tradeguard.intents import Amount, amount, choice
from tradeguard.model import OrderIntent, OrderStatus, OrderType, Symbol
from tradeguard.orders import Order
from tradeguard.report_events import order_updated
from tradeguard.session.checks import SEND_FAILURES, Sending
from tradeguard.session.orders import Rounding, naming, rounding
from tradeguard.session.resolve import ResolvePolicy, book_fills
from tradeguard.validate import RoundMode
from tradeguard.venues.binance.endpoints import CancelReplaceMode
from tradeguard.venues.binance.parse import ReplaceOutcome
from tradeguard.venues.binance.rules import to_new_order
from tradeguard.venues.protocol import CANCEL_REPLACE, require

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tradeguard.intents import ClientIds
    from tradeguard.session.recorder import Recorder
    from tradeguard.symbol_rules import SymbolRules
    from tradeguard.venues.binance.client import BinanceTransport
    from tradeguard.venues.protocol import Venue

PARTIALLY_FAILED = -2021


class CancelReplaceFailed(OrderRejected):
    """A cancel-replace the exchange refused in part or whole (-2021 / -2022); `outcome` is
    what it answered for each half (a server in front of the session passes it on)."""

    outcome: ReplaceOutcome | None = None


class ReplaceCalls:
    """Mixed into `Session`; what it uses of the session is declared here for the checker."""

    if TYPE_CHECKING:
        profile: str
        transport: Venue
        recorder: Recorder
        rules: Mapping[str, SymbolRules]
        ids: ClientIds
        resolve_policy: ResolvePolicy | None

        def intent_of(self, client_order_id: str) -> OrderIntent | None: ...

        async def _check(
            self,
            wanted: OrderIntent,
            *,
            count: bool = True,
            replacing: str | None = None,
            round: RoundMode | None = None,
        ) -> OrderIntent: ...
        def _record(self, event: EventBase, *, durable: bool = False) -> None: ...
        def _local(self, coid: str, symbol: str, status: OrderStatus, reason: str) -> None: ...
        async def _resolve(self, coid: str, symbol: str, sent_server_ms: int) -> None: ...
        def _spawn(self, work: Coroutine[Any, Any, Any]) -> None: ...
        def _sending(self, coids: Sequence[str]) -> Sending: ...
        def _claim(self, wanted: Sequence[OrderIntent]) -> None: ...
        def _send_failed(
            self, coids: Sequence[str], symbol: str, exc: TradeguardError, sending: Sending
        ) -> None: ...
        def _assets(self, symbol: str) -> tuple[str, str]: ...
        def order(self, client_order_id: str) -> Order | None: ...
        def _now(self) -> int: ...

    async def cancel_replace(
        self,
        client_order_id: str,
        *,
        qty: Amount | None = None,
        price: Amount | None = None,
        stop_price: Amount | None = None,
        mode: CancelReplaceMode | str = CancelReplaceMode.STOP_ON_FAILURE,
        round: Rounding = None,
        new_client_order_id: str | None = None,
    ) -> Order:
        """Cancel the order `client_order_id` and place its replacement in one request; the
        replacement as the exchange left it. Unchanged fields are the old order's; `qty`
        defaults to what is left of the old order; the replacement is named
        `new_client_order_id`, else by the session. See the module docstring for each outcome."""
        require(self.transport, CANCEL_REPLACE, "cancel_replace")
        mode = choice(CancelReplaceMode, mode, "mode")
        old = self.order(client_order_id)
        if old is None:
            raise ConfigError(f"no order {client_order_id} in this session's journal")
        if old.status is OrderStatus.UNKNOWN:
            raise GuardError(
                f"order {client_order_id}'s placement is still being resolved",
                hint="replace it once its state is known (wait_for it)",
            )
        if not old.is_open and mode is CancelReplaceMode.STOP_ON_FAILURE:
            raise GuardError(
                f"order {client_order_id} is {old.status.value}: there is nothing to cancel, "
                "so STOP_ON_FAILURE would place nothing",
                hint="place a new order, or pass mode='ALLOW_FAILURE' to place it regardless",
            )
        wanted = self._replacement(old, qty, price, stop_price, new_client_order_id)
        with naming(wanted):
            self._claim((wanted,))
            checked = await self._check(
                wanted, replacing=old.client_order_id, round=rounding(round)
            )
            return await self._send_replacement(old, checked, mode)

    async def _send_replacement(
        self, old: Order, checked: OrderIntent, mode: CancelReplaceMode
    ) -> Order:
        self._claim((checked,))  # no await from here to the journal
        self._record(
            OrderIntended(at_ms=self._now(), profile=self.profile, intent=checked), durable=True
        )
        new_coid, symbol = checked.client_order_id, checked.symbol.binance
        sending = self._sending([new_coid])
        try:
            # a Binance feature (required above): its request and outcome are Binance's
            binance = cast("BinanceTransport", self.transport)
            outcome = await binance.cancel_replace(
                to_new_order(checked), mode, cancel_client_order_id=old.client_order_id
            )
        except SEND_FAILURES as exc:
            # unknown: the new half resolves by its client id, the old one is queried later;
            # refused as a whole (a filter, a ban, the breaker): neither half happened
            self._send_failed([new_coid], symbol, exc, sending)
            if isinstance(exc, OutcomeUnknown):
                self._spawn(self._settle(old.client_order_id, symbol, later=True))
            raise
        await self._record_outcome(outcome, old, new_coid, symbol)
        found = self.order(new_coid)
        assert found is not None
        return found

    replace = cancel_replace

    def _replacement(
        self,
        old: Order,
        qty: Amount | None,
        price: Amount | None,
        stop_price: Amount | None,
        new_client_order_id: str | None = None,
    ) -> OrderIntent:
        """The old order's intent with a new client order id and the changed fields."""
        base = self._intent_of(old)
        if base.list_client_order_id is not None:
            raise ConfigError(
                f"order {old.client_order_id} is a leg of the order list "
                f"{base.list_client_order_id}; cancel-replace would cancel the whole list",
                hint="cancel the list and place a new bracket",
            )
        if base.type is OrderType.MARKET:
            raise ConfigError("a market order never rests on the book: there is nothing to replace")
        new_qty = amount(qty, "qty")
        if new_qty is None:
            left = old.remaining_qty
            if left is None or left <= 0:
                raise ConfigError(
                    f"order {old.client_order_id} has nothing left to replace",
                    hint="give the replacement's qty",
                )
            new_qty = left
        return msgspec.structs.replace(
            base,
            client_order_id=new_client_order_id or self.ids.next(),
            qty=new_qty,
            quote_qty=None,
            price=amount(price, "price") or base.price,
            stop_price=amount(stop_price, "stop_price") or base.stop_price,
        )

    def _intent_of(self, old: Order) -> OrderIntent:
        """The intent the order was placed with (journaled), or one read off an order adopted
        from the exchange."""
        placed_with = self.intent_of(old.client_order_id)
        if placed_with is not None:
            return placed_with
        rules = self.rules[old.symbol]
        return OrderIntent(
            client_order_id=old.client_order_id,
            symbol=Symbol(rules.base_asset, rules.quote_asset),
            side=old.side,
            type=OrderType.LIMIT if old.type is OrderType.LIMIT_MAKER else old.type,
            qty=old.qty,
            price=old.price,
            post_only=old.type is OrderType.LIMIT_MAKER,
        )

    async def _record_outcome(
        self, outcome: ReplaceOutcome, old: Order, new_coid: str, symbol: str
    ) -> None:
        at = self._now()
        canceled = outcome.canceled
        if canceled is not None:
            known = self.recorder.ledger.order(old.client_order_id)
            if known is not None and canceled.executed_qty > known.executed_qty:
                # it filled partly since the last fill message seen: book those fills first
                await book_fills(
                    self.transport, canceled, self._assets(symbol), self._record,
                    self.profile, at,
                )  # fmt: skip
            self._record(order_updated(canceled, at, self.profile, source="reply"))
        else:
            # the cancel failed: the old order filled, or is still live; ask, book its fills
            await self._settle(old.client_order_id, symbol)
        if outcome.new_order is not None:
            self._record(order_updated(outcome.new_order, at, self.profile, source="reply"))
            return
        ack = outcome.new_order_ack
        if ack is not None:
            self._record(
                OrderUpdated(
                    at_ms=at, profile=self.profile, client_order_id=new_coid, symbol=symbol,
                    status=OrderStatus.NEW, source="reply", order_id=ack.orderId,
                    exchange_ms=ack.transactTime,
                )
            )  # fmt: skip
            return
        refused = outcome.new_order_error
        why = (
            f"{refused.code} {refused.msg}"
            if refused is not None
            else "not attempted: the cancel failed (STOP_ON_FAILURE)"
        )
        cancel = "done" if outcome.cancel_ok else "failed"
        if outcome.cancel_error is not None:
            cancel = f"failed ({outcome.cancel_error.code} {outcome.cancel_error.msg})"
        self._local(new_coid, symbol, OrderStatus.REJECTED, f"cancel-replace: {why}")
        failed = CancelReplaceFailed(
            outcome.code,
            f"{outcome.msg} The cancel of {old.client_order_id}: {cancel}; "
            f"the new order {new_coid}: {why}",
            409 if outcome.code == PARTIALLY_FAILED else 400,
            hint="the old order's state is in the journal (tg.order); nothing was resent",
        )
        failed.outcome = outcome
        raise failed

    async def _settle(self, client_order_id: str, symbol: str, *, later: bool = False) -> None:
        """Query an order whose cancel did not go through (or may not have), book its fills
        from myTrades and record its state. Best effort: the stream and reconciliation catch
        up with it otherwise."""
        if later:
            await asyncio.sleep((self.resolve_policy or ResolvePolicy()).first_delay_s)
        with contextlib.suppress(TradeguardError):
            report = await self.transport.get_order(symbol, client_order_id=client_order_id)
            at = self._now()
            await book_fills(
                self.transport, report, self._assets(symbol), self._record, self.profile, at
            )
            self._record(order_updated(report, at, self.profile))


__all__ = ["CancelReplaceFailed", "ReplaceCalls"]
