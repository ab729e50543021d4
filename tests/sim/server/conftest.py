"""Fixtures for the simulator's server tests: a bare wire client on a running simulator."""

from __future__ import annotations

import aiohttp
import pytest

from tradeguard.sim.server import RunningSim

from .wire_client import WireClient


@pytest.fixture
def wire(running_sim: RunningSim, http: aiohttp.ClientSession) -> WireClient:
    return WireClient(running_sim, http)
