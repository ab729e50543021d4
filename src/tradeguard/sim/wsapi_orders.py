"""Orders over the WebSocket API: each method its REST twin, run through the REST pipeline's steps.

    order.place          POST   /api/v3/order                (the reply follows newOrderRespType)
    order.test           POST   /api/v3/order/test
    order.status         GET    /api/v3/order
    order.cancel         DELETE /api/v3/order
    order.cancelReplace  POST   /api/v3/order/cancelReplace  (a failed half: 409 -2021 / 400
                                                              -2022 with both halves in "data")
    openOrders.status    GET    /api/v3/openOrders
    openOrders.cancelAll DELETE /api/v3/openOrders
    orderList.place.oco  POST   /api/v3/orderList/oco        (two orders counted)
    orderList.place      POST   /api/v3/order/oco            (deprecated: the legacy OCO)
    orderList.place.oto  POST   /api/v3/orderList/oto        (two orders counted)
    orderList.place.otoco POST  /api/v3/orderList/otoco      (three orders counted)
    orderList.status     GET    /api/v3/orderList
    orderList.cancel     DELETE /api/v3/orderList

The params carry `apiKey`, `timestamp` and `signature` (over every other param, sorted by name,
unencoded: `signing.ws_payload`), as for userDataStream.subscribe.signature. The steps and their
order are REST's, on the same engine and ledger: weigh (the REST endpoint's weight; 429/418 and
nothing else happens) → faults → authenticate → order-rate limit → handle → count the order.
A reply is {"id","status":200,"result":<the REST body>,"rateLimits"}; an order request's
rateLimits carry its ORDERS counts (REST's X-MBX-ORDER-COUNT-*) beside REQUEST_WEIGHT.

Faults (docs/faults.md): those of the REST twin (a fault on POST /api/v3/order hits order.place
too), those whose path_prefix is under /ws-api/ (matched against /ws-api/v3/<method>), and
maintenance. An error fault is answered as an error frame of
its status; a drop (before or after the engine acted) cuts the TCP connection, so that request
is never answered; a held reply comes late; latency delays the handling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Final

from tradeguard.sim import rest_orderlist, rest_replace, rest_trade
from tradeguard.sim.auth import authenticate_ws
from tradeguard.sim.faults import RequestFaults
from tradeguard.sim.rejects import Reject
from tradeguard.sim.rest_params import Params
from tradeguard.sim.rest_pipeline import Call, Endpoint, endpoint_weight
from tradeguard.venues.binance import codes, signing

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.wsapi import Session

ROUTES: Final = {
    "order.place": ("POST", "/api/v3/order"),
    "order.test": ("POST", "/api/v3/order/test"),
    "order.status": ("GET", "/api/v3/order"),
    "order.cancel": ("DELETE", "/api/v3/order"),
    "order.cancelReplace": ("POST", rest_replace.PATH),
    "openOrders.status": ("GET", "/api/v3/openOrders"),
    "openOrders.cancelAll": ("DELETE", "/api/v3/openOrders"),
    "orderList.place.oco": ("POST", "/api/v3/orderList/oco"),
    "orderList.place": ("POST", "/api/v3/order/oco"),  # deprecated by Binance, still served
    "orderList.place.oto": ("POST", "/api/v3/orderList/oto"),
    "orderList.place.otoco": ("POST", "/api/v3/orderList/otoco"),
    "orderList.status": ("GET", "/api/v3/orderList"),
    "orderList.cancel": ("DELETE", "/api/v3/orderList"),
}
Frame = dict[str, Any]


class WsOrders:
    """The order methods of one simulator's WebSocket API."""

    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        by_route = {
            (e.method, e.path): e
            for module in (rest_trade, rest_replace, rest_orderlist)
            for e in module.endpoints(sim)
        }
        self.endpoints: dict[str, Endpoint] = {
            name: by_route[route] for name, route in ROUTES.items()
        }

    def handles(self, method: str) -> bool:
        return method in self.endpoints

    def request(
        self, session: Session, request_id: object, method: str, params: dict[str, Any]
    ) -> Frame | Awaitable[Frame | None] | None:
        """The reply to one order request: a frame now, None (never answered: the connection
        was cut), or an awaitable of either when a fault delays it."""
        sim = self.sim
        endpoint = self.endpoints[method]
        now = sim.clock.now_ms()
        weight = endpoint.weight
        if not isinstance(weight, int):  # sized by its params (openOrders: with a symbol or not)
            weight = endpoint_weight(endpoint, Params(_as_text(params)))
        try:
            sim.ledger.admit(session.ip, weight, now)
        except Reject as rej:
            return session.error_frame(request_id, rej, now)
        plan = (
            sim.faults.for_ws_request(method, endpoint.method, endpoint.path)
            if sim.faults.any()
            else _NO_FAULTS
        )
        if plan.latency_ms:
            return self._after_latency(session, request_id, endpoint, params, plan)
        return self._faulted(session, request_id, endpoint, params, plan, now)

    async def _after_latency(
        self,
        session: Session,
        request_id: object,
        endpoint: Endpoint,
        params: dict[str, Any],
        plan: RequestFaults,
    ) -> Frame | None:
        await asyncio.sleep(plan.latency_ms / 1000)
        reply = self._faulted(session, request_id, endpoint, params, plan, self.sim.clock.now_ms())
        if reply is None or isinstance(reply, dict):
            return reply
        return await reply

    def _faulted(
        self,
        session: Session,
        request_id: object,
        endpoint: Endpoint,
        params: dict[str, Any],
        plan: RequestFaults,
        now: int,
    ) -> Frame | Awaitable[Frame | None] | None:
        if plan.error is not None:
            fault = plan.error
            if fault.code is None or fault.msg is None:  # an HTML page: no JSON code to send
                code, msg = -1000, codes.msg(-1000)
            else:
                code, msg = fault.code, fault.msg
            rej = Reject(code, msg, fault.http_status, fault.headers)
            return session.error_frame(request_id, rej, now)
        if plan.drop_before_execute:
            session.conn.outbox.drop()
            return None
        # The engine's events go out before the reply when this connection may carry some (its
        # subscriptions) or the reply does not go out now (dropped, held); else serve_ws's pump
        # right after the reply delivers them: the reply leaves a pump sooner, one pump less.
        pump_first = bool(
            session.subscriptions or plan.drop_after_execute or plan.hold_after_execute_s
        )
        reply = self._execute(session, request_id, endpoint, params, now, pump_first)
        if plan.drop_after_execute:
            session.conn.outbox.drop()
            return None
        if plan.hold_after_execute_s:
            return _held(reply, plan.hold_after_execute_s)
        return reply

    def _execute(
        self,
        session: Session,
        request_id: object,
        endpoint: Endpoint,
        params: dict[str, Any],
        now: int,
        pump_first: bool = True,
    ) -> Frame:
        sim = self.sim
        account: str | None = None  # known once authenticated; an order request reports its counts
        try:
            authed = authenticate_ws(
                params, session.ip, endpoint.security, endpoint.needs, now, sim.keystore
            )
            assert authed.key is not None  # every order method is signed
            if endpoint.orders:
                account = authed.key.account
                sim.ledger.admit_order(account, session.ip, now)
            try:
                result = endpoint.handler(Call(Params(authed.params), now, session.ip, authed.key))
            finally:
                if pump_first:
                    sim.pump()
        except Reject as rej:
            return session.error_frame(request_id, rej, now, account)
        if account is not None:
            for _ in range(endpoint.orders):
                sim.ledger.count_order(account, now)
        return session.result_frame(request_id, result, now, account)


def _as_text(params: dict[str, Any]) -> dict[str, str]:
    return {k: signing.ws_value(v) for k, v in params.items()}


async def _held(reply: Frame, seconds: float) -> Frame:
    await asyncio.sleep(seconds)
    return reply


_NO_FAULTS: Final = RequestFaults()
