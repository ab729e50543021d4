"""Who may talk to the dashboard.

- On loopback (the default), any local process may read; the Host header must name a loopback
  address, so that a web page elsewhere cannot reach the dashboard by DNS rebinding.
- On any other address, every request needs the token: `Authorization: Bearer T`, or
  `?token=T` once (the page then keeps it in an HttpOnly, SameSite=Strict cookie, so that the
  page's own EventSource and fetch calls carry it).
- Every POST needs the header `X-Tradeguard-Action` as well: a cross-site form cannot set it,
  and a cross-site fetch that sets it needs a CORS preflight the dashboard never answers.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from tradeguard.errors import ConfigError

COOKIE = "tradeguard_token"
ACTION_HEADER = "X-Tradeguard-Action"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without a token (one line saying how)."""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"--host {host} would show the dashboard (and its kill button) to the network "
            "without a password",
            hint="add --token SECRET (every request then needs it), or drop --host to stay "
            "on 127.0.0.1",
        )


def _token_given(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ")
    return request.query.get("token") or request.cookies.get(COOKIE)


def _host_name(request: web.Request) -> str:
    host = request.host
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0]


def middleware(token: str | None) -> Middleware:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if token is None:
            if not is_loopback(_host_name(request)):
                raise web.HTTPForbidden(text="the dashboard answers only on a loopback address\n")
        else:
            given = _token_given(request)
            if given is None or not hmac.compare_digest(given.encode(), token.encode()):
                raise web.HTTPUnauthorized(
                    text="this dashboard needs its token: open it with ?token=... once\n"
                )
        if request.method == "POST" and ACTION_HEADER not in request.headers:
            raise web.HTTPForbidden(text=f"a POST needs the {ACTION_HEADER} header\n")
        response = await handler(request)
        if token is not None and request.query.get("token") and not response.prepared:
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict")
        return response

    return guard
