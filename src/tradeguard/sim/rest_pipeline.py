"""The REST request pipeline: how every Binance endpoint of the simulator handles a request.

The REST modules (`rest_*.py`) declare `Endpoint`s: plain functions from checked parameters to
a JSON-able value. This module runs each request through Binance's order of checks:

    count it → read params → admit its weight (429/418: nothing else happens) → faults
    → authenticate (key, IP, permission, timestamp, signature) → order-rate limit → handle
    → deliver engine events → reply with the weight/order-count headers

One middleware turns every `Reject` into Binance's `{"code","msg"}` body and any unexpected
exception into -1000 (logged to stderr with the path), so the simulator keeps serving whatever
it is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from tradeguard.sim.auth import Security, authenticate, parse_params
from tradeguard.sim.faults import ErrorReply, RequestFaults
from tradeguard.sim.rejects import Reject
from tradeguard.sim.rest_params import Params
from tradeguard.venues.binance import codes

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.keys import ApiKey

JSON = "application/json"
CONTROL_PREFIX = "/sim/"
NO_FAULTS = RequestFaults()
_encode = msgspec.json.Encoder(decimal_format="string").encode

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class Call:
    """One authenticated, admitted request as a REST handler sees it."""

    params: Params
    now_ms: int
    ip: str
    key: ApiKey | None = None

    @property
    def account(self) -> str:
        assert self.key is not None  # only signed endpoints ask for the account
        return self.key.account


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One REST route: how much it weighs, how it is secured, and what it does."""

    method: str
    path: str
    handler: Callable[[Call], object]
    weight: int | Callable[[Params], int] = 1
    security: Security = Security.NONE
    needs: str = "read"  # "read" or "trade": the key permission the endpoint requires
    orders: int = 0  # orders it places: counted against the order-rate limits on success


def json_response(
    value: object, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(body=_encode(value), status=status, headers=headers, content_type=JSON)


def error_response(rej: Reject, headers: dict[str, str] | None = None) -> web.Response:
    merged = dict(rej.headers)
    if headers:
        merged.update(headers)
    return json_response(rej.body(), rej.http_status, merged)


def endpoint_weight(endpoint: Endpoint, params: Params) -> int:
    if isinstance(endpoint.weight, int):
        return endpoint.weight
    try:
        return endpoint.weight(params)
    except Reject:
        return 1  # a malformed sizing parameter is refused later; weigh it as the lightest


def _raw_query(request: web.Request) -> bytes:
    # The signature is checked over the bytes as sent, so take them from the request line,
    # not from a parsed-and-re-encoded URL.
    return request.raw_path.partition("?")[2].encode("latin-1", "replace")


def close_without_reply(request: web.Request) -> web.Response:
    """Drop the TCP connection so the client gets no answer (a lost reply, on purpose)."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    # aiohttp still wants a response object; nothing can be written to an aborted transport.
    return web.Response(status=500)


async def deliver(plan: RequestFaults, request: web.Request, reply: web.Response) -> web.Response:
    """A handled request's reply as the fault plan wants it delivered: dropped (the order was
    placed, the client hears nothing), held back a while, or at once. Every dialect ends so."""
    if plan.drop_after_execute:
        return close_without_reply(request)
    if plan.hold_after_execute_s:
        await asyncio.sleep(plan.hold_after_execute_s)
    return reply


def fault_response(fault: ErrorReply, headers: dict[str, str]) -> web.Response:
    """The reply an error or maintenance fault asked for instead of handling the request."""
    merged = headers | fault.headers
    if fault.html_body is not None:
        return web.Response(
            text=fault.html_body, status=fault.http_status, headers=merged, content_type="text/html"
        )
    return json_response({"code": fault.code, "msg": fault.msg}, fault.http_status, merged)


def serve(sim: Sim, endpoint: Endpoint) -> Handler:
    """The aiohttp handler running `endpoint` through Binance's request pipeline."""
    method = endpoint.method
    path = endpoint.path
    security = endpoint.security
    signed = security is not Security.NONE
    # A signed endpoint of fixed weight leaves parsing to `authenticate` (parsing twice would
    # cost a tenth of an order's time); the others need the parameters before authentication.
    parse_first = not signed or not isinstance(endpoint.weight, int)
    no_params = Params({})

    async def handle(request: web.Request) -> web.StreamResponse:
        now = sim.clock.now_ms()
        ip = request.remote or ""
        query = _raw_query(request)
        body = await request.read() if method != "GET" else b""
        parse_error: Reject | None = None
        params = no_params
        if parse_first:
            try:
                params = Params(parse_params(query, body))
            except Reject as exc:
                parse_error = exc
        # Binance weighs a request before anything else; during a ban nothing else happens.
        sim.ledger.admit(ip, endpoint_weight(endpoint, params), now)
        plan = sim.faults.for_request(method, path) if sim.faults.any() else NO_FAULTS
        if plan.latency_ms:
            await asyncio.sleep(plan.latency_ms / 1000)
        if plan.error is not None:
            return fault_response(plan.error, sim.ledger.headers(ip, None, now))
        if plan.drop_before_execute:
            return close_without_reply(request)
        if parse_error is not None:
            raise parse_error
        key: ApiKey | None = None
        if signed:
            authed = authenticate(
                method,
                query,
                body,
                request.headers.get("X-MBX-APIKEY"),
                ip,
                security,
                endpoint.needs,
                now,
                sim.keystore,
            )
            key = authed.key
            params = Params(authed.params)
        account = key.account if key is not None else None
        if endpoint.orders:
            assert account is not None  # order endpoints are signed
            sim.ledger.admit_order(account, ip, now)
        try:
            result = endpoint.handler(Call(params, now, ip, key))
        finally:
            sim.pump()
        counted = bool(endpoint.orders)
        if counted:
            assert account is not None
            for _ in range(endpoint.orders):
                sim.ledger.count_order(account, now)
        headers = sim.ledger.headers(ip, account, now, counted)
        return await deliver(plan, request, json_response(result, headers=headers))

    return handle


def make_middleware(sim: Sim) -> Any:
    def http_error(request: web.Request, status: int, text: str) -> web.Response:
        if request.path.startswith(CONTROL_PREFIX):
            return json_response({"error": text}, status)  # the control API's own shape
        body = {"code": -1000, "msg": text}
        return json_response(body, status, sim.weight_headers(request.remote or ""))

    @web.middleware
    async def binance_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if not path.startswith(CONTROL_PREFIX):
            # Every request is counted before any check, so a test can see what arrived even
            # while the IP was banned. The control API is the test's own channel: not counted.
            sim.requests.count(request.method, path)
        try:
            return await handler(request)
        except Reject as rej:
            return error_response(rej, sim.weight_headers(request.remote or ""))
        except web.HTTPNotFound:
            return http_error(request, 404, f"Unknown endpoint {request.method} {path}.")
        except web.HTTPMethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.allowed_methods))
            text = f"Method {request.method} not allowed on {path}; use {allowed}."
            return http_error(request, 405, text)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return http_error(request, exc.status, exc.reason)
        except ConnectionResetError:
            raise  # the client went away: nothing to answer, and not a bug
        except Exception as exc:
            # A bug, not the client's fault: log it, answer like Binance, keep serving.
            sim.record_unexpected(f"{request.method} {path}", exc)
            return http_error(request, 400, codes.msg(-1000))

    return binance_errors
