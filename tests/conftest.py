"""Shared fixtures: a simulator serving on a random loopback port, in the test's event loop.

`running_sim` uses `sim_config`, a manual clock starting at START_MS: time moves only when a
test moves it (control API or `running.sim.clock`), so every run is deterministic. Override
`sim_config` in a test module to change symbols, limits, keys or faults.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from tradeguard.sim import server
from tradeguard.sim.config import SimConfig

START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z

_USER_DIRS = ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME")


def pytest_configure(config: pytest.Config) -> None:
    """Point the user's data, state and config directories at a scratch folder for the run.

    Set before any test module is imported: a Profile built at import resolves its journal
    path then, and before this a test that forgot its isolation fixture wrote to the real
    ~/.local/share/tradeguard/default.db and halted later runs on a reconciliation mismatch.
    Per-test `_isolated` fixtures still narrow this to the test's own tmp_path.
    """
    scratch = tempfile.mkdtemp(prefix="tradeguard-tests-")
    for name in _USER_DIRS:
        os.environ[name] = os.path.join(scratch, name.lower())


@pytest.fixture
def sim_config() -> SimConfig:
    return SimConfig.default(seed=7, clock="manual", start_ms=START_MS)


@pytest.fixture
async def running_sim(sim_config: SimConfig) -> AsyncIterator[server.RunningSim]:
    running = await server.start(sim_config, "127.0.0.1", 0)
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


# A profile reaching a simulator outside the session by its base_url, as a testnet is reached:
# its state (balances, orders) outlives the sessions that trade on it.
TESTNET_PROFILE = """
[profiles.{name}]
env = "testnet"
base_url = "{base_url}"

[profiles.{name}.credentials]
source = "env"
api_key = "TG_EXCHANGE_KEY"
secret = "TG_EXCHANGE_SECRET"
{more}"""


@asynccontextmanager
async def exchange_as_testnet(
    directory: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: SimConfig,
    *,
    name: str = "bot",
    more: str = "",
) -> AsyncIterator[server.RunningSim]:
    """A simulator serving `config`, `directory`'s tradeguard.toml naming profile `name` for it
    (plus the TOML in `more`), its trade-only key in the environment."""
    running = await server.start(config)
    key = running.key("trade-only")
    monkeypatch.setenv("TG_EXCHANGE_KEY", key.api_key)
    monkeypatch.setenv("TG_EXCHANGE_SECRET", key.secret)
    profile = TESTNET_PROFILE.format(name=name, base_url=running.base_url, more=more)
    (directory / "tradeguard.toml").write_text(profile)
    try:
        yield running
    finally:
        await running.close()
