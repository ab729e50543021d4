"""Fixtures for running unmodified third-party clients against the simulator on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tradeguard.sim import server
from tradeguard.sim.config import SimConfig


class SimHandle:
    """What a real-client test needs of a running simulator: URLs, keys, control calls."""

    def __init__(self, running: Any, session: aiohttp.ClientSession) -> None:
        self.running = running
        self.base_url: str = running.base_url
        self.ws_api_url: str = running.ws_api_url
        self.control_url: str = running.control_url
        self._session = session

    def key(self, name: str) -> dict[str, Any]:
        for entry in self.running.key_listing:
            if entry["name"] == name:
                return dict(entry)
        raise KeyError(name)

    async def wait_for_user_stream_subscribers(self, count: int, timeout_s: float = 10) -> None:
        """Wait until `count` user-data-stream subscriptions are live on the simulator."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self.running.user_stream_subscriptions() < count:
            if loop.time() > deadline:
                raise TimeoutError(f"no {count} user stream subscriber(s) after {timeout_s}s")
            await asyncio.sleep(0.01)

    async def control(self, path: str, body: dict[str, Any]) -> Any:
        async with self._session.post(f"{self.control_url}/{path}", json=body) as reply:
            assert reply.status == 200, await reply.text()
            return await reply.json()


@pytest.fixture
async def sim() -> AsyncIterator[SimHandle]:
    running = await server.start(SimConfig.default(seed=11))
    async with aiohttp.ClientSession() as session:
        try:
            yield SimHandle(running, session)
        finally:
            await running.close()
