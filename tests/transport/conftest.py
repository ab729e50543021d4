"""Fixtures: a simulator on loopback and tradeguard's transport pointed at it.

`paired` runs both on one fake clock: the simulator's clock is manual and the transport's sleep
advances both, so waits of a minute take no real time and every run is deterministic.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tradeguard.keys.credentials import ApiCredentials, Secret
from tradeguard.net.clock import FakeClock
from tradeguard.net.hoststate import HostState
from tradeguard.sim import server
from tradeguard.sim.config import RateLimitSpec, SimConfig
from tradeguard.sim.remote import SimRemote
from tradeguard.venues.binance.client import BinanceTransport, TransportConfig

START_MS = 1_767_225_600_000


@dataclass
class Paired:
    running: Any
    remote: SimRemote
    clock: FakeClock
    state_dir: Path
    make: Callable[..., BinanceTransport]

    async def request_count(self, name: str | None = None) -> int:
        counts = await self.remote.requests()
        return int(counts["total"] if name is None else counts["requests"].get(name, 0))


def credentials(running: Any, name: str = "trade-only") -> ApiCredentials:
    key = next(k for k in running.key_listing if k["name"] == name)
    return ApiCredentials(key["api_key"], Secret(key["secret"]), kind=key["kind"])


async def _paired(tmp_path: Path, **config: Any) -> AsyncIterator[Paired]:
    running = await server.start(
        SimConfig.default(seed=5, clock="manual", start_ms=START_MS, **config)
    )
    clock = FakeClock(wall_ms=START_MS)
    transports: list[BinanceTransport] = []
    async with aiohttp.ClientSession() as session:
        remote = SimRemote(running.control_url, session)

        async def sleep(seconds: float) -> None:
            # Both clocks move together: the simulator's by control call, ours by hand.
            step = max(1, round(seconds * 1000))
            clock.advance(step / 1000)
            await remote.clock(advance_ms=step)

        def make(name: str = "trade-only", **kwargs: Any) -> BinanceTransport:
            kwargs.setdefault("config", TransportConfig(timeout_s=5))
            transport = BinanceTransport(
                running.base_url,
                credentials(running, name),
                clock=kwargs.pop("clock", clock),
                host_state=HostState("sim", tmp_path),
                sleep=sleep,
                **kwargs,
            )
            transports.append(transport)
            return transport

        try:
            yield Paired(running, remote, clock, tmp_path, make)
        finally:
            for transport in transports:
                await transport.close()
            await running.close()


@pytest.fixture
async def paired(tmp_path: Path) -> AsyncIterator[Paired]:
    async for value in _paired(tmp_path):
        yield value


@pytest.fixture
async def tight(tmp_path: Path) -> AsyncIterator[Paired]:
    """A simulator with a small weight budget (100 per minute), to reach 429 quickly."""
    async for value in _paired(
        tmp_path, limits=RateLimitSpec(request_weight_per_min=100, orders_per_10s=5)
    ):
        yield value
