"""POST /api/v3/order/cancelReplace (the WebSocket API's order.cancelReplace) through the
session's `cancel_replace`, and its failures as Binance answers them (`replace_failures.py`)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from tradeguard.errors import TradeguardError
from tradeguard.gateway import order_params, replace_failures, shapes
from tradeguard.gateway.wire_errors import GUARD_REFUSED, WireError
from tradeguard.model import OrderIntent, OrderStatus
from tradeguard.orders import Order
from tradeguard.session.replace import CancelReplaceFailed
from tradeguard.venues.binance import codes

if TYPE_CHECKING:
    from tradeguard.gateway.routes import Gateway

Json = Any
Params = dict[str, str]


class Replacing:
    """cancelReplace for one gateway."""

    def __init__(self, gateway: Gateway) -> None:
        self.gw = gateway

    async def cancel_replace(self, params: Params) -> Json:
        """POST /api/v3/order/cancelReplace (the WebSocket API's order.cancelReplace) through
        the session's `cancel_replace`: the replacement is checked like any order, its intent
        journaled first. It keeps the old order's side and type (the session replaces price,
        quantity and stop price); a request to change them is refused. A failure is Binance's
        -2021 / -2022 with both halves under `data` (`replace_failures.py`)."""
        mode = order_params.required(params, "cancelReplaceMode").upper()
        old = self.gw.find(params, missing=-2011, prefix="cancel", absent_ok=True)
        if (old is None or not old.is_open) and mode != "ALLOW_FAILURE":
            raise replace_failures.nothing_to_cancel()
        if old is None:  # ALLOW_FAILURE: nothing to cancel, the new order placed all the same
            return await self._place_without_cancel(params)
        cancel_id = params.get("cancelNewClientOrderId") or f"gw-{secrets.token_hex(8)}"
        try:
            wanted, new = await self._replace(old, params, mode)
        except CancelReplaceFailed as exc:
            after = self.gw.tg.order(old.client_order_id) or old
            if exc.outcome is None:
                raise
            raise replace_failures.from_exchange(
                exc.outcome, self.gw.cancelled(after, cancel_id)
            ) from None
        except (WireError, TradeguardError) as exc:
            wire = self.gw.wire_error(exc, "cancelReplace")
            if wire.code != GUARD_REFUSED:
                raise
            raise replace_failures.guard_refused(wire) from None
        after = self.gw.tg.order(old.client_order_id) or old
        kind = order_params.response_type(params)
        placed = await self.gw.placed(new, kind, wanted)
        if after.status is not OrderStatus.CANCELED:  # ALLOW_FAILURE: the old one had ended
            unknown = {"code": -2011, "msg": codes.UNKNOWN_ORDER}
            data = replace_failures.halves("FAILURE", "SUCCESS", unknown, placed)
            raise replace_failures.failed(replace_failures.PARTIALLY_FAILED, data)
        return replace_failures.halves(
            "SUCCESS", "SUCCESS", self.gw.cancelled(after, cancel_id), placed
        )

    async def _place_without_cancel(self, params: Params) -> Json:
        """ALLOW_FAILURE naming an order nobody holds: Binance's cancel fails (-2011) and the
        new order is placed anyway, through the whole guard as any order. Either way the bot
        gets an error under -2021 / -2022 with both halves; a refusal that is not the new
        order's own (-2010: the guard's or the exchange's) is answered as it is, as Binance
        answers a filter failure or a rate limit before either half."""
        unknown = {"code": -2011, "msg": codes.UNKNOWN_ORDER}
        try:
            placed = await self.gw.new_order(params)
        except (WireError, TradeguardError) as exc:
            wire = self.gw.wire_error(exc, "cancelReplace")
            if wire.code != GUARD_REFUSED:
                raise
            data = replace_failures.halves("FAILURE", "FAILURE", unknown, wire.body())
            raise replace_failures.failed(replace_failures.FAILED, data) from None
        data = replace_failures.halves("FAILURE", "SUCCESS", unknown, placed)
        raise replace_failures.failed(replace_failures.PARTIALLY_FAILED, data)

    async def _replace(self, old: Order, params: Params, mode: str) -> tuple[OrderIntent, Order]:
        """The replacement's intent, checked by the key's limits, and the order the session's
        cancel_replace placed for it."""
        wanted = await self.gw.within_key_limits(self.gw.new_intent(params))
        has = (old.side.value, shapes.kind_of(old, self.gw.intents.get(old.client_order_id)))
        if (params["side"].upper(), params["type"].upper()) != has:
            raise WireError(
                GUARD_REFUSED,
                f"tradeguard: a replacement keeps the order's side and type ({' '.join(has)});"
                " cancel it and place a new order",
                400,
            )
        self.gw.intents.keep(wanted)
        new = await self.gw.tg.cancel_replace(
            old.client_order_id, qty=wanted.qty, price=wanted.price,
            stop_price=wanted.stop_price, mode=mode,
            new_client_order_id=wanted.client_order_id,
        )  # fmt: skip
        return wanted, new
