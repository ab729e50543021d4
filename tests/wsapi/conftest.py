"""Sessions trading over Binance's WebSocket API (`order_transport = "ws"`) on the embedded
simulator, with the scenario tests' isolation, session bookkeeping and invariants."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.scenarios import conftest as scenarios
from tests.scenarios.conftest import FAST, Connect, watch_placements
from tradeguard.profile.profiles import Profile
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote

# the scenario tests' fixtures, shared by name: isolated state dirs, sessions closed after use
_isolated = scenarios._isolated
sessions = scenarios.sessions
http = scenarios.http


@pytest.fixture
async def ws_tg(sessions: Connect) -> Session:
    """A session on the embedded simulator whose orders go over the WebSocket API, with the
    scenario tests' short timeouts (a 2 s reply timeout, a fast resolver)."""
    # built here, after `_isolated`: a Profile made at import would name the user's own
    # journal (~/.local/share/tradeguard/default.db), whose history leaks between runs
    session = await sessions(Profile(order_transport="ws"), **FAST)
    watch_placements(session.sim)
    return session


@pytest.fixture
def ws_remote(ws_tg: Session, http: aiohttp.ClientSession) -> SimRemote:
    assert ws_tg.sim is not None
    return SimRemote(ws_tg.sim.control_url, http)


async def request_counts(remote: SimRemote) -> dict[str, Any]:
    counts: dict[str, Any] = (await remote.requests())["requests"]
    return counts


async def served_ws(
    path: str,
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    *,
    ssl_context: ssl.SSLContext | None = None,
    host: str = "127.0.0.1",
) -> tuple[web.AppRunner, str]:
    """`handler` served at `path` on a free loopback port (over TLS with `ssl_context`): its
    runner (to clean up) and its ws:// or wss:// URL naming `host`."""
    app = web.Application()
    app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    scheme = "ws" if ssl_context is None else "wss"
    return runner, f"{scheme}://{host}:{runner.addresses[0][1]}{path}"


async def echo_ws(request: web.Request) -> web.WebSocketResponse:
    """A WebSocket handler that sends every text message back as it came."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        await ws.send_str(msg.data)
    return ws
