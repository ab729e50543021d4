"""Fixtures for doctor tests: a profile value, options that stay inside tmp_path, simulators."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tradeguard.credentials import CredentialsSpec
from tradeguard.doctor import DoctorOptions
from tradeguard.sim import server
from tradeguard.sim.config import SimConfig


@dataclass
class FakeProfile:
    """A profile as doctor reads it (doctor.ProfileView)."""

    name: str = "default"
    venue: str = "binance"
    env: str = "sim"
    mode: str = "trade"
    symbols: tuple[str, ...] = ("BTC/USDT",)
    journal: str | None = None
    credentials: CredentialsSpec | None = None
    key_age_warn_days: int = 180
    key_age_refuse_days: int = 365
    sim_key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def profile(tmp_path: Path) -> FakeProfile:
    return FakeProfile(journal=str(tmp_path / "journal.db"))


@pytest.fixture
def options(tmp_path: Path) -> DoctorOptions:
    return DoctorOptions(env={}, state_dir=tmp_path / "state", ntp_server=None)


Starter = Callable[..., Any]


@pytest.fixture
async def start_sim() -> AsyncIterator[Starter]:
    """Start wall-clock simulators (seed 1, as doctor's own) with extra keys; closed after."""
    started: list[server.RunningSim] = []

    async def start(keys: list[dict[str, Any]] | None = None, **config: Any) -> server.RunningSim:
        running = await server.start(SimConfig.default(seed=1, keys=keys or [], **config))
        started.append(running)
        return running

    yield start
    for running in started:
        await running.close()


def listed(running: server.RunningSim, name: str) -> dict[str, str]:
    key = next(k for k in running.key_listing if k["name"] == name)
    return {"api_key": str(key["api_key"]), "secret": str(key["secret"])}
