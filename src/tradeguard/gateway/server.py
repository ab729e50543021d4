"""The gateway's aiohttp server on loopback, in the session's event loop.

    running = await server.start(tg, keys)          # port 0: a free one
    ... a bot uses running.base_url with a local key ...
    await running.close()

No access log: a request line carries the bot's signature and parameters, and the gateway
writes nothing a reader could replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tradeguard.errors import ConfigError
from tradeguard.gateway import market_proxy
from tradeguard.gateway.local_keys import LocalKeys
from tradeguard.gateway.routes import Gateway
from tradeguard.gateway.ws_api import WsApi

if TYPE_CHECKING:
    from aiohttp import web

    from tradeguard.session.guard import Session

LOOPBACK = "127.0.0.1"


@dataclass
class RunningGateway:
    """A serving gateway: its URL, its handlers (for tests: `gateway.public.forwarded`)."""

    base_url: str
    gateway: Gateway
    runner: web.AppRunner

    async def close(self) -> None:
        await self.runner.cleanup()


def refusal(tg: Session) -> ConfigError | None:
    """Why the gateway cannot serve this session (None: it can): it speaks Binance's API."""
    if tg.venue != "binance":
        return ConfigError(
            f"the gateway speaks Binance's API and profile {tg.profile} trades on {tg.venue}",
            hint="serve a Binance profile (env sim, testnet or live)",
        )
    return None


async def start(
    tg: Session, keys: LocalKeys, host: str = LOOPBACK, port: int = 0, **tuning: Any
) -> RunningGateway:
    """Serve Binance Spot's REST, the WebSocket API (`/ws-api/v3`: orders and the user-data
    stream), listen-key streams and the market streams (`/ws/...`, `/stream`) for `tg` on
    host:port; `tuning` goes to `routes.Gateway`."""
    from aiohttp import web

    refused = refusal(tg)
    if refused is not None:
        raise refused
    gateway = Gateway(tg, keys, **tuning)
    upstream = tg.market_streams_url().removesuffix("/stream")

    async def stream(request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("name", "")
        if name in gateway.user_streams.listen_keys:
            return await gateway.user_streams.listen_key_socket(request, name)
        return await market_proxy.relay(request, upstream)

    app = web.Application()
    app.router.add_get("/ws-api/v3", WsApi(gateway).socket)
    app.router.add_get("/ws/{name}", stream)
    app.router.add_get("/ws", stream)
    app.router.add_get("/stream", stream)
    app.router.add_route("*", "/{tail:.*}", gateway.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    bound = runner.addresses[0][1]
    return RunningGateway(f"http://{host}:{bound}", gateway, runner)
