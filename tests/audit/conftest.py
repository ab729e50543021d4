"""Fixtures for doctor tests: a profile value, options that stay inside tmp_path, simulators."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tradeguard.doctor.checks import DoctorOptions
from tradeguard.profile.profiles import Profile
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


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("TRADEGUARD_CONFIG", "TRADEGUARD_PROFILE", "BINANCE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


class ThreadedSim:
    """A simulator on its own event loop in a thread, for a CLI that runs asyncio.run itself."""

    def __init__(self, keys: list[dict[str, Any]] | None = None, **config: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        sim_config = SimConfig.default(seed=3, keys=keys or [], **config)
        self.running: server.RunningSim = self._run(server.start(sim_config))

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def key(self, name: str) -> dict[str, str]:
        k = next(k for k in self.running.key_listing if k["name"] == name)
        return {"api_key": str(k["api_key"]), "secret": str(k["secret"])}

    def control(self, path: str, body: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"{self.running.control_url}/{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5):
            pass

    def requests(self) -> dict[str, int]:
        """Every exchange request that reached it, by "METHOD /path" (GET /sim/v1/requests)."""
        with urllib.request.urlopen(f"{self.running.control_url}/requests", timeout=5) as reply:
            counts: dict[str, int] = json.loads(reply.read())["requests"]
        return counts

    def close(self) -> None:
        self._run(self.running.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


@pytest.fixture
def threaded_sim() -> Iterator[ThreadedSim]:
    sim = ThreadedSim()
    yield sim
    sim.close()


KEY_CHECKS = [  # the key audit's checks, in the order they are reported
    "key.access",
    "key.withdraw",
    "key.transfer",
    "key.ip_whitelist",
    "key.scope",
    "key.mode",
    "key.age",
    "key.expiry",
]
DOCTOR_ROWS = [  # every row doctor prints, in order
    "profile",
    "venue",
    "stage",
    "credentials",
    "clock.exchange",
    "symbols",
    *KEY_CHECKS,
    "clock.ntp",
    "rate_limits",
    "journal",
    "kill_switch",
]
