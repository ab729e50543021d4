"""Fixtures for the Bybit dialect's tests: a simulator speaking Bybit, on a manual clock."""

from __future__ import annotations

import aiohttp
import pytest
from tests.conftest import START_MS

from tradeguard.sim.config import SimConfig
from tradeguard.sim.server import RunningSim

from .bybit_client import BybitClient


@pytest.fixture
def sim_config() -> SimConfig:
    return SimConfig.default(seed=7, clock="manual", start_ms=START_MS, venue="bybit")


@pytest.fixture
def bybit(running_sim: RunningSim, http: aiohttp.ClientSession) -> BybitClient:
    return BybitClient(running_sim, http)
