"""The WebSocket API at /ws-api/v3: requests, user-data subscriptions, and their events.

Requests are {"id","method","params"}; replies are {"id","status":200,"result",…,"rateLimits"}
or {"id","status":4xx,"error":{"code","msg"},"rateLimits"}. Methods: ping, time,
session.status, session.subscriptions, userDataStream.subscribe.signature (signed over the
sorted, unencoded params), userDataStream.unsubscribe, and the order methods of
sim/wsapi_orders.py (order.place, order.cancel, order.cancelReplace, order.status, ...).
Events for a subscription's account arrive as {"subscriptionId": N, "event": {...}}, in the
engine's order.

A frame that is not JSON, not an object, or names an unknown method gets an error reply and the
connection stays open. Every request is weighed and counted like a REST request from the same
IP, so a ban covers the WebSocket API too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from tradeguard.sim.auth import Security, authenticate_ws
from tradeguard.sim.rejects import Reject
from tradeguard.sim.rest_params import reject
from tradeguard.sim.streams_hub import StreamConn, UserSink, serve_ws
from tradeguard.sim.wsapi_orders import WsOrders
from tradeguard.venues.binance import codes

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

WEIGHTS = {
    "ping": 1,
    "time": 1,
    "session.status": 2,
    "session.subscriptions": 2,
    "userDataStream.subscribe.signature": 2,
    "userDataStream.unsubscribe": 2,
}
MAX_SUBSCRIPTIONS = 1000


class _Malformed(Exception):
    """The frame is not a request at all."""


def _parse(text: str) -> tuple[object, str, dict[str, Any]]:
    try:
        request = msgspec.json.decode(text)
    except msgspec.DecodeError:
        raise _Malformed("Invalid JSON request; expected a JSON object.") from None
    if not isinstance(request, dict):
        raise _Malformed("Invalid JSON request; expected a JSON object.")
    request_id = request.get("id")
    if request_id is not None and (
        isinstance(request_id, bool) or not isinstance(request_id, str | int)
    ):
        raise _Malformed("Invalid 'id' in JSON request; expected a string or an integer.")
    method = request.get("method")
    if not isinstance(method, str):
        raise _Malformed("Invalid 'method' in JSON request; expected a string.")
    params = request.get("params", {})
    if not isinstance(params, dict):
        raise _Malformed("Invalid 'params' in JSON request; expected an object.")
    return request_id, method, params


class Session:
    """One WebSocket API connection: its subscriptions and its request handling."""

    def __init__(
        self, sim: Sim, orders: WsOrders, conn: StreamConn, ip: str, connected_ms: int
    ) -> None:
        self.sim = sim
        self.orders = orders
        self.conn = conn
        self.ip = ip
        self.connected_ms = connected_ms
        self.subscriptions: dict[int, UserSink] = {}
        self._next_id = 0
        conn.terminate = self.terminate_all
        conn.active = lambda: bool(self.subscriptions)

    # ── replies ─────────────────────────────────────────────────────────────────────────
    def _rate_limits(self, now_ms: int, account: str | None = None) -> list[dict[str, object]]:
        ledger = self.sim.ledger
        weight: dict[str, object] = {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": ledger.limits.request_weight_per_min,
            "count": ledger.used_weight(self.ip, now_ms),
        }
        if account is None:
            return [weight]
        return [*ledger.order_usage_json(account, now_ms), weight]

    def result_frame(
        self, request_id: object, result: object, now_ms: int, account: str | None = None
    ) -> dict[str, Any]:
        """A 200 reply; `account`: an order request's, whose ORDERS counts it reports."""
        return {
            "id": request_id,
            "status": 200,
            "result": result,
            "rateLimits": self._rate_limits(now_ms, account),
        }

    def error_frame(
        self, request_id: object, rej: Reject, now_ms: int, account: str | None = None
    ) -> dict[str, Any]:
        """REST's error body (with cancelReplace's "data") under "error"; a 429/418 says when
        to come back in data.retryAfter, as Binance's WebSocket API does."""
        error: dict[str, Any] = rej.body()
        retry_after = rej.headers.get("Retry-After")
        if retry_after is not None:
            error["data"] = {"serverTime": now_ms, "retryAfter": now_ms + int(retry_after) * 1000}
        return {
            "id": request_id,
            "status": rej.http_status,
            "error": error,
            "rateLimits": self._rate_limits(now_ms, account),
        }

    # ── requests ────────────────────────────────────────────────────────────────────────
    def on_text(self, text: str) -> object:
        now = self.sim.clock.now_ms()
        try:
            request_id, method, params = _parse(text)
        except _Malformed as exc:
            self.sim.requests.count("WS", "<malformed>")
            return self.error_frame(None, Reject(-1000, str(exc), 400), now)
        self.sim.requests.count("WS", method)
        try:
            if self.orders.handles(method):
                return self.orders.request(self, request_id, method, params)
            self.sim.ledger.admit(self.ip, WEIGHTS.get(method, 1), now)
            result = self._dispatch(method, params, now)
        except Reject as rej:
            return self.error_frame(request_id, rej, now)
        except Exception as exc:  # a bug: logged; the client gets -1000 and the socket stays
            self.sim.record_unexpected(f"WS {method}", exc)
            return self.error_frame(request_id, Reject(-1000, codes.msg(-1000), 400), now)
        return self.result_frame(request_id, result, now)

    def _dispatch(self, method: str, params: dict[str, Any], now: int) -> object:
        if method == "ping":
            return {}
        if method == "time":
            return {"serverTime": now}
        if method == "session.status":
            return {
                "apiKey": None,
                "authorizedSince": None,
                "connectedSince": self.connected_ms,
                "returnRateLimits": True,
                "serverTime": now,
                "userDataStream": bool(self.subscriptions),
            }
        if method == "session.subscriptions":
            return [{"subscriptionId": sid} for sid in sorted(self.subscriptions)]
        if method == "userDataStream.subscribe.signature":
            return self._subscribe(params, now)
        if method == "userDataStream.unsubscribe":
            return self._unsubscribe(params)
        raise Reject(-1000, f"Unknown method '{method}'.", 400)

    def _subscribe(self, params: dict[str, Any], now: int) -> object:
        authed = authenticate_ws(
            params, self.ip, Security.USER_DATA, "read", now, self.sim.keystore
        )
        assert authed.key is not None
        if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            raise reject(-1020)
        sid = self._next_id
        self._next_id += 1

        def wrap(payload: dict[str, Any]) -> object:
            return {"subscriptionId": sid, "event": payload}

        sink = UserSink(self.conn, authed.key.account, wrap)
        self.subscriptions[sid] = sink
        self.sim.hub.add_user(sink)
        return {"subscriptionId": sid}

    def terminate_all(self) -> None:
        """End every subscription as Binance does: eventStreamTerminated; the socket stays."""
        now = self.sim.clock.now_ms()
        for sid, sink in sorted(self.subscriptions.items()):
            self.sim.hub.remove_user(sink)
            event = {"e": "eventStreamTerminated", "E": now}
            self.conn.outbox.send({"subscriptionId": sid, "event": event})
        self.subscriptions.clear()

    def _unsubscribe(self, params: dict[str, Any]) -> object:
        if "subscriptionId" not in params:
            for sink in self.subscriptions.values():
                self.sim.hub.remove_user(sink)
            self.subscriptions.clear()
            return {}
        sid = params["subscriptionId"]
        if isinstance(sid, str) and sid.isdigit():
            sid = int(sid)
        if isinstance(sid, bool) or not isinstance(sid, int) or sid not in self.subscriptions:
            raise reject(-1130, "subscriptionId")
        self.sim.hub.remove_user(self.subscriptions.pop(sid))
        return {}

    def close(self) -> None:
        for sink in self.subscriptions.values():
            self.sim.hub.remove_user(sink)
        self.subscriptions.clear()


def handler(sim: Sim) -> Callable[[web.Request], Any]:
    orders = WsOrders(sim)

    async def ws_api(request: web.Request) -> web.StreamResponse:
        sessions: list[Session] = []

        def on_open(conn: StreamConn) -> Callable[[str], object]:
            session = Session(sim, orders, conn, request.remote or "", sim.clock.now_ms())
            sessions.append(session)
            return session.on_text

        def cleanup() -> None:
            for session in sessions:
                session.close()

        # Opening a connection weighs 2, as on Binance; during a ban it is refused (HTTP 418).
        sim.ledger.admit(request.remote or "", 2, sim.clock.now_ms())
        return await serve_ws(request, sim, "user", on_open, cleanup)

    return ws_api
