"""A drop copy that cannot work reaches the user: a host that refuses it for good (-1184)
is journaled as the drop-copy stream lost with the reason, and the session's alert path
raises it; a host that cannot be reached is tried again after a jittered backoff, waited
on the injected `sleep` (no real waits here)."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fix.conftest import wire
from tests.fix.test_fix_standalone import standalone_profile
from tests.scenarios.conftest import eventually
from tradeguard.events import AlertRaised, StreamGapLost
from tradeguard.session.connect import connect, sim_key_credentials
from tradeguard.sim import server
from tradeguard.sim.config import SimConfig
from tradeguard.venues.binance.fix_drop_copy import DROP_COPY_STREAM, DropCopy
from tradeguard.venues.binance.fix_session import FixConfig


@pytest.fixture
async def standalone() -> AsyncIterator[server.RunningSim]:
    running = await server.start(SimConfig.default(seed=5))
    yield running
    await running.close()


async def test_a_refused_drop_copy_is_journaled_and_alerted(
    standalone: server.RunningSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    oe_url = str(standalone.urls["fix_url"])
    profile = standalone_profile(
        standalone, tmp_path, monkeypatch, fix_drop_copy=True, fix_drop_copy_url=oe_url
    )
    tg = await connect(profile, stream=False)
    try:
        tg.alerts.tracker.stream_lost_after_s = 0  # alerted at once, not a minute on
        drop_copy = wire(tg).drop_copy
        assert drop_copy is not None

        def alerted() -> None:
            raised = [e for e in tg.recorder.journal.events() if isinstance(e, AlertRaised)]
            assert any(DROP_COPY_STREAM in e.message for e in raised), raised

        await eventually(alerted)
        [lost] = [e for e in tg.recorder.journal.events() if isinstance(e, StreamGapLost)]
        assert lost.stream == DROP_COPY_STREAM
        assert "-1184 DROP_COPY_SESSION_NOT_ALLOWED" in lost.reason
        assert "fix_drop_copy_url names an order-entry host" in lost.reason
    finally:
        await tg.close(cancel_open=False)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_an_unreachable_drop_copy_host_backs_off_on_the_injected_wait(
    standalone: server.RunningSim,
) -> None:
    waits: list[float] = []
    enough = asyncio.Event()

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 5:
            enough.set()
        await asyncio.sleep(0)

    config = FixConfig(backoff_base_s=1.0, backoff_cap_s=4.0)
    drop_copy = DropCopy(
        f"tcp+tls://127.0.0.1:{_closed_port()}",
        ca_pem=str(standalone.urls["fix_ca_pem"]),
        config=config,
        rng=random.Random(7),
        sleep=sleep,
    )
    creds = sim_key_credentials(standalone.key_listing, "trade-only-ed25519")
    assert creds is not None
    drop_copy.start(creds)
    try:
        await asyncio.wait_for(enough.wait(), 5)
    finally:
        await drop_copy.close()
    ceilings = [1.0, 2.0, 4.0, 4.0, 4.0]  # base doubling per failure, capped
    assert all(0 <= wait <= ceiling for wait, ceiling in zip(waits, ceilings, strict=False))
    assert len(set(waits)) == len(waits)  # jittered, not a fixed step
    assert drop_copy.connections == 0 and drop_copy.refused is None
