"""The exchange's market streams, passed through: the bot's subscription works as it would
against Binance.

`/ws/<streams>` and `/stream?streams=...` open the same path on the exchange's market-stream
host (the simulator's for env = "sim"), and every frame goes across as it is, both ways (a
bot's SUBSCRIBE / UNSUBSCRIBE requests and their replies too). Market data carries no key, so
nothing is checked or rewritten; a socket the exchange closes is closed for the bot.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from tradeguard.net.task_stop import stop_task

if TYPE_CHECKING:
    import aiohttp
    from aiohttp import web


async def relay(request: web.Request, upstream_root: str) -> web.WebSocketResponse:
    """Serve `request` (a WebSocket upgrade) by relaying it to the same path upstream."""
    import aiohttp
    from aiohttp import web

    target = upstream_root.rstrip("/") + request.path_qs
    ws = web.WebSocketResponse(heartbeat=None)
    async with aiohttp.ClientSession() as http:
        try:
            upstream = await http.ws_connect(target, heartbeat=None, max_msg_size=0)
        except (aiohttp.ClientError, OSError):
            raise web.HTTPBadGateway(
                text="tradeguard: the exchange's market stream refused"
            ) from None
        await ws.prepare(request)
        async with upstream:
            down = asyncio.create_task(_copy(upstream, ws))
            up = asyncio.create_task(_copy(ws, upstream))
            try:
                await asyncio.wait((down, up), return_when=asyncio.FIRST_COMPLETED)
            finally:  # a handler cancelled midway (the gateway's shutdown) stops both too
                down.cancel()
                up.cancel()  # both at once, before either is waited for
                await stop_task(down)
                await stop_task(up)
        await ws.close()
    return ws


async def _copy(
    source: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
    sink: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
) -> None:
    import aiohttp

    async for msg in source:
        if msg.type is aiohttp.WSMsgType.TEXT:
            await sink.send_str(msg.data)
        elif msg.type is aiohttp.WSMsgType.BINARY:
            await sink.send_bytes(msg.data)
