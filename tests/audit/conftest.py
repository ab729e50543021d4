"""Fixtures for doctor tests: a profile value, options that stay inside tmp_path, simulators."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tradeguard.doctor import DoctorOptions
from tradeguard.profile import Profile
from tradeguard.sim import server
from tradeguard.sim.config import SimConfig

FakeProfile = Profile  # the real profile value; tests change it with dataclasses.replace


@pytest.fixture
def profile(tmp_path: Path) -> FakeProfile:
    return Profile(journal="sqlite://" + str(tmp_path / "journal.db"))


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
