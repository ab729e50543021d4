"""How every OKX endpoint of the simulator handles a request.

    count it → rate limit (429 50011) → faults → authenticate (signed endpoints) → handle
    → deliver engine events → reply {"code":"0","msg":"","data":[...]}

One middleware turns every `OkxReject` into OKX's `{"code","msg","data"}` body and any
unexpected exception into 50026 (logged to stderr with the path), so the simulator keeps
serving whatever it is sent. The fault plan is the Binance dialect's (`sim.faults`); what an
error fault sends is said again in OKX's codes (`fault_reply`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from tradeguard.sim.faults import ErrorReply, RequestFaults
from tradeguard.sim.okx import auth
from tradeguard.sim.okx.errors import TEXTS, OkxReject, param_error
from tradeguard.sim.okx.state import OkxState
from tradeguard.sim.rest_pipeline import CONTROL_PREFIX, close_without_reply, deliver

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.keys import ApiKey

JSON = "application/json"
NO_FAULTS = RequestFaults()
_encode = msgspec.json.Encoder(decimal_format="string").encode

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class Call:
    """One admitted request as a handler sees it: query parameters, JSON body, the key."""

    query: dict[str, str]
    body: Any
    now_ms: int
    ip: str
    key: ApiKey | None = None

    @property
    def account(self) -> str:
        assert self.key is not None  # only signed endpoints ask for the account
        return self.key.account

    def text(self, name: str, required: bool = False) -> str | None:
        value = self.query.get(name)
        if required and not value:
            raise param_error(name)
        return value or None


@dataclass(frozen=True, slots=True)
class Envelope:
    """A reply whose top-level code is not "0" (a batch that failed in part or whole)."""

    code: str
    msg: str
    data: list[Any] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Callable[[Call], object]
    signed: bool = True
    needs: str = "read"  # "read" or "trade"
    # How many uses of the rate limit a request takes (a batch: one per order).
    cost: Callable[[Any], int] = lambda body: 1

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


def json_response(value: object, status: int = 200) -> web.Response:
    return web.Response(body=_encode(value), status=status, content_type=JSON)


def reject_response(rej: OkxReject) -> web.Response:
    return json_response(rej.body(), rej.http_status)


def fault_reply(fault: ErrorReply) -> web.Response:
    """An error or maintenance fault's answer in OKX's words.

    A fault naming an OKX code (a positive number) sends it; one naming only a status (or a
    Binance code) sends OKX's code for that status: 429 50011, 503 50001 (maintenance), 408 and
    504 50004, other 5xx 50026.
    """
    status = fault.http_status
    if fault.html_body is not None:
        return web.Response(
            text=fault.html_body, status=status, headers=fault.headers, content_type="text/html"
        )
    if fault.code is not None and fault.code > 0:
        code = str(fault.code)
        msg = fault.msg if fault.msg is not None else TEXTS.get(code, "")
    else:
        code = {429: "50011", 503: "50001", 408: "50004", 504: "50004"}.get(status, "50026")
        msg = TEXTS[code]
    reply = json_response({"code": code, "msg": msg, "data": []}, status)
    reply.headers.update(fault.headers)
    return reply


def _json_body(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise OkxReject("50002", "Invalid JSON body") from None


def serve(sim: Sim, state: OkxState, endpoint: Endpoint) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        state.follow(sim)
        now = sim.clock.now_ms()
        ip = request.remote or ""
        raw = await request.read() if endpoint.method != "GET" else b""
        body = _json_body(raw)
        query = {k: v for k, v in request.query.items()}
        # OKX counts private endpoints per user (account), public ones per IP.
        caller = sim.keystore.by_api_key(request.headers.get("OK-ACCESS-KEY", ""))
        who = "account:" + caller.account if endpoint.signed and caller is not None else ip
        state.limiter.admit(who, endpoint.route, now, endpoint.cost(body))
        plan = (
            sim.faults.for_request(endpoint.method, endpoint.path)
            if sim.faults.faults()
            else NO_FAULTS
        )
        if plan.latency_ms:
            await asyncio.sleep(plan.latency_ms / 1000)
        if plan.error is not None:
            return fault_reply(plan.error)
        if plan.drop_before_execute:
            return close_without_reply(request)
        key = None
        if endpoint.signed:
            key = auth.authenticate(
                endpoint.method,
                request.raw_path,
                raw,
                request.headers,
                ip,
                endpoint.needs,
                now,
                sim.keystore,
                sim.config.seed,
            )
        try:
            result = endpoint.handler(Call(query, body, now, ip, key))
        finally:
            sim.pump()
        if isinstance(result, Envelope):
            reply = json_response({"code": result.code, "msg": result.msg, "data": result.data})
        else:
            reply = json_response({"code": "0", "msg": "", "data": result})
        return await deliver(plan, request, reply)

    return handle


def make_middleware(sim: Sim) -> Any:
    def http_error(request: web.Request, status: int, code: str, text: str) -> web.Response:
        if request.path.startswith(CONTROL_PREFIX):
            return json_response({"error": text}, status)  # the control API's own shape
        return json_response({"code": code, "msg": text, "data": []}, status)

    @web.middleware
    async def okx_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if not path.startswith(CONTROL_PREFIX):
            sim.requests.count(request.method, path)
        try:
            return await handler(request)
        except OkxReject as rej:
            return reject_response(rej)
        except web.HTTPNotFound:
            return http_error(request, 404, "404", f"Unknown endpoint {request.method} {path}.")
        except web.HTTPMethodNotAllowed:
            return http_error(request, 405, "50115", "Invalid request method.")
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return http_error(request, exc.status, "50026", exc.reason)
        except ConnectionResetError:
            raise
        except Exception as exc:
            sim.record_unexpected(f"{request.method} {path}", exc)
            return http_error(request, 500, "50026", TEXTS["50026"])

    return okx_errors
