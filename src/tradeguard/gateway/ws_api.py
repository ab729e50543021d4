"""The gateway's WebSocket API (`/ws-api/v3`): Binance's request and reply frames on one socket.

- orders and account reads, each signed with a local key (Binance's WebSocket API signing:
  `apiKey`, `timestamp` and `signature` among the params, signed over every other param sorted
  by name, unencoded) and answered by the REST route of the same meaning
  (`routes.Gateway.signed`), so the guard, the key's own limits, the journal and the replies'
  shapes are REST's, from one piece of code;
- the user-data stream: `userDataStream.subscribe.signature`, `userDataStream.subscribe` (after
  a logon) and `userDataStream.unsubscribe` (`user_stream.py`);
- `session.logon` (an Ed25519 local key only, as Binance: then the socket's requests may leave
  out apiKey and signature; an HMAC key's logon is Binance's -4056), `session.status`,
  `session.logout`;
- `ping`, `time` and `exchangeInfo` (REST's, `public.py`).

A reply is `{"id", "status", "result" | "error", "rateLimits"}` as Binance's. A 429 or 418
says when to come back in `error.data.retryAfter` (ms), as Binance's WebSocket API does.
`rateLimits` lists the local key's own order rate (ORDERS per MINUTE) when it has one; the
exchange's weight and order counts are the session's to keep, not the bot's.

The signed calls of one socket run one at a time, in the order they came, so a bot that sends
order.place then order.status reads its own write; ping, time and the subscriptions are
answered at once, even while an order is being resolved. A call under way when the bot hangs
up runs to its end (a placement is never cut half-way); its reply is dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import msgspec

from tradeguard.gateway.local_keys import LocalKey
from tradeguard.gateway.public import EXCHANGE_INFO
from tradeguard.gateway.user_stream import Subscriber, pump
from tradeguard.gateway.wire_errors import WireError, binance
from tradeguard.net.task_stop import stop_task
from tradeguard.venues.binance import signing

if TYPE_CHECKING:
    from aiohttp import web

    from tradeguard.gateway.routes import Gateway

Json = Any
# each signed method, with the REST route that answers it (Binance's own pairing)
SIGNED_METHODS: Final = {
    "order.place": ("POST", "/api/v3/order"),
    "order.test": ("POST", "/api/v3/order/test"),
    "order.status": ("GET", "/api/v3/order"),
    "order.cancel": ("DELETE", "/api/v3/order"),
    "order.cancelReplace": ("POST", "/api/v3/order/cancelReplace"),
    "openOrders.status": ("GET", "/api/v3/openOrders"),
    "openOrders.cancelAll": ("DELETE", "/api/v3/openOrders"),
    "allOrders": ("GET", "/api/v3/allOrders"),
    "myTrades": ("GET", "/api/v3/myTrades"),
    "account.status": ("GET", "/api/v3/account"),
    "orderList.place.oco": ("POST", "/api/v3/orderList/oco"),
    "orderList.place": ("POST", "/api/v3/order/oco"),  # deprecated by Binance, still served
    "orderList.place.oto": ("POST", "/api/v3/orderList/oto"),
    "orderList.place.otoco": ("POST", "/api/v3/orderList/otoco"),
    "orderList.cancel": ("DELETE", "/api/v3/orderList"),
    "orderList.status": ("GET", "/api/v3/orderList"),
    "openOrderLists.status": ("GET", "/api/v3/openOrderList"),
}
OTHER_METHODS: Final = (
    "ping", "time", "exchangeInfo", "session.logon", "session.status", "session.logout",
    "userDataStream.subscribe", "userDataStream.subscribe.signature",
    "userDataStream.unsubscribe",
)  # fmt: skip
SERVED: Final = ", ".join([*SIGNED_METHODS, *OTHER_METHODS])
# session.logon with an HMAC key: what Binance's WebSocket API answers (code and text as its
# servers send them; the spot docs say only that logons take Ed25519 keys)
HMAC_LOGON: Final = -4056
HMAC_LOGON_MSG: Final = "HMAC_SHA256 API key is not supported."


@dataclass
class _Socket:
    """One bot's connection: its reply queue, its subscriptions, its signed calls' turn."""

    out: Subscriber
    connected_ms: int
    subs: dict[int, Subscriber] = field(default_factory=dict)
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    logged_on: LocalKey | None = None  # session.logon's key
    authorized_ms: int | None = None


class WsApi:
    """`/ws-api/v3` for one gateway."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.streams = gateway.user_streams
        self._calls: set[asyncio.Task[None]] = set()  # held until done (asyncio keeps weak refs)

    def _now(self) -> int:
        return self.gateway.tg.server_now_ms()

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        from aiohttp import WSMsgType, web

        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        conn = _Socket(Subscriber(), self._now())  # replies and events: one ordered queue
        writer = asyncio.create_task(pump(ws, conn.out))
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    self._on_text(msg.data, conn)
        finally:
            for sub in conn.subs.values():
                self.streams.remove(sub)
            try:
                await stop_task(writer)
            finally:  # cancelled while the writer ends, the socket still closes
                await ws.close()
        return ws

    def _on_text(self, text: str, conn: _Socket) -> None:
        now = self._now()
        request_id: object = None
        try:
            request_id, method, params = _parse(text)
            if method == "exchangeInfo":  # REST's, the same listing (public.py)
                self._run(self._exchange_info(conn, request_id, params))
                return
            route = SIGNED_METHODS.get(method)
            if route is None:
                conn.out.put(self._frame(request_id, self._unsigned(method, params, conn, now)))
                return
            key = self.gateway.keys.authenticate_ws(params, now, conn.logged_on)
        except WireError as exc:
            conn.out.put(self._error_frame(request_id, exc, now))
            return
        text_params = {name: signing.ws_value(value) for name, value in params.items()}
        self._run(self._signed(conn, request_id, method, route, key, text_params))

    def _run(self, work: Coroutine[Any, Any, None]) -> None:
        call = asyncio.create_task(work)
        self._calls.add(call)
        call.add_done_callback(self._calls.discard)

    async def _exchange_info(self, conn: _Socket, request_id: object, params: Json) -> None:
        """exchangeInfo as REST answers it: the exchange's, kept a while, the symbols the
        profile does not trade marked BREAK (`public.py`). Arrays go as REST spells them."""
        query = [(name, _rest_value(value)) for name, value in params.items()]
        try:
            body = await self.gateway.public.read(EXCHANGE_INFO, query)
        except Exception as exc:
            wire = self.gateway.wire_error(exc, "WebSocket API exchangeInfo")
            conn.out.put(self._error_frame(request_id, wire, self._now()))
            return
        conn.out.put(self._frame(request_id, msgspec.Raw(body)))

    async def _signed(
        self,
        conn: _Socket,
        request_id: object,
        method: str,
        route: tuple[str, str],
        key: LocalKey,
        params: dict[str, str],
    ) -> None:
        async with conn.turn:
            try:
                result = await self.gateway.signed(route, key, params)
            except Exception as exc:
                wire = self.gateway.wire_error(exc, f"WebSocket API {method}")
                conn.out.put(self._error_frame(request_id, wire, self._now(), key))
                return
        conn.out.put(self._frame(request_id, result, key))

    def _unsigned(self, method: str, params: dict[str, Any], conn: _Socket, now: int) -> Json:
        if method == "ping":
            return {}
        if method == "time":
            return {"serverTime": now}
        if method == "session.logon":
            key = self.gateway.keys.authenticate_ws(params, now)
            if not key.can_log_on:  # Binance's own answer (its docs: Ed25519 keys only)
                raise WireError(HMAC_LOGON, HMAC_LOGON_MSG, 400)
            conn.logged_on, conn.authorized_ms = key, now
            return self._session_status(conn, now)
        if method == "session.status":
            return self._session_status(conn, now)
        if method == "session.logout":
            conn.logged_on = conn.authorized_ms = None
            return self._session_status(conn, now)
        if method == "userDataStream.subscribe.signature":
            self.gateway.keys.authenticate_ws(params, now)
            return self.streams.subscribe(conn.subs, conn.out)
        if method == "userDataStream.subscribe":  # the logged-on key's, unsigned
            if conn.logged_on is None:
                raise WireError(
                    -2015,
                    "tradeguard: userDataStream.subscribe needs session.logon first "
                    "(or use userDataStream.subscribe.signature)",
                    401,
                )
            return self.streams.subscribe(conn.subs, conn.out)
        if method == "userDataStream.unsubscribe":
            return self.streams.unsubscribe(params, conn.subs)
        raise WireError(-1020, f"tradeguard: the gateway's WebSocket API serves {SERVED}", 400)

    @staticmethod
    def _session_status(conn: _Socket, now: int) -> Json:
        """What session.logon, session.status and session.logout answer, as Binance's."""
        key = conn.logged_on
        return {
            "apiKey": key.api_key if key is not None else None,
            "authorizedSince": conn.authorized_ms,
            "connectedSince": conn.connected_ms,
            "returnRateLimits": True,
            "serverTime": now,
            "userDataStream": bool(conn.subs),
        }

    # ── frames ────────────────────────────────────────────────────────────────────────────
    def _frame(self, request_id: object, result: Json, key: LocalKey | None = None) -> Json:
        return {"id": request_id, "status": 200, "result": result,
                "rateLimits": self._rate_limits(key)}  # fmt: skip

    def _error_frame(
        self, request_id: object, exc: WireError, now: int, key: LocalKey | None = None
    ) -> Json:
        error: dict[str, object] = exc.body()
        if exc.retry_after_s is not None:
            error["data"] = {"serverTime": now, "retryAfter": now + exc.retry_after_s * 1000}
        return {"id": request_id, "status": exc.http_status, "error": error,
                "rateLimits": self._rate_limits(key)}  # fmt: skip

    def _rate_limits(self, key: LocalKey | None) -> list[Json]:
        if key is None or key.max_orders_per_minute is None:
            return []
        used = self.gateway.key_limits.used(key, self.gateway.tg.clock.monotonic())
        return [{"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1,
                 "limit": key.max_orders_per_minute, "count": used}]  # fmt: skip


def _rest_value(value: object) -> str:
    """A WebSocket API param as REST's query takes it: `["A","B"]` for an array."""
    if isinstance(value, list):
        return msgspec.json.encode(value).decode()
    return signing.ws_value(value)


def _parse(text: str) -> tuple[object, str, dict[str, Any]]:
    """A request's id, method and params; -1000 for a frame that is not one."""
    try:
        frame = msgspec.json.decode(text)
    except msgspec.DecodeError:
        raise WireError(-1000, "tradeguard: the request is not JSON", 400) from None
    if not isinstance(frame, dict) or not isinstance(frame.get("method"), str):
        raise WireError(-1000, "tradeguard: a request is {id, method, params}", 400)
    params = frame.get("params") or {}
    if not isinstance(params, dict):
        raise binance(-1102, "params")
    return frame.get("id"), frame["method"], params


__all__ = ["SIGNED_METHODS", "WsApi"]
