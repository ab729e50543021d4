"""A profile trading over FIX on a standalone simulator (`tradeguard sim`): its own base_url,
and the FIX host named by fix_url with the simulator's throwaway certificate in fix_ca_file,
both from the simulator's start line."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.fix.conftest import wire
from tests.scenarios.conftest import eventually
from tradeguard.errors import NotSent
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


def standalone_profile(
    standalone: server.RunningSim,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    **fields: Any,
) -> Profile:
    """A profile on the standalone simulator, its FIX host from the start line's fix_url."""
    key = next(k for k in standalone.key_listing if k["name"] == "trade-only-ed25519")
    monkeypatch.setenv("TG_FIX_KEY", str(key["api_key"]))
    monkeypatch.setenv("TG_FIX_PEM", str(key["secret"]))
    ca = tmp_path / "sim-ca.pem"
    ca.write_text(str(standalone.urls["fix_ca_pem"]))
    values: dict[str, Any] = {
        "name": "standalone",
        "env": "testnet",
        "base_url": standalone.base_url,
        "credentials": CredentialsSpec(
            "standalone", "env", "TG_FIX_KEY", private_key="TG_FIX_PEM", kind="ED25519"
        ),
        "order_transport": "fix",
        "fix_url": str(standalone.urls["fix_url"]),
        "fix_ca_file": ca,
        "journal": f"sqlite://{tmp_path / 'j.db'}",
    }
    return Profile(**(values | fields))


async def test_orders_go_over_fix_to_the_host_fix_url_names(
    standalone: server.RunningSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tg = await connect(standalone_profile(standalone, tmp_path, monkeypatch), stream=False)
    try:
        order = await tg.market_buy("BTC/USDT", qty="0.001")
        assert order.status is OrderStatus.FILLED
        assert wire(tg).url == standalone.urls["fix_url"] and wire(tg).connections == 1
    finally:
        await tg.close(cancel_open=False)


async def test_drop_copy_goes_to_the_host_fix_drop_copy_url_names(
    standalone: server.RunningSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dc_url = str(standalone.urls["fix_dc_url"])
    profile = standalone_profile(
        standalone, tmp_path, monkeypatch, fix_drop_copy=True, fix_drop_copy_url=dc_url
    )
    tg = await connect(profile, stream=False)
    try:
        drop_copy = wire(tg).drop_copy
        assert drop_copy is not None and drop_copy.url == dc_url

        def logged_on() -> None:
            assert drop_copy.connections == 1 and drop_copy.refused is None

        await eventually(logged_on)
    finally:
        await tg.close(cancel_open=False)


async def test_a_fix_url_naming_a_drop_copy_host_is_one_line(
    standalone: server.RunningSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Binance's -1185 (a drop-copy host asked for order entry) says which key to fix."""
    dc_url = str(standalone.urls["fix_dc_url"])
    profile = standalone_profile(standalone, tmp_path, monkeypatch, fix_url=dc_url)
    tg = await connect(profile, stream=False)
    try:
        with pytest.raises(NotSent) as refused:
            await tg.market_buy("BTC/USDT", qty="0.001")
        message = str(refused.value)
        assert "-1185 DROP_COPY_SESSION_REQUIRED" in message and "\n" not in message
        assert "fix_url names a drop-copy host" in message
    finally:
        await tg.close(cancel_open=False)


async def test_a_drop_copy_url_naming_an_order_entry_host_stops_and_says_so(
    standalone: server.RunningSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Binance's -1184 (order entry's host asked for drop copy) will not change by trying
    again: drop copy stops, saying which key to fix."""
    oe_url = str(standalone.urls["fix_url"])
    profile = standalone_profile(
        standalone, tmp_path, monkeypatch, fix_drop_copy=True, fix_drop_copy_url=oe_url
    )
    tg = await connect(profile, stream=False)
    try:
        drop_copy = wire(tg).drop_copy
        assert drop_copy is not None

        def refused() -> None:
            assert drop_copy.refused is not None

        await eventually(refused)
        assert "-1184 DROP_COPY_SESSION_NOT_ALLOWED" in drop_copy.refused
        assert "fix_drop_copy_url names an order-entry host" in drop_copy.refused
        assert standalone.fix is not None
        tried = standalone.fix.connections
        await asyncio.sleep(0.3)  # a real wait: that nothing more happens
        assert standalone.fix.connections == tried and drop_copy.connections == 0
        assert (await tg.market_buy("BTC/USDT", qty="0.001")).status is OrderStatus.FILLED
    finally:
        await tg.close(cancel_open=False)
