"""How every Bybit REST request is handled: the order of checks, the envelope, the faults.

    count it → IP limit (403, ban) → faults (latency, error, drop before) → parameters
    → authenticate (signed routes) → per-UID limit (10006) → handle → deliver engine events
    → reply {"retCode":0,"retMsg":"OK","result":…,"retExtInfo":{},"time":…} with X-Bapi-* headers
    → faults after execution (drop, hold)

Every refusal is the envelope with a non-zero retCode on HTTP 200, as Bybit answers; the IP limit
is a bare 403. An error fault answers what a gateway would: an HTML page for its status, the
envelope with 10006 for a 429 without a code, or the envelope with the fault's own `code` and
`msg` (taken as a Bybit retCode). A bug is logged to stderr and answered 10016 "System error".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import msgspec
from aiohttp import web

from tradeguard.sim.bybit.auth import check_rest
from tradeguard.sim.bybit.errors import (
    PATH_NOT_FOUND,
    TOO_MANY_VISITS,
    BybitError,
    from_reject,
    params_error,
)
from tradeguard.sim.bybit.limits import BybitLedger, BybitLimits, IpBanned
from tradeguard.sim.faults import ErrorReply
from tradeguard.sim.faults_kinds import CONTROL_PREFIX
from tradeguard.sim.rejects import Reject
from tradeguard.sim.rest_pipeline import close_without_reply, deliver

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.keys import ApiKey

JSON = "application/json"
SYSTEM_ERROR = 10016
_encode = msgspec.json.Encoder(decimal_format="string").encode
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Params:
    """A request's parameters (query string or JSON body), read strictly in Bybit's words."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise params_error(f"{name} must be a string")
        return str(value)

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise params_error(f"{name} is required")
        return value

    def decimal(self, name: str) -> Decimal | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise params_error(f"{name} is not a number: {value!r}") from None
        if not number.is_finite():
            raise params_error(f"{name} is not a number: {value!r}")
        return number

    def integer(self, name: str) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        if not value.isdigit():
            raise params_error(f"{name} must be a whole number")
        return int(value)

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        return value is True or value in ("true", "1", 1)


@dataclass(slots=True)
class Call:
    params: Params
    now_ms: int
    key: ApiKey | None = None

    @property
    def account(self) -> str:
        assert self.key is not None  # only signed routes ask
        return self.key.account


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Callable[[Call], object]
    signed: bool = True
    trade: bool = False  # needs the key's trading permission
    group: str = "query"  # the per-UID limit it counts against (limits.BybitLimits.per_second)


class State:
    """The dialect's own per-simulator state: its rate-limit ledger, renewed on a sim reset."""

    def __init__(self, sim: Sim) -> None:
        self._sim = sim
        self._for_ledger = sim.ledger
        self.ledger = BybitLedger(BybitLimits.capped_by(sim.config.limits))

    def current(self) -> BybitLedger:
        if self._sim.ledger is not self._for_ledger:  # POST /sim/v1/reset made a fresh one
            self._for_ledger = self._sim.ledger
            self.ledger = BybitLedger(self.ledger.limits)
        return self.ledger


def envelope(result: object, now_ms: int, code: int = 0, msg: str = "OK") -> dict[str, object]:
    return {"retCode": code, "retMsg": msg, "result": result, "retExtInfo": {}, "time": now_ms}


def reply(body: object, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=_encode(body), status=status, headers=headers, content_type=JSON)


def refusal(err: BybitError, now_ms: int) -> web.Response:
    return reply(envelope({}, now_ms, err.ret_code, err.ret_msg), err.http_status, err.headers)


def html(status: int, text: str) -> web.Response:
    page = f"<html><head><title>{status} {text}</title></head><body><h1>{text}</h1></body></html>"
    return web.Response(text=page, status=status, content_type="text/html")


def ip_banned() -> web.Response:
    # Bybit's gateway answers an IP over its limit with a bare 403 ("access too frequent").
    return html(403, "access too frequent")


def fault_reply(fault: ErrorReply, now_ms: int) -> web.Response:
    if fault.html_body is None and fault.code is not None and fault.code > 0 and fault.msg:
        body = envelope({}, now_ms, fault.code, fault.msg)
        return reply(body, fault.http_status, fault.headers)
    if fault.html_body is None and fault.http_status == 429:
        return reply(envelope({}, now_ms, TOO_MANY_VISITS, "Too many visits!"), 429, fault.headers)
    if fault.html_body is not None:
        return web.Response(
            text=fault.html_body,
            status=fault.http_status,
            headers=fault.headers,
            content_type="text/html",
        )
    response = html(
        fault.http_status, "Service Unavailable" if fault.http_status >= 500 else "Error"
    )
    response.headers.update(fault.headers)
    return response


def _params(method: str, query: str, body: bytes) -> Params:
    if method == "GET":
        return Params(dict(parse_qsl(query, keep_blank_values=True)))
    if not body.strip():
        return Params({})
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise params_error("the body is not JSON") from None
    if not isinstance(value, dict):
        raise params_error("the body must be a JSON object")
    return Params(value)


def serve(sim: Sim, state: State, route: Route) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        now = sim.clock.now_ms()
        ip = request.remote or ""
        ledger = state.current()
        try:
            ledger.admit_ip(ip, now)
        except IpBanned:
            return ip_banned()
        plan = sim.faults.for_request(route.method, route.path)
        if plan.latency_ms:
            await asyncio.sleep(plan.latency_ms / 1000)
        if plan.error is not None:
            return fault_reply(plan.error, now)
        if plan.drop_before_execute:
            return close_without_reply(request)
        query = request.raw_path.partition("?")[2]
        body = await request.read() if route.method != "GET" else b""
        headers: dict[str, str] = {}
        try:
            key = None
            if route.signed:
                payload = query.encode("latin-1", "replace") if route.method == "GET" else body
                key = check_rest(request.headers, payload, ip, route.trade, now, sim.keystore).key
                headers = ledger.admit(key.account, route.path, route.group, now)
            call = Call(_params(route.method, query, body), now, key)
            try:
                result = route.handler(call)
            finally:
                sim.pump()
        except (Reject, BybitError) as exc:
            err = from_reject(exc) if isinstance(exc, Reject) else exc
            err.headers = headers | err.headers
            return refusal(err, now)
        response = reply(envelope(result, now), headers=headers)
        return await deliver(plan, request, response)

    return handle


def make_middleware(sim: Sim) -> Any:
    @web.middleware
    async def bybit_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        control = path.startswith(CONTROL_PREFIX)
        if not control:
            sim.requests.count(request.method, path)
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400 or control:
                raise
            now = sim.clock.now_ms()
            return refusal(BybitError(PATH_NOT_FOUND), now)
        except ConnectionResetError:
            raise
        except Exception as exc:
            sim.record_unexpected(f"{request.method} {path}", exc)
            return refusal(
                BybitError(SYSTEM_ERROR, "System error. Please try again later."),
                sim.clock.now_ms(),
            )

    return bybit_errors
