"""A local webhook receiver on 127.0.0.1 (random port) that records what it is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web


@dataclass
class Received:
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class Receiver:
    base: str  # http://127.0.0.1:PORT
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(Received(request.path, dict(request.query), body))
        status = self.statuses.pop(0) if self.statuses else 200
        if status >= 400:  # like real services: the error names what was asked for
            return web.json_response({"error": f"no such hook {request.path}"}, status=status)
        return web.json_response({"ok": True}, status=status)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    app = web.Application()
    runner = web.AppRunner(app)
    holder: list[Receiver] = []

    async def handle(request: web.Request) -> web.Response:
        return await holder[0].handle(request)

    app.router.add_post("/{tail:.*}", handle)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    holder.append(Receiver(f"http://127.0.0.1:{port}"))
    try:
        yield holder[0]
    finally:
        await runner.cleanup()
