"""`tradeguard account`: the read-only first look, through the CLI against a simulator on its own
loop, on every venue: Binance natively, Bybit, OKX and Kraken through ccxt, each from the
embedded simulator in its dialect or from a dialect running at the profile's base_url (the
simulator counts every request that reaches it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tradeguard.cli.app import main

from .conftest import ThreadedSim


def account(*args: str) -> Result:
    return CliRunner().invoke(main, ["account", *args], env={"COLUMNS": "200"})


def write_profile(home: Path, sim: ThreadedSim, venue: str) -> None:
    passphrase = 'passphrase = "TG_PASSPHRASE"\n' if venue == "okx" else ""
    (home / "tradeguard.toml").write_text(
        f'[profiles.default]\nvenue = "{venue}"\nenv = "testnet"\n'
        f'base_url = "{sim.running.base_url}"\n'
        f'journal = "sqlite://{home / "journal.db"}"\n\n'
        '[profiles.default.credentials]\nsource = "env"\n'
        f'api_key = "TG_KEY"\nsecret = "TG_SECRET"\n{passphrase}'
    )


@pytest.fixture
def sim_key_for(monkeypatch: pytest.MonkeyPatch) -> Callable[[ThreadedSim], dict[str, str]]:
    def export(sim: ThreadedSim) -> dict[str, str]:
        key = next(k for k in sim.running.key_listing if k["name"] == "trade-only")
        monkeypatch.setenv("TG_KEY", str(key["api_key"]))
        monkeypatch.setenv("TG_SECRET", str(key["secret"]))
        monkeypatch.setenv("TG_PASSPHRASE", str(key.get("passphrase") or "none"))
        return {k: str(v) for k, v in key.items()}

    return export


@pytest.fixture
def sim_key(threaded_sim: ThreadedSim, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    key = threaded_sim.key("trade-only")
    monkeypatch.setenv("TG_KEY", key["api_key"])
    monkeypatch.setenv("TG_SECRET", key["secret"])
    monkeypatch.setenv("TG_PASSPHRASE", "not-used-here")
    return key


def test_a_binance_profile_shows_balances(
    home: Path, threaded_sim: ThreadedSim, sim_key: dict[str, str]
) -> None:
    write_profile(home, threaded_sim, "binance")
    result = account()
    assert result.exit_code == 0, result.output
    assert "balances" in result.output and "USDT" in result.output
    assert threaded_sim.requests().get("GET /api/v3/account")
    assert sim_key["secret"] not in result.output


@pytest.mark.parametrize("venue", ["bybit", "okx", "kraken"])
def test_another_venue_is_read_through_ccxt_from_its_own_dialect(home: Path, venue: str) -> None:
    pytest.importorskip("ccxt")
    (home / "tradeguard.toml").write_text(
        f'[profiles.default]\nvenue = "{venue}"\nenv = "sim"\n'
        f'journal = "sqlite://{home / "journal.db"}"\n'
    )
    result = account()
    assert result.exit_code == 0, result.output
    assert "embedded simulator" in result.output and "balances" in result.output
    assert "USDT" in result.output and "100000" in result.output


ACCOUNT_PATH = {"bybit": "GET /v5/account/wallet-balance", "okx": "GET /api/v5/account/balance",
                "kraken": "POST /0/private/Balance"}  # fmt: skip


@pytest.mark.parametrize("venue", ["bybit", "okx", "kraken"])
def test_another_venue_is_read_from_a_dialect_at_the_profiles_base_url(
    home: Path, venue: str, sim_key_for: Callable[[ThreadedSim], dict[str, str]]
) -> None:
    pytest.importorskip("ccxt")
    sim = ThreadedSim(venue=venue)
    try:
        key = sim_key_for(sim)
        write_profile(home, sim, venue)
        result = account()
        assert result.exit_code == 0, result.output
        assert "balances" in result.output and "USDT" in result.output
        assert sim.requests().get(ACCOUNT_PATH[venue], 0) >= 1  # read there
        assert key["secret"] not in result.output
    finally:
        sim.close()
