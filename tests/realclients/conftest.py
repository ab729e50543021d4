"""Fixtures for running unmodified third-party clients against the simulator on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from decimal import Decimal
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
        self.stream_url: str = running.stream_url
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

    async def wait_for_market_stream(self, name: str, timeout_s: float = 10) -> None:
        """Wait until some connection carries the market stream `name` (a client subscribed)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while name not in self.running.sim.hub.market_subscriptions():
            if loop.time() > deadline:
                raise TimeoutError(f"nobody subscribed to {name} after {timeout_s}s")
            await asyncio.sleep(0.01)

    async def control(self, path: str, body: dict[str, Any]) -> Any:
        async with self._session.post(f"{self.control_url}/{path}", json=body) as reply:
            assert reply.status == 200, await reply.text()
            return await reply.json()


async def _serve(config: SimConfig) -> AsyncIterator[SimHandle]:
    running = await server.start(config)
    async with aiohttp.ClientSession() as session:
        try:
            yield SimHandle(running, session)
        finally:
            await running.close()


@pytest.fixture
async def sim() -> AsyncIterator[SimHandle]:
    async for handle in _serve(SimConfig.default(seed=11)):
        yield handle


@pytest.fixture
async def still_sim() -> AsyncIterator[SimHandle]:
    """On the wall clock, but the reference price moves only when a test moves it."""
    config = SimConfig.default(seed=11)
    config.market = dataclasses.replace(config.market, volatility_bps=Decimal(0))
    async for handle in _serve(config):
        yield handle
