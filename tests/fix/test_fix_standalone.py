"""A profile trading over FIX on a standalone simulator (`tradeguard sim`): its own base_url,
and the FIX host named by fix_url with the simulator's throwaway certificate in fix_ca_file,
both from the simulator's start line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fix.conftest import wire
from tradeguard.keys.credentials import CredentialsSpec
from tradeguard.model import OrderStatus
from tradeguard.profile.profiles import Profile
from tradeguard.session.connect import connect
from tradeguard.sim import server
from tradeguard.sim.config import SimConfig


@pytest.fixture
async def standalone() -> AsyncIterator[server.RunningSim]:
    running = await server.start(SimConfig.default(seed=5))
    yield running
    await running.close()


async def test_orders_go_over_fix_to_the_host_fix_url_names(
    standalone: server.RunningSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = next(k for k in standalone.key_listing if k["name"] == "trade-only-ed25519")
    monkeypatch.setenv("TG_FIX_KEY", str(key["api_key"]))
    monkeypatch.setenv("TG_FIX_PEM", str(key["secret"]))
    ca = tmp_path / "sim-ca.pem"
    ca.write_text(str(standalone.urls["fix_ca_pem"]))
    profile = Profile(
        name="standalone",
        env="testnet",
        base_url=standalone.base_url,
        credentials=CredentialsSpec(
            "standalone", "env", "TG_FIX_KEY", private_key="TG_FIX_PEM", kind="ED25519"
        ),
        order_transport="fix",
        fix_url=str(standalone.urls["fix_url"]),
        fix_ca_file=ca,
        journal=f"sqlite://{tmp_path / 'j.db'}",
    )
    tg = await connect(profile, stream=False)
    try:
        order = await tg.market_buy("BTC/USDT", qty="0.001")
        assert order.status is OrderStatus.FILLED
        assert wire(tg).url == standalone.urls["fix_url"] and wire(tg).connections == 1
    finally:
        await tg.close(cancel_open=False)
