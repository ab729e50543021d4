from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tradeguard.sim.server import RunningSim

from .fix_client import RawFix


@pytest.fixture
async def fix(running_sim: RunningSim) -> AsyncIterator[RawFix]:
    client = await RawFix.open(running_sim)
    yield client
    await client.close()


@pytest.fixture
async def logged_on(fix: RawFix) -> RawFix:
    await fix.logon()
    await fix.expect("A")
    return fix
