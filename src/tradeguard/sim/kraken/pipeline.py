"""How every Kraken REST call of the simulator is handled, in Kraken's order of checks:

    count it → read the body (form, or JSON) → faults → (private) key, signature, nonce, IP,
    permission → call counter → order limiter → handle → deliver engine events → reply

Every answer is Kraken's envelope `{"error": [...], "result": ...}`, HTTP 200 for refusals as
Kraken sends them; a fault may ask for another status. A bug is logged (sim.record_unexpected)
and answered `EGeneral:Internal error`, so the simulator keeps serving whatever it is sent.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl

import msgspec
from aiohttp import web

from tradeguard.sim.faults import ErrorReply, RequestFaults
from tradeguard.sim.kraken import errors
from tradeguard.sim.kraken.auth import authenticate
from tradeguard.sim.kraken.errors import KrakenError
from tradeguard.sim.kraken.state import KrakenState, state_of
from tradeguard.sim.rejects import Reject
from tradeguard.sim.rest_pipeline import CONTROL_PREFIX, close_without_reply, deliver, json_response

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.keys import ApiKey

PRIVATE_PREFIX: Final = "/0/private/"
PUBLIC_PREFIX: Final = "/0/public/"
NO_FAULTS: Final = RequestFaults()
_KRAKEN_ERROR_RE: Final = re.compile(r"E[A-Za-z]+:")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class Call:
    """One admitted request as a handler sees it."""

    params: dict[str, str]
    now_ms: int
    state: KrakenState
    key: ApiKey | None = None

    @property
    def account(self) -> str:
        assert self.key is not None  # only private endpoints ask
        return self.key.account


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One Kraken method: "Time" (public, GET) or "AddOrder" (private, POST)."""

    name: str
    handler: Callable[[Call], object]
    private: bool = True
    needs: str = "read"  # "read", "trade" or "none" (the key permission required)
    cost: int = 1  # what the call adds to the key's counter
    orders: int = 0  # orders it places: counted on the order limiter on success

    @property
    def path(self) -> str:
        return (PRIVATE_PREFIX if self.private else PUBLIC_PREFIX) + self.name


def envelope(
    result: object, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return json_response({"error": [], "result": result}, status, headers)


def error_reply(
    error: str, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return json_response({"error": [error]}, status, headers)


def fault_reply(fault: ErrorReply) -> web.Response:
    """An error fault in Kraken's words: its msg if it is a Kraken error string, else the
    string Kraken sends for that status."""
    if fault.html_body is not None:
        return web.Response(
            text=fault.html_body, status=fault.http_status, headers=fault.headers,
            content_type="text/html",
        )  # fmt: skip
    text = fault.msg if fault.msg and _KRAKEN_ERROR_RE.match(fault.msg) else _default(fault)
    return error_reply(text, fault.http_status, fault.headers)


def _default(fault: ErrorReply) -> str:
    status = fault.http_status
    if status == 429:
        return errors.RATE_LIMIT
    if status == 503:
        return errors.UNAVAILABLE
    if status in (408, 504):
        return "EService:Busy"
    if status >= 500:
        return errors.INTERNAL_ERROR
    return errors.INVALID_ARGUMENTS


def _params(request: web.Request, body: bytes) -> dict[str, str]:
    """Query parameters, then the body's (form, or a JSON object with values as text)."""
    params = dict(request.query)
    if not body:
        return params
    if body.lstrip().startswith(b"{"):
        try:
            decoded = msgspec.json.decode(body)
        except msgspec.DecodeError:
            raise errors.invalid_argument("body") from None
        if not isinstance(decoded, dict):
            raise errors.invalid_argument("body")
        for name, value in decoded.items():
            params[str(name)] = (
                value if isinstance(value, str) else msgspec.json.encode(value).decode()
            )
        return params
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.invalid_argument("body") from None
    params.update(parse_qsl(text, keep_blank_values=True))
    return params


def _permitted(key: ApiKey, needs: str, now_ms: int) -> bool:
    if needs == "trade":
        return key.can_trade(now_ms)
    if needs == "read":
        return key.enable_reading
    return True


def serve(sim: Sim, endpoint: Endpoint) -> Handler:
    state = state_of(sim)
    path = endpoint.path

    async def handle(request: web.Request) -> web.StreamResponse:
        now = sim.clock.now_ms()
        body = await request.read()
        plan = sim.faults.for_request(request.method, path) if sim.faults.faults() else NO_FAULTS
        if plan.latency_ms:
            await asyncio.sleep(plan.latency_ms / 1000)
        # SystemStatus is how a client learns of maintenance, so maintenance spares it.
        if plan.error is not None and not (plan.maintenance and endpoint.name == "SystemStatus"):
            return fault_reply(plan.error)
        if plan.drop_before_execute:
            return close_without_reply(request)
        params = _params(request, body)
        key = None
        if endpoint.private:
            key = authenticate(
                sim.keystore,
                state.nonces,
                request.headers.get("API-Key"),
                request.headers.get("API-Sign"),
                path,
                params.get("nonce"),
                body,
                request.remote or "",
            )
            if not _permitted(key, endpoint.needs, now):
                raise KrakenError(errors.PERMISSION_DENIED)
            state.counter.admit(key.api_key, endpoint.cost, now)
            if endpoint.orders:
                try:
                    sim.ledger.admit_order(key.account, request.remote or "", now)
                except Reject:
                    raise KrakenError(errors.ORDER_RATE_LIMIT) from None
        try:
            result = endpoint.handler(Call(params, now, state, key))
        finally:
            sim.pump()
        if endpoint.orders and key is not None:
            for _ in range(endpoint.orders):
                sim.ledger.count_order(key.account, now)
        reply = envelope(result)
        return await deliver(plan, request, reply)

    return handle


def make_middleware(sim: Sim) -> Any:
    @web.middleware
    async def kraken_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if not path.startswith(CONTROL_PREFIX):
            sim.requests.count(request.method, path)
        try:
            return await handler(request)
        except KrakenError as exc:
            return error_reply(exc.error, exc.http_status, exc.headers)
        except Reject as rej:  # an engine refusal no handler translated more precisely
            return error_reply(errors.from_engine(rej).error)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            if path.startswith(CONTROL_PREFIX):
                return json_response({"error": exc.reason}, exc.status)
            return error_reply("EGeneral:Unknown method", exc.status)
        except ConnectionResetError:
            raise
        except Exception as exc:
            sim.record_unexpected(f"{request.method} {path}", exc)
            return error_reply(errors.INTERNAL_ERROR, 500)

    return kraken_errors
