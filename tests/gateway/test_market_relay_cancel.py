"""The market-stream relay cancelled midway (the gateway shutting down with a bot's market
socket open) leaves neither of its copy tasks running."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from tests.wsapi.conftest import echo_ws
from tradeguard.gateway.market_proxy import relay


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def _copies_running() -> list[asyncio.Task[object]]:
    return [
        t
        for t in asyncio.all_tasks()
        if not t.done() and getattr(t.get_coro(), "__name__", "") == "_copy"
    ]


async def test_a_relay_cancelled_midway_leaves_no_copy_running() -> None:
    upstream = web.Application()
    upstream.router.add_get("/ws", echo_ws)
    up_runner, up_root = await _serve(upstream)

    handlers: list[asyncio.Task[object]] = []

    async def relayed(request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        assert task is not None
        handlers.append(task)
        return await relay(request, up_root.replace("http", "ws", 1))

    gateway = web.Application()
    gateway.router.add_get("/ws", relayed)
    gw_runner, gw_root = await _serve(gateway)
    try:
        async with aiohttp.ClientSession() as http, http.ws_connect(gw_root + "/ws") as bot:
            await bot.send_str("ping")
            assert (await bot.receive()).data == "ping"  # relayed both ways: the copies run
            assert len(_copies_running()) == 2
            copies = _copies_running()
            handlers[0].cancel()
            await asyncio.wait(handlers, timeout=5)
            assert handlers[0].cancelled()
            # ended with the handler, not later when a socket happens to close
            assert [c for c in copies if not c.done()] == []
    finally:
        await gw_runner.cleanup()
        await up_runner.cleanup()
