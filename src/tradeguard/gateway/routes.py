"""One handler per Binance Spot endpoint the gateway serves, on top of a session.

Order of what happens to a request:

1. a path that could move funds (all of /sapi/, withdrawals, transfers, ...) is refused with
   -2015 before anything else, whatever the key (`refused.py`), but for the three read-only
   listings ccxt signs in `load_markets`, answered here (`wallet_reads.py`);
2. a listen key (`/api/v3/userDataStream`) is made, kept alive or closed (`user_stream.py`);
   a public market-data path is forwarded through the session's transport (`public.py`);
3. anything else must be signed with a local key (`local_keys.py`), then goes to the session:
   orders through `tg.place` (the whole guard, the intent journaled before the request leaves),
   cancels through `tg.cancel`, reads from the session's state (orders, fills the journal
   booked) or, for balances, from the exchange through the transport.

A placement whose outcome is unknown is resolved before the bot is answered, for up to
`resolve_timeout_s`; then the bot gets Binance's 503 (-1007), which every client treats as
"execution status unknown" (it must query by its client order id, as against Binance).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final, overload
from urllib.parse import parse_qsl

import msgspec

from tradeguard.errors import OutcomeUnknown, TradeguardError
from tradeguard.gateway import order_params, shapes, wallet_reads
from tradeguard.gateway.intents_kept import KEPT, IntentsKept
from tradeguard.gateway.key_limits import KeyLimits
from tradeguard.gateway.local_keys import LocalKey, LocalKeys, parse_params
from tradeguard.gateway.order_lists import OrderLists
from tradeguard.gateway.public import PublicReads
from tradeguard.gateway.refused import funds_refusal
from tradeguard.gateway.replacing import Replacing
from tradeguard.gateway.user_stream import UserStreams
from tradeguard.gateway.wire_errors import (
    GUARD_REFUSED,
    UNKNOWN_STATUS_503,
    WireError,
    binance,
    from_error,
)
from tradeguard.model import OrderIntent, OrderStatus
from tradeguard.orders import Order
from tradeguard.venues.binance import codes

if TYPE_CHECKING:
    from aiohttp import web

    from tradeguard.session.guard import Session

log = logging.getLogger(__name__)
Json = Any
Params = dict[str, str]
# every status but the two local ones that mean "no answer yet"
ANSWERED: Final = tuple(
    s for s in OrderStatus if s not in (OrderStatus.PENDING_NEW, OrderStatus.UNKNOWN)
)
MAX_LIST: Final = 1000
_JSON: Final = msgspec.json.Encoder()  # the replies (several times json.dumps' speed)
# the local key that signed the request being answered (each request runs in its own task)
_current_key: ContextVar[LocalKey | None] = ContextVar("gateway_key", default=None)
USER_DATA_STREAM: Final = "/api/v3/userDataStream"  # listen keys: the API key, no signature
# the signed endpoints, each with the Gateway method that answers it
SIGNED: Final = {
    ("POST", "/api/v3/order"): "new_order",
    ("POST", "/api/v3/order/test"): "test_order",
    ("POST", "/api/v3/order/cancelReplace"): "replacing.cancel_replace",
    ("DELETE", "/api/v3/order"): "cancel_order",
    ("GET", "/api/v3/order"): "query_order",
    ("GET", "/api/v3/openOrders"): "open_orders",
    ("GET", "/api/v3/allOrders"): "all_orders",
    ("DELETE", "/api/v3/openOrders"): "cancel_open_orders",
    ("GET", "/api/v3/account"): "account",
    ("GET", "/api/v3/myTrades"): "my_trades",
    ("POST", "/api/v3/orderList/oco"): "lists.place_oco",
    ("POST", "/api/v3/order/oco"): "lists.place_legacy_oco",
    ("POST", "/api/v3/orderList/oto"): "lists.place_oto",
    ("POST", "/api/v3/orderList/otoco"): "lists.place_otoco",
    ("DELETE", "/api/v3/orderList"): "lists.cancel",
    ("GET", "/api/v3/orderList"): "lists.query",
    ("GET", "/api/v3/openOrderList"): "lists.open_lists",
    wallet_reads.COINS: "coins",
    wallet_reads.MARGIN_PAIRS: "no_margin_pairs",
    wallet_reads.ISOLATED_PAIRS: "no_margin_pairs",
}


class Gateway:
    """The endpoints, bound to one session and the local keys it accepts."""

    def __init__(
        self,
        tg: Session,
        keys: LocalKeys,
        *,
        resolve_timeout_s: float = 10.0,
        fills_timeout_s: float = 2.0,
        info_ttl_s: float = 60.0,
        intents_kept: int = KEPT,
    ) -> None:
        self.tg = tg
        self.keys = keys
        self.public = PublicReads(tg, tg.clock, info_ttl_s)
        self.resolve_timeout_s = resolve_timeout_s
        self.fills_timeout_s = fills_timeout_s
        self.intents = IntentsKept(tg.intent_of, intents_kept)  # what each order asked for
        self.user_streams = UserStreams(tg, keys, self.intents)
        self.key_limits = KeyLimits()
        self.lists = OrderLists(self)
        self.replacing = Replacing(self)
        self._signed: dict[tuple[str, str], Callable[[Params], Awaitable[Json]]] = {
            route: attrgetter(name)(self) for route, name in SIGNED.items()
        }

    # ── the one entry ─────────────────────────────────────────────────────────────────────
    async def handle(self, request: web.Request) -> web.Response:
        from aiohttp import web

        try:
            body = await self._answer(request)
        except Exception as exc:
            wire = self.wire_error(exc, f"{request.method} {request.path}")
            return web.Response(
                body=_JSON.encode(wire.body()), status=wire.http_status, headers=wire.headers(),
                content_type="application/json",
            )  # fmt: skip
        if not isinstance(body, bytes):
            body = _JSON.encode(body)
        return web.Response(body=body, content_type="application/json")

    async def _answer(self, request: web.Request) -> Json:
        path = request.path
        if (request.method, path) not in wallet_reads.ROUTES:
            refused = funds_refusal(path)
            if refused is not None:
                raise refused
        query = request.query_string.encode()
        if path == USER_DATA_STREAM:
            params = parse_params(query, await request.read())
            return self.user_streams.listen_key(
                request.method, request.headers.get("X-MBX-APIKEY"), params
            )
        if request.method == "GET" and self.public.serves(path):
            return await self.public.read(path, parse_qsl(request.query_string))
        handler = self._signed.get((request.method, path))
        if handler is None:
            raise WireError(
                -1020, f"tradeguard: {request.method} {path} is not served by the gateway", 404
            )
        raw_body = await request.read()
        params = parse_params(query, raw_body)
        key = self.keys.authenticate(
            request.headers.get("X-MBX-APIKEY"), query, raw_body, self.tg.server_now_ms(), params
        )
        _current_key.set(key)  # this request's task only
        return await handler(params)

    async def signed(self, route: tuple[str, str], key: LocalKey, params: Params) -> Json:
        """Answer a signed request `key` made, by its REST route (`("POST", "/api/v3/order")`):
        what the WebSocket API's order methods call, so they go through REST's one path."""
        _current_key.set(key)  # the caller's task only
        return await self._signed[route](params)

    def wire_error(self, exc: BaseException, what: str) -> WireError:
        """The Binance error reply for what a request raised (a bug: -1000, logged)."""
        if isinstance(exc, WireError):
            return exc
        if isinstance(exc, TradeguardError):
            return from_error(exc, self.tg.server_now_ms())
        log.error("gateway: %s failed", what, exc_info=exc)
        return WireError(-1000, codes.msg(-1000), 500)

    # ── orders ────────────────────────────────────────────────────────────────────────────
    async def new_order(self, params: Params) -> Json:
        wanted = await self.within_key_limits(self.new_intent(params))
        kind = order_params.response_type(params)
        return await self.placed(await self._place(wanted), kind, wanted)

    async def placed(self, order: Order, kind: str, wanted: OrderIntent) -> Json:
        """A new order's reply of `kind` (newOrderRespType): FULL waits for the fills its
        reply reported to be booked, so the bot sees the journal's fills."""
        order_id = order.order_id or 0
        at = self.tg.server_now_ms()
        if kind == "ACK":
            return shapes.ack(order, order_id, at)
        if order.missing_qty > 0:
            order = await self.with_fills(order)
        shape = shapes.full if kind == "FULL" else shapes.result
        return shape(order, order_id, at, wanted)

    async def test_order(self, params: Params) -> Json:
        """The guard's checks without sending (`tg.check_order`: nothing counted)."""
        wanted = self.new_intent(params)
        key = _current_key.get()
        if key is not None and key.max_order_notional is not None:
            last = await self.tg.last_price(wanted.symbol)
            KeyLimits.check_notional(key, wanted, last)
        await self.tg.check_order(wanted)
        return {}

    async def within_key_limits(self, wanted: OrderIntent) -> OrderIntent:
        """The intent marked with the local key that placed it (the journal keeps the name),
        once that key's own limits allow it."""
        key = _current_key.get()
        if key is None:
            return wanted
        if key.max_order_notional is not None or key.max_orders_per_minute is not None:
            last = await self.tg.last_price(wanted.symbol)
            self.key_limits.check(key, wanted, last, self.tg.clock.monotonic())
        return msgspec.structs.replace(wanted, placed_by=key.name)

    async def list_within_key_limits(self, legs: list[OrderIntent]) -> list[OrderIntent]:
        """An order list's legs, marked with the local key, once its limits allow them all:
        each leg checked, then all counted together (a refused list counts nothing)."""
        key = _current_key.get()
        if key is None:
            return legs
        if key.max_orders_per_minute is not None:
            for leg in legs:  # the whole guard first (counting nothing): a list it refuses
                await self.tg.check_order(leg)  # spends none of the key's rate
        if key.max_order_notional is not None or key.max_orders_per_minute is not None:
            priced = [(leg, await self.tg.last_price(leg.symbol)) for leg in legs]
            self.key_limits.check_all(key, priced, self.tg.clock.monotonic())
        return [msgspec.structs.replace(leg, placed_by=key.name) for leg in legs]

    def new_intent(self, params: Params) -> OrderIntent:
        coid = order_params.client_id(params) or self.tg.new_client_id()
        if self.tg.client_id_taken(coid):  # free again if its order never reached the book
            raise WireError(GUARD_REFUSED, codes.DUPLICATE_ORDER, 400)
        return order_params.order_intent(params, self.tg.rules, coid)

    async def _place(self, wanted: OrderIntent) -> Order:
        coid = wanted.client_order_id
        self.intents.keep(wanted)
        try:
            return await self.tg.place(wanted)
        except OutcomeUnknown:
            pass
        return await self.resolved(coid)

    async def resolved(self, coid: str) -> Order:
        """An order whose placement's outcome was unknown, once resolved (-1007 after
        `resolve_timeout_s`; a placement that never reached the exchange: refused)."""
        try:
            order = await self.tg.resolved(coid, timeout_s=self.resolve_timeout_s)
        except TimeoutError:
            raise WireError(-1007, UNKNOWN_STATUS_503, 503) from None
        if order.status is OrderStatus.REJECTED:
            raise WireError(GUARD_REFUSED, f"tradeguard: not placed: {order.reason}", 400)
        return order

    async def with_fills(self, order: Order) -> Order:
        """The order once the fills its reply reported are booked (bounded: else as it is)."""
        try:
            return await self.tg.wait_for(
                order.client_order_id, *ANSWERED, timeout_s=self.fills_timeout_s
            )
        except TimeoutError:
            return self.tg.order(order.client_order_id) or order

    async def cancel_order(self, params: Params) -> Json:
        order = self.find(params, missing=-2011)
        if not order.is_open:
            raise WireError(-2011, codes.UNKNOWN_ORDER, 400)
        done = await self.tg.cancel(order.client_order_id)
        cancel_id = params.get("newClientOrderId") or f"gw-{secrets.token_hex(8)}"
        return self.cancelled(done, cancel_id)

    async def cancel_open_orders(self, params: Params) -> Json:
        symbol = order_params.symbol_of(params, self.tg.rules)
        open_here = [o for o in self.tg.open_orders() if o.symbol == symbol.binance]
        if not open_here:
            raise WireError(-2011, codes.UNKNOWN_ORDER, 400)
        done = await self.tg.cancel_all(symbol)
        return [self.cancelled(o, f"gw-{secrets.token_hex(8)}") for o in done]

    def cancelled(self, order: Order, cancel_id: str) -> Json:
        intent = self.intents.get(order.client_order_id)
        at = self.tg.server_now_ms()
        shown = shapes.cancelled(order, order.order_id or 0, cancel_id, at, intent)
        if intent is not None and intent.list_client_order_id is not None:
            shown["orderListId"] = self.lists.number(intent.list_client_order_id)
        return shown

    async def query_order(self, params: Params) -> Json:
        return self._queried(self.find(params, missing=-2013))

    def _queried(self, order: Order) -> Json:
        """One order as Binance lists it; a leg of an order list with the list's number."""
        intent = self.intents.get(order.client_order_id)
        shown = shapes.queried(order, order.order_id or 0, intent)
        if intent is not None and intent.list_client_order_id is not None:
            shown["orderListId"] = self.lists.number(intent.list_client_order_id)
        return shown

    async def open_orders(self, params: Params) -> Json:
        wanted = None
        if params.get("symbol"):
            wanted = order_params.symbol_of(params, self.tg.rules).binance
        return [
            self._queried(o) for o in self.tg.open_orders() if wanted is None or o.symbol == wanted
        ]

    async def all_orders(self, params: Params) -> Json:
        """The session's orders of the symbol by exchange id (`orderId`: from it on; `limit`)."""
        symbol = order_params.symbol_of(params, self.tg.rules).binance
        mine = sorted(
            (o for o in self.tg.orders_of(symbol) if o.order_id),
            key=lambda o: o.order_id or 0,
        )
        if params.get("orderId", "").isdigit():
            mine = [o for o in mine if (o.order_id or 0) >= int(params["orderId"])]
        limit = _limit(params)
        chosen = mine[:limit] if params.get("orderId") else mine[-limit:]
        return [self._queried(o) for o in chosen]

    @overload
    def find(self, params: Params, missing: int, prefix: str = "") -> Order: ...
    @overload
    def find(self, params: Params, missing: int, prefix: str, absent_ok: bool) -> Order | None: ...
    def find(
        self, params: Params, missing: int, prefix: str = "", absent_ok: bool = False
    ) -> Order | None:
        """The order a request names by origClientOrderId or orderId (cancelReplace's
        cancelOrigClientOrderId or cancelOrderId: `prefix` "cancel"), in the session's
        journal; Binance's -2011 (cancel) or -2013 (query) when it holds none."""
        symbol = order_params.symbol_of(params, self.tg.rules).binance
        by_coid, by_id = _named(prefix, "origClientOrderId"), _named(prefix, "orderId")
        coid = params.get(by_coid)
        raw_id = params.get(by_id)
        if not coid and not raw_id:
            raise binance(-1102, by_id, by_coid, variant=2)
        found: Order | None = None
        if coid:
            found = self.tg.order(coid)
        elif raw_id is not None and raw_id.isdigit():
            found = self.tg.order_by_exchange_id(symbol, int(raw_id))
        if found is None or found.symbol != symbol:
            if absent_ok:
                return None
            if missing == -2011:
                raise WireError(-2011, codes.UNKNOWN_ORDER, 400)
            raise binance(-2013)
        return found

    # ── account ───────────────────────────────────────────────────────────────────────────
    async def account(self, params: Params) -> Json:
        del params
        balances = await self.tg.exchange_balances()
        return shapes.account(balances, self.tg.can_trade, self.tg.server_now_ms())

    async def coins(self, params: Params) -> Json:
        del params
        traded = (a for r in self.tg.rules.values() for a in (r.base_asset, r.quote_asset))
        return wallet_reads.coins(await self.tg.exchange_balances(), traded)

    async def no_margin_pairs(self, params: Params) -> Json:
        del params
        return []  # the gateway trades spot only

    async def my_trades(self, params: Params) -> Json:
        """The fills the journal booked for the symbol (what the bot sees is what was booked)."""
        symbol = order_params.symbol_of(params, self.tg.rules).binance
        fills = shapes.fills_of(self.tg.orders_of(symbol), symbol)
        if params.get("orderId", "").isdigit():
            fills = [f for f in fills if f.order_id == int(params["orderId"])]
        if params.get("fromId", "").isdigit():
            fills = [f for f in fills if f.trade_id >= int(params["fromId"])]
        limit = _limit(params)
        chosen = fills[:limit] if params.get("fromId") else fills[-limit:]
        return [shapes.trade(f) for f in chosen]


def _named(prefix: str, name: str) -> str:
    """`name` under `prefix` as Binance spells it: ("cancel", "orderId") -> "cancelOrderId"."""
    return prefix + name[0].upper() + name[1:] if prefix else name


def _limit(params: Params) -> int:
    """A list's `limit`: Binance's default 500, at most 1000."""
    raw = params.get("limit", "500")
    return max(1, min(int(raw), MAX_LIST)) if raw.isdigit() else 500
