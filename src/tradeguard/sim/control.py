"""The control API under /sim/v1: how tests and users drive the simulator from outside.

No authentication, so it answers loopback callers only. Bodies are JSON; a bad one gets HTTP 400
with {"error": "<what is wrong and what to send instead>"}. Money travels as decimal strings.

    GET  /sim/v1/clock                    {"mode","now_ms","offset_ms"}
    POST /sim/v1/clock                    {"advance_ms": N} | {"set_ms": T}  (manual clock)
                                          {"offset_ms": N}  (the simulator's clock vs the caller's)
    POST /sim/v1/fill                     {"symbol", "orderId"|"origClientOrderId", "qty", "price"?}
    POST /sim/v1/price                    {"symbol", "price"}
    POST /sim/v1/balance                  {"account"?, "asset", "free", "history"?}
                                          (kept as a deposit or withdrawal unless
                                          "history": false: a change nothing explains)
    GET|POST|DELETE /sim/v1/faults        list / add one fault (FaultPlan JSON) / clear all
    GET  /sim/v1/requests                 {"total", "requests": {"GET /api/v3/time": 3, ...}}
                                          (WebSocket API requests as "WS <method>")
    POST /sim/v1/requests/reset
    GET  /sim/v1/limits                   the rate-limit ledger's view
    POST /sim/v1/limits/unban             forget every 429 pause and 418 ban
    GET  /sim/v1/streams                  live user-data and market-stream subscriptions
    POST /sim/v1/reset                    fresh engine, ledger, faults and counts; same config
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from tradeguard.sim import wire
from tradeguard.sim.rejects import Reject

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

PREFIX = "/sim/v1"


class BadControl(Exception):
    """A control request the simulator cannot act on; the message says what to send."""


def _reply(value: object, status: int = 200) -> web.Response:
    return web.Response(
        body=msgspec.json.encode(value), status=status, content_type="application/json"
    )


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise BadControl("the body is not JSON; send a JSON object") from None
    if not isinstance(value, dict):
        raise BadControl("the body must be a JSON object")
    return value


def _int(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadControl(f"{name} must be a whole number of milliseconds, e.g. 1000")
    return value


def _decimal(body: dict[str, Any], name: str, *, required: bool = True) -> Decimal | None:
    value = body.get(name)
    if value is None:
        if required:
            raise BadControl(f'{name} is missing; send it as a decimal string, e.g. "0.5"')
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadControl(f'{name} must be a decimal string, e.g. "0.5" (not a float)')
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise BadControl(f'{name} must be a decimal string, e.g. "0.5"') from None
    if not number.is_finite() or number < 0:
        raise BadControl(f"{name} must be a finite, non-negative decimal")
    return number


def _str(body: dict[str, Any], name: str, default: str | None = None) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or not value:
        raise BadControl(f"{name} is missing; send it as a non-empty string")
    return value


def _loopback(ip: str | None) -> bool:
    try:
        address = ipaddress.ip_address((ip or "").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


Action = Callable[[web.Request], Awaitable[object]]


def _guarded(action: Action) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        if not _loopback(request.remote):
            return _reply({"error": "the control API answers loopback callers only"}, 403)
        try:
            return _reply(await action(request))
        except BadControl as exc:
            return _reply({"error": str(exc)}, 400)
        except Reject as rej:
            # The engine refused (unknown symbol or order, ...): its Binance words say why.
            return _reply({"error": rej.msg, "code": rej.code}, 400)
        except ValueError as exc:
            return _reply({"error": str(exc)}, 400)

    return handle


def add_routes(app: web.Application, sim: Sim) -> None:
    async def get_clock(request: web.Request) -> object:
        return sim.clock.to_json()

    async def set_clock(request: web.Request) -> object:
        body = await _body(request)
        changes = [k for k in ("advance_ms", "set_ms", "offset_ms") if k in body]
        if len(changes) != 1 or len(body) != 1:
            raise BadControl(
                'send exactly one of {"advance_ms": N}, {"set_ms": T}, {"offset_ms": N}'
            )
        change = changes[0]
        value = _int(body, change)
        if change == "advance_ms":
            sim.clock.advance(value)
        elif change == "set_ms":
            sim.clock.set(value)
        else:
            sim.set_clock_offset(value)
        sim.tick()
        return sim.clock.to_json()

    async def fill(request: web.Request) -> object:
        body = await _body(request)
        order_id = body.get("orderId")
        client_id = body.get("origClientOrderId")
        if order_id is None and client_id is None:
            raise BadControl("name the resting order: send orderId or origClientOrderId")
        if order_id is not None and (isinstance(order_id, bool) or not isinstance(order_id, int)):
            raise BadControl("orderId must be a whole number")
        if client_id is not None and not isinstance(client_id, str):
            raise BadControl("origClientOrderId must be a string")
        qty = _decimal(body, "qty")
        assert qty is not None
        now = sim.clock.now_ms()
        try:
            trades = sim.engine.control_fill(
                _str(body, "symbol"),
                order_id,
                client_id,
                qty,
                _decimal(body, "price", required=False),
                now,
            )
        finally:
            sim.pump()
        return {"trades": [wire.trade_json(t) for t in trades]}

    async def price(request: web.Request) -> object:
        body = await _body(request)
        symbol = _str(body, "symbol")
        value = _decimal(body, "price")
        assert value is not None
        try:
            sim.engine.set_price(symbol, value, sim.clock.now_ms())
        finally:
            sim.pump()
        return {"symbol": symbol, "price": wire.d8(sim.engine.last_price(symbol))}

    async def balance(request: web.Request) -> object:
        body = await _body(request)
        account, asset = _str(body, "account", "main"), _str(body, "asset")
        free = _decimal(body, "free")
        assert free is not None
        history = body.get("history", True)
        if not isinstance(history, bool):
            raise BadControl("history must be true (a deposit or withdrawal) or false")
        try:
            sim.engine.set_balance(account, asset, free, sim.clock.now_ms(), recorded=history)
        finally:
            sim.pump()
        return {"account": account, "balances": wire.balances_json(sim.engine.balances(account))}

    async def list_faults(request: web.Request) -> object:
        return sim.faults.to_json()

    async def add_fault(request: web.Request) -> object:
        body = await _body(request)
        sim.add_fault(body)
        return sim.faults.to_json()

    async def clear_faults(request: web.Request) -> object:
        sim.clear_faults()
        return sim.faults.to_json()

    async def requests(request: web.Request) -> object:
        return sim.requests.to_json()

    async def reset_requests(request: web.Request) -> object:
        sim.requests.reset()
        return sim.requests.to_json()

    async def limits(request: web.Request) -> object:
        return sim.ledger.to_json(sim.clock.now_ms())

    async def stream_counts(request: web.Request) -> object:
        return {
            "user_subscriptions": sim.hub.user_subscriptions(),
            "market_subscriptions": sim.hub.market_subscriptions(),
        }

    async def unban(request: web.Request) -> object:
        sim.ledger.lift_bans()
        return sim.ledger.to_json(sim.clock.now_ms())

    async def reset(request: web.Request) -> object:
        sim.reset()
        return {"reset": True, "clock": sim.clock.to_json()}

    routes: list[tuple[str, str, Action]] = [
        ("GET", "/clock", get_clock),
        ("POST", "/clock", set_clock),
        ("POST", "/fill", fill),
        ("POST", "/price", price),
        ("POST", "/balance", balance),
        ("GET", "/faults", list_faults),
        ("POST", "/faults", add_fault),
        ("DELETE", "/faults", clear_faults),
        ("GET", "/requests", requests),
        ("POST", "/requests/reset", reset_requests),
        ("GET", "/limits", limits),
        ("GET", "/streams", stream_counts),
        ("POST", "/limits/unban", unban),
        ("POST", "/reset", reset),
    ]
    for method, path, action in routes:
        app.router.add_route(method, PREFIX + path, _guarded(action))
