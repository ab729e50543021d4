"""A simulator speaking one venue's dialect, and a CcxtVenue pointed at it by URL."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ccxt")

from tradeguard.keys.credentials import ApiCredentials, Secret
from tradeguard.session.connect import connect
from tradeguard.session.guard import Session
from tradeguard.sim import server
from tradeguard.sim.config import SimConfig

VENUES = ["bybit", "okx", "kraken"]


def credentials(running: Any, name: str = "trade-only") -> ApiCredentials:
    entry = next(e for e in running.key_listing if e["name"] == name)
    passphrase = entry.get("passphrase")
    return ApiCredentials(
        entry["api_key"],
        Secret(entry["secret"]),
        passphrase=Secret(passphrase) if passphrase else None,
    )


@pytest.fixture(params=VENUES)
async def running(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    config = SimConfig.default(seed=11, venue=request.param)
    config.market = dataclasses.replace(config.market, volatility_bps=Decimal(0))
    sim = await server.start(config)
    try:
        yield sim
    finally:
        await sim.close()


@pytest.fixture
async def venue(running: Any) -> AsyncIterator[Any]:
    from tradeguard.venues.ccxt import open_venue

    opened = open_venue(
        running.venue, running.base_url, credentials(running), urls=dict(running.urls)
    )
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def isolated_home(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No tradeguard.toml, journal or host state of the user's is read."""
    monkeypatch.chdir(tmp_path)
    for name in ("TRADEGUARD_CONFIG", "TRADEGUARD_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("CONFIG", "DATA", "STATE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))


@pytest.fixture(params=VENUES)
async def tg(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Session]:
    """A session through `tradeguard.connect` on each venue's embedded simulator dialect
    (`venue = ...`, `env = "sim"`), its state in a temporary directory."""
    for name in ("STATE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "tradeguard.toml"
    config.write_text(
        f'[profiles.default]\nvenue = "{request.param}"\nenv = "sim"\n', encoding="utf-8"
    )
    session = await connect("default", config=config)
    try:
        yield session
    finally:
        await session.close()


def journal(tg: Session) -> list[object]:
    """Every event the session journaled so far (committed first)."""
    tg.recorder.journal.flush()
    return list(tg.recorder.journal.events())
