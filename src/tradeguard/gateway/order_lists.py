"""Order lists through the gateway: `POST /api/v3/orderList/oco`, `/oto`, `/otoco`, the
deprecated `POST /api/v3/order/oco` (legacy_oco.py),
`DELETE /api/v3/orderList`, `GET /api/v3/orderList`, `GET /api/v3/openOrderList` (and the
WebSocket API's `orderList.place.oco/oto/otoco`, `orderList.cancel`, `orderList.status`,
`openOrderLists.status`).

An OCO is placed through the session's OCO path (`tg.place_order_list`, the one `tg.bracket`
uses): both legs checked by the whole guard and the local key's own limits (a list counts two
orders, as Binance counts it), both journaled with the list's client id before the one request
leaves. The session serves the legs it knows: a LIMIT_MAKER (or TAKE_PROFIT[_LIMIT]) leg and a
STOP_LOSS[_LIMIT] leg, placed as Binance's OCO. An OTO (a working order, `working*`, and the
pending one it places once filled, `pending*`) and an OTOCO (a pending OCO pair sharing
`pendingSide` and `pendingQuantity`, `pendingAbove*` and `pendingBelow*`) go through
`tg.place_oto` alike: every leg checked and counted, all journaled, one request. Every leg is
read and checked before the key's rate counts any (a list refused for its last leg spends none).

The journal keeps each leg's list (its intent's `list_client_order_id`), not the exchange's
numeric list id; the gateway numbers a list by its first leg's exchange order id (unique per
symbol: an order is in one list at most), so the number holds across a gateway restart. Lists
placed here are remembered (the last `KEPT`); an older one is found again among the journal's
orders of the traded symbols.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Final

import msgspec

from tradeguard.errors import OutcomeUnknown
from tradeguard.gateway import legacy_oco, order_params, shapes
from tradeguard.gateway.list_events import ListView
from tradeguard.gateway.wire_errors import GUARD_REFUSED, WireError, binance
from tradeguard.model import OrderIntent, OrderStatus, Side
from tradeguard.orders import Order
from tradeguard.venues.binance import codes

if TYPE_CHECKING:
    from tradeguard.gateway.routes import Gateway

Json = Any
Params = dict[str, str]
KEPT: Final = 10_000
# a leg's parameters under its prefix ("above" / "below"), as a new order's names them
_LEG_PARAMS: Final = {
    "Type": "type",
    "Price": "price",
    "StopPrice": "stopPrice",
    "TrailingDelta": "trailingDelta",
    "TimeInForce": "timeInForce",
    "ClientOrderId": "newClientOrderId",
    "IcebergQty": "icebergQty",
}
OCO: Final = "OCO"
OTO: Final = "OTO"  # Binance's contingencyType for an OTOCO too


class OrderLists:
    """The order-list endpoints of one gateway."""

    def __init__(self, gateway: Gateway, kept: int = KEPT) -> None:
        self.gw = gateway
        self.tg = gateway.tg
        self._kept = kept
        self._legs: OrderedDict[str, tuple[str, ...]] = OrderedDict()  # list id -> leg coids
        gateway.user_streams.list_view = self.view  # its legs' reports name it, and its news

    # ── placing ───────────────────────────────────────────────────────────────────────────
    async def place_oco(self, params: Params) -> Json:
        list_coid = self._new_list_id(params)
        wanted = [
            self._leg(params, "above", list_coid, OCO),
            self._leg(params, "below", list_coid, OCO),
        ]
        above, below = await self._within_limits(wanted)
        # the session's order: the take-profit side first (for a SELL the leg above the market)
        first, second = (above, below) if above.side is Side.SELL else (below, above)
        self.gw.intents.keep(first)
        self.gw.intents.keep(second)
        try:
            await self.tg.place_order_list(first, second)
        except OutcomeUnknown:
            for leg in (first, second):
                await self.gw.resolved(leg.client_order_id)
        coids = (above.client_order_id, below.client_order_id)
        self._remember(list_coid, coids)
        return self._placed(list_coid, coids)

    async def place_legacy_oco(self, params: Params) -> Json:
        """The deprecated POST /api/v3/order/oco: the same OCO, in the legacy reply's order."""
        return legacy_oco.stop_leg_first(await self.place_oco(legacy_oco.as_order_list(params)))

    async def place_oto(self, params: Params) -> Json:
        """POST /api/v3/orderList/oto: a working order and one pending order."""
        list_coid = self._new_list_id(params)
        working = self._leg(params, "working", list_coid, OTO, "workingSide", "workingQuantity")
        pending = self._leg(params, "pending", list_coid, OTO, "pendingSide", "pendingQuantity")
        return await self._place_oto(list_coid, [working, pending])

    async def place_otoco(self, params: Params) -> Json:
        """POST /api/v3/orderList/otoco: a working order and a pending OCO pair."""
        list_coid = self._new_list_id(params)
        working = self._leg(params, "working", list_coid, OTO, "workingSide", "workingQuantity")
        above = self._leg(params, "pendingAbove", list_coid, OTO, "pendingSide", "pendingQuantity")
        below = self._leg(params, "pendingBelow", list_coid, OTO, "pendingSide", "pendingQuantity")
        return await self._place_oto(list_coid, [working, above, below])

    def _new_list_id(self, params: Params) -> str:
        list_coid = order_params.client_id(params, "listClientOrderId") or self.tg.new_client_id()
        if self._known(list_coid):
            raise WireError(GUARD_REFUSED, codes.DUPLICATE_ORDER, 400)
        return list_coid

    async def _place_oto(self, list_coid: str, wanted: list[OrderIntent]) -> Json:
        working, *pending = await self._within_limits(wanted)
        for leg in (working, *pending):
            self.gw.intents.keep(leg)
        coids = tuple(leg.client_order_id for leg in (working, *pending))
        self._remember(list_coid, coids)  # before it leaves: its legs' stream events name it
        try:
            await self.tg.place_oto(working, pending)
        except OutcomeUnknown:
            for coid in coids:
                await self.gw.resolved(coid)
        except BaseException:
            self._forget(list_coid)  # refused: never placed, its client id free again
            raise
        return self._placed(list_coid, coids)

    def _placed(self, list_coid: str, coids: tuple[str, ...]) -> Json:
        """A placed list's reply: the list, its orders, an orderReports entry per leg."""
        legs = self._orders(coids)
        at = self.tg.server_now_ms()
        reports = [
            self._report(o, shapes.result(o, o.order_id or 0, at, self._intent(o))) for o in legs
        ]
        return self._list(list_coid, legs, at) | {"orderReports": reports}

    async def _within_limits(self, legs: list[OrderIntent]) -> list[OrderIntent]:
        """The legs once every one was read and checked: two named alike are Binance's
        duplicate (-2010), then the local key's limits count them all, or none."""
        coids = [leg.client_order_id for leg in legs]
        if len(set(coids)) < len(coids):
            raise WireError(GUARD_REFUSED, codes.DUPLICATE_ORDER, 400)
        return await self.gw.list_within_key_limits(legs)

    def _leg(
        self,
        params: Params,
        prefix: str,
        list_coid: str,
        kind: str,
        side: str = "side",
        quantity: str = "quantity",
    ) -> OrderIntent:
        """One leg as a new order's intent (its own client id, or one the session names)."""
        leg = {"symbol": order_params.required(params, "symbol"),
               "side": order_params.required(params, side),
               "quantity": order_params.required(params, quantity)}  # fmt: skip
        sent_as = {"side": side, "quantity": quantity}  # a leg's names, as the bot sent them
        for suffix, name in _LEG_PARAMS.items():
            sent_as[name] = prefix + suffix
            value = params.get(prefix + suffix)
            if value:
                leg[name] = value
        if "type" not in leg:
            raise binance(-1102, f"{prefix}Type")
        coid = order_params.client_id(params, f"{prefix}ClientOrderId") or self.tg.new_client_id()
        if self.tg.client_id_taken(coid):  # free again if its order never reached the book
            raise WireError(GUARD_REFUSED, codes.DUPLICATE_ORDER, 400)
        wanted = order_params.order_intent(leg, self.tg.rules, coid, sent_as)
        return msgspec.structs.replace(wanted, list_client_order_id=list_coid, list_kind=kind)

    # ── cancelling and reading ────────────────────────────────────────────────────────────
    async def cancel(self, params: Params) -> Json:
        """DELETE /api/v3/orderList: the exchange ends the whole list when one leg is
        cancelled; the others are waited for (bounded), then cancelled if still open."""
        symbol = order_params.symbol_of(params, self.tg.rules).binance
        list_coid, legs = self._find(params, "listClientOrderId", [symbol])
        if not any(o.is_open for o in legs):
            raise WireError(-2011, codes.UNKNOWN_ORDER, 400)
        first, *others = [o for o in legs if o.is_open]
        await self.tg.cancel(first.client_order_id)
        for order in others:  # ended by the exchange with the first: the stream says so
            try:
                await self.tg.wait_for(order.client_order_id, timeout_s=self.gw.fills_timeout_s)
            except TimeoutError:
                await self.tg.cancel(order.client_order_id)  # a -2011 is read back
        legs = self._orders(tuple(o.client_order_id for o in legs))
        cancel_id = params.get("newClientOrderId") or f"gw-{secrets.token_hex(8)}"
        reports = [self._report(o, self.gw.cancelled(o, cancel_id)) for o in legs]
        return self._list(list_coid, legs, self.tg.server_now_ms()) | {"orderReports": reports}

    async def query(self, params: Params) -> Json:
        """GET /api/v3/orderList by orderListId or origClientOrderId (the list's own)."""
        list_coid, legs = self._find(params, "origClientOrderId", self._symbols())
        return self._list(list_coid, legs, min(o.created_ms for o in legs))

    async def open_lists(self, params: Params) -> Json:
        """GET /api/v3/openOrderList: every list with a leg still open."""
        del params
        found: dict[str, None] = {}
        for order in self.tg.open_orders():
            intent = self._intent(order)
            if intent is not None and intent.list_client_order_id is not None:
                found[intent.list_client_order_id] = None
        out = []
        for list_coid in found:
            legs = self._legs_of(list_coid, self._symbols())
            out.append(self._list(list_coid, legs, min(o.created_ms for o in legs)))
        return out

    # ── finding ───────────────────────────────────────────────────────────────────────────
    def _find(self, params: Params, by_name: str, symbols: list[str]) -> tuple[str, list[Order]]:
        """A list named by orderListId or its client id: its id and legs; -2011 if none."""
        list_coid = params.get(by_name)
        raw_id = params.get("orderListId")
        if not list_coid and not raw_id:
            raise binance(-1102, "orderListId", by_name, variant=2)
        if not list_coid:
            list_coid = self._by_number(raw_id or "", symbols)
        legs = self._legs_of(list_coid, symbols) if list_coid else []
        if not legs:
            raise WireError(-2011, codes.UNKNOWN_ORDER, 400)
        return list_coid or "", legs

    def _by_number(self, raw_id: str, symbols: list[str]) -> str | None:
        if not raw_id.isdigit():
            return None
        for symbol in symbols:
            order = self.tg.order_by_exchange_id(symbol, int(raw_id))
            intent = self._intent(order) if order is not None else None
            if intent is not None and intent.list_client_order_id is not None:
                legs = self._legs_of(intent.list_client_order_id, [symbol])
                if legs and _number(legs) == int(raw_id):
                    return intent.list_client_order_id
        return None

    def _legs_of(self, list_coid: str, symbols: list[str]) -> list[Order]:
        coids = self._legs.get(list_coid)
        if coids is None:  # placed before a restart, or long ago: the journal's orders
            coids = tuple(
                o.client_order_id
                for symbol in symbols
                for o in self.tg.orders_of(symbol)
                if o.status is not OrderStatus.REJECTED  # never placed: of no list on the exchange
                and (i := self._intent(o)) is not None
                and i.list_client_order_id == list_coid
            )
            if coids:
                self._remember(list_coid, coids)
        return self._orders(coids)

    def _known(self, list_coid: str) -> bool:
        """Whether the list id is taken: a list placed here with a leg the exchange took. One
        whose request was lost and that resolution found never placed is not (the exchange
        holds no such list, so Binance would take the bot's retry under the same id)."""
        coids = self._legs.get(list_coid)
        if coids is None:
            return False
        return any(self.tg.client_id_taken(c) or self.tg.order(c) is None for c in coids)

    def _remember(self, list_coid: str, coids: tuple[str, ...]) -> None:
        self._legs[list_coid] = coids
        self._legs.move_to_end(list_coid)
        while len(self._legs) > self._kept:
            self._legs.popitem(last=False)

    def _forget(self, list_coid: str) -> None:
        self._legs.pop(list_coid, None)

    def _orders(self, coids: tuple[str, ...]) -> list[Order]:
        found = [self.tg.order(c) for c in coids]
        return sorted((o for o in found if o is not None), key=lambda o: o.order_id or 0)

    def _symbols(self) -> list[str]:
        return sorted(self.tg.rules)

    def _intent(self, order: Order) -> OrderIntent | None:
        return self.gw.intents.get(order.client_order_id)

    # ── shapes ────────────────────────────────────────────────────────────────────────────
    def _report(self, order: Order, shaped: Json) -> Json:
        intent = self._intent(order)
        stop = intent.stop_price if intent is not None else None
        extra: Json = {"stopPrice": shapes.amount(stop)} if stop is not None else {}
        if order.status is OrderStatus.PENDING_NEW and order.order_id is not None:
            extra["workingTime"] = -1  # an OTO's pending leg, placed once its working one fills
        return shaped | {"orderListId": self._number_of(order)} | extra

    def _number_of(self, order: Order) -> int:
        intent = self._intent(order)
        if intent is None or intent.list_client_order_id is None:
            return shapes.NO_LIST
        return self.number(intent.list_client_order_id)

    def _kind(self, legs: list[Order]) -> str:
        """OCO or OTO, as its legs' journaled intents say (restarts too). A leg journaled
        before intents said so is told by its shape: an OCO's two legs share a side, an OTO's
        three or its legs of two sides do not, and only an OTO's pending leg waits."""
        for order in legs:
            intent = self._intent(order)
            if intent is not None and intent.list_kind is not None:
                return intent.list_kind
        if len(legs) > 2 or len({o.side for o in legs}) > 1:
            return OTO
        if any(o.status is OrderStatus.PENDING_NEW for o in legs):
            return OTO
        return OCO

    def view(self, list_coid: str) -> ListView | None:
        """The list as the user stream tells it (None for one it holds no leg of)."""
        legs = self._legs_of(list_coid, self._symbols())
        if not legs:
            return None
        return ListView(_number(legs), list_coid, self._kind(legs), legs)

    def number(self, list_coid: str) -> int:
        """The list's `orderListId` (NO_LIST for one it holds no leg of)."""
        return _number(self._legs_of(list_coid, self._symbols()))

    def _list(self, list_coid: str, legs: list[Order], at_ms: int) -> Json:
        """The list as Binance shows it (without orderReports)."""
        done = not any(o.is_open for o in legs)
        return {
            "orderListId": _number(legs),
            "contingencyType": self._kind(legs),
            "listStatusType": "ALL_DONE" if done else "EXEC_STARTED",
            "listOrderStatus": "ALL_DONE" if done else "EXECUTING",
            "listClientOrderId": list_coid,
            "transactionTime": at_ms,
            "symbol": legs[0].symbol,
            "orders": [
                {"symbol": o.symbol, "orderId": o.order_id or 0, "clientOrderId": o.client_order_id}
                for o in legs
            ],
        }


def _number(legs: list[Order]) -> int:
    """The list's number: its first leg's exchange order id."""
    return min((o.order_id for o in legs if o.order_id), default=shapes.NO_LIST)
