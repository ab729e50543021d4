"""A session on the embedded simulator, with its journal and state in a temporary directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tradeguard.session.connect import connect
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
async def tg() -> AsyncIterator[Session]:
    session = await connect(None)
    try:
        yield session
    finally:
        await session.close()


@pytest.fixture
async def remote(tg: Session) -> AsyncIterator[SimRemote]:
    async with aiohttp.ClientSession() as http:
        yield SimRemote(tg.sim.control_url, http)


def sim_order_count(tg: Session) -> Any:
    return tg.sim
