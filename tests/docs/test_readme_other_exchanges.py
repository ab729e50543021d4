"""README's "Other exchanges" section, through the CLI with wrong input: each mistake is one line
that says what to do, naming the venue's own settings (tests/docs/test_other_exchanges.py
holds the table; the index of its other sentences is there)."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from tradeguard.cli.app import main
from tradeguard.profile.profiles import NO_TESTNET, VENUES
from tradeguard.venues.ccxt.adapters import adapter_for


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("TRADEGUARD_CONFIG", "TRADEGUARD_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("CONFIG", "DATA", "STATE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    return tmp_path


def _one_line(home: Path, toml: str, *args: str) -> str:
    (home / "tradeguard.toml").write_text(toml, encoding="utf-8")
    result = CliRunner().invoke(main, list(args))
    assert (result.exit_code != 0 and result.exception is None) or isinstance(
        result.exception, SystemExit
    ), result.output
    text = result.output.strip()
    assert "Traceback" not in text and len(text.splitlines()) == 1, text
    return text


def test_the_venues_without_a_testnet_are_the_adapters_that_have_none() -> None:
    assert {v for v in VENUES if v != "binance" and not adapter_for(v).sandbox} == NO_TESTNET


def test_a_kraken_profile_on_testnet_is_refused_for_that_whatever_its_credentials(
    home: Path,
) -> None:
    line = _one_line(
        home, '[profiles.k]\nvenue = "kraken"\nenv = "testnet"\n', "account", "-p", "k"
    )
    assert "tradeguard.toml:3" in line and "kraken has no testnet" in line
    assert 'env = "sim"' in line and "live-small" in line


@pytest.mark.parametrize(("venue", "extra"), [("okx", "OKX_PASSPHRASE"), ("bybit", None)])
def test_a_profile_without_credentials_is_told_its_own_venues_variables(
    home: Path, venue: str, extra: str | None
) -> None:
    toml = f'[profiles.v]\nvenue = "{venue}"\nenv = "testnet"\n'
    line = _one_line(home, toml, "account", "-p", "v")
    upper = venue.upper()
    assert f"{upper}_API_KEY" in line and f"{upper}_API_SECRET" in line
    assert "BINANCE" not in line
    assert extra is None or extra in line


def _kraken_on(home: Path, env: str, fills: int) -> Path:
    """A Kraken profile on `env` whose journal holds `fills` clean fills over four days."""
    from tests.profile.test_stages import clean_orders, loaded, stage
    from tradeguard.journal import open_journal
    from tradeguard.net.clock import SYSTEM

    journal = home / "k.db"
    (home / "tradeguard.toml").write_text(
        f'[profiles.k]\nvenue = "kraken"\nenv = "{env}"\njournal = "sqlite://{journal}"\n',
        encoding="utf-8",
    )
    start = SYSTEM.wall_ms() - 4 * 86_400_000
    events = [loaded(env, start - 10), stage(env, start - 5), *clean_orders(fills, 3, start=start)]
    with open_journal(journal, profile="k") as store:
        store.append_many([msgspec.structs.replace(e, profile="k") for e in events])
    return journal


def test_kraken_is_promoted_from_sim_to_live_small_never_to_a_testnet(home: Path) -> None:
    """ "none (Kraken has no spot testnet): refused, go from `sim` to `live-small`" """
    _kraken_on(home, "sim", 50)
    result = CliRunner().invoke(main, ["promote", "-p", "k"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "clean fills on sim" in result.output
    assert 'Set env = "live-small"' in result.output and "testnet" not in result.output


def test_kraken_on_sim_without_a_record_stays_there(home: Path) -> None:
    _kraken_on(home, "sim", 3)
    result = CliRunner().invoke(main, ["promote", "-p", "k"], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "k stays on sim: clean fills on sim: 3 (needs >= 50)" in result.output
