"""A session on the embedded simulator, served by the gateway on loopback, with one local key.

The profile `gw` trades BTC/USDT on the simulator with a 1000 USDT cap per order, so a test
can ask for a risk denial; `remote` drives the simulator's faults and counts its requests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.scenarios.conftest import FAST_RESOLVE, watch_placements
from tradeguard.gateway import server
from tradeguard.gateway.local_keys import LocalKey, LocalKeys
from tradeguard.keys.credentials import Secret
from tradeguard.session.connect import connect
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote

PROFILE = """
[profiles.gw]
env = "sim"
symbols = ["BTC/USDT"]

[profiles.gw.limits]
max_order_notional = "1000"
"""

SPOT_ONLY = {"fetchCurrencies": False, "fetchMarkets": {"types": ["spot"]}, "fetchMargins": False}


@dataclass
class Served:
    """What a test of a bot through the gateway needs: the session, the URL, the key."""

    tg: Session
    running: server.RunningGateway
    key: LocalKey
    remote: SimRemote

    @property
    def base_url(self) -> str:
        return self.running.base_url

    @property
    def secret(self) -> str:
        return self.key.secret.reveal()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("TRADEGUARD_CONFIG", raising=False)
    monkeypatch.delenv("TRADEGUARD_PROFILE", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tradeguard.toml").write_text(PROFILE)


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    tg = await connect("gw", resolve=FAST_RESOLVE)
    watch_placements(tg.sim)
    key = LocalKey.generate()
    running = await server.start(tg, LocalKeys([key]), resolve_timeout_s=10.0)
    async with aiohttp.ClientSession() as http:
        try:
            yield Served(tg, running, key, SimRemote(tg.sim.control_url, http))
        finally:
            await running.close()
            await tg.close()


@asynccontextmanager
async def served_at_order_rate(api_key: str, orders_per_minute: int) -> AsyncIterator[Served]:
    """A gateway whose one local key may place `orders_per_minute` orders a minute (no
    simulator control: these tests read the key's limits, not the exchange)."""
    tg = await connect("gw", resolve=FAST_RESOLVE)
    key = LocalKey(
        "slow", api_key, Secret(f"{api_key}-secret"), max_orders_per_minute=orders_per_minute
    )
    running = await server.start(tg, LocalKeys([key]))
    try:
        yield Served(tg, running, key, None)  # type: ignore[arg-type]
    finally:
        await running.close()
        await tg.close()


def point_ccxt(exchange: Any, base_url: str) -> None:
    """ccxt's documented URL override: its spot REST and SAPI at the gateway."""
    exchange.urls["api"]["public"] = f"{base_url}/api/v3"
    exchange.urls["api"]["private"] = f"{base_url}/api/v3"
    exchange.urls["api"]["sapi"] = f"{base_url}/sapi/v1"


def pb_client_class(base: type, base_url: str) -> type:
    """python-binance's URL override: a subclass whose URLs are the gateway's."""
    return type(
        f"Gateway{base.__name__}",
        (base,),
        {"API_URL": f"{base_url}/api", "MARGIN_API_URL": f"{base_url}/sapi"},
    )
