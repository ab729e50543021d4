"""`tradeguard doctor` on Bybit, OKX and Kraken asks the profile's own exchange through the
venue connect opens (`session.connect.open_venue`): its clock, its listed symbols, its rate
limits and the key, whether it is the embedded simulator in that venue's dialect or a dialect
already running at the profile's base_url. Nothing in the table is taken on trust: a skewed
exchange clock, an unlisted symbol and a key the exchange refuses each fail."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tradeguard.cli.app import main

from .conftest import KEY_CHECKS, ThreadedSim

pytest.importorskip("ccxt")

VENUES = ["bybit", "okx", "kraken"]
TIME_PATH = {"bybit": "GET /v5/market/time", "okx": "GET /api/v5/public/time",
             "kraken": "GET /0/public/Time"}  # fmt: skip


def doctor(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["doctor", "--ntp", "", "--json", *args], env=env)


def rows(result: Result) -> dict[str, dict[str, str]]:
    return {c["check"]: c for c in json.loads(result.output)["checks"]}


@pytest.fixture(params=VENUES)
def venue(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def dialect(venue: str) -> Iterator[ThreadedSim]:
    sim = ThreadedSim(venue=venue)
    yield sim
    sim.close()


def write_profile(home: Path, venue: str, extra: str = "") -> None:
    (home / "tradeguard.toml").write_text(
        f'[profiles.default]\nvenue = "{venue}"\nenv = "sim"\n{extra}', encoding="utf-8"
    )


def running_profile(home: Path, sim: ThreadedSim, venue: str, symbols: str = "") -> dict[str, str]:
    """A profile on the dialect at base_url, its trade-only key in the environment."""
    key = next(k for k in sim.running.key_listing if k["name"] == "trade-only")
    passphrase = 'passphrase = "TG_PASSPHRASE"\n' if venue == "okx" else ""
    write_profile(
        home,
        venue,
        f'base_url = "{sim.running.base_url}"\n{symbols}\n'
        '[profiles.default.credentials]\nsource = "env"\n'
        f'api_key = "TG_KEY"\nsecret = "TG_SECRET"\n{passphrase}',
    )
    return {"TG_KEY": str(key["api_key"]), "TG_SECRET": str(key["secret"]),
            "TG_PASSPHRASE": str(key.get("passphrase") or "")}  # fmt: skip


def test_the_embedded_simulator_in_the_venues_dialect_gets_a_full_table(
    home: Path, venue: str
) -> None:
    write_profile(home, venue)
    result = doctor()
    assert result.exit_code == 0, result.output
    by = rows(result)
    assert list(by) == [
        "profile", "venue", "stage", "credentials", "clock.exchange", "symbols", *KEY_CHECKS,
        "clock.ntp", "rate_limits", "journal", "kill_switch",
    ]  # fmt: skip
    assert by["credentials"]["detail"].startswith("the simulator's built-in key 'trade-only'")
    assert by["clock.exchange"]["level"] == "pass"
    assert by["symbols"] == {
        "check": "symbols", "level": "pass", "detail": "the exchange lists BTCUSDT", "fix": ""
    }  # fmt: skip
    assert by["key.access"]["level"] == "pass"  # the key audit's own rows: tests/audit/
    assert not [name for name, row in by.items() if row["level"] == "fail"]
    assert by["rate_limits"]["level"] == "pass"
    assert by["rate_limits"]["detail"].startswith(f"no rate limit met on {venue}")


def test_a_running_dialect_is_asked_at_the_profiles_base_url(
    home: Path, venue: str, dialect: ThreadedSim
) -> None:
    env = running_profile(home, dialect, venue)
    result = doctor(env=env)
    assert result.exit_code == 0, result.output
    by = rows(result)
    assert by["clock.exchange"]["level"] == "pass"
    assert by["symbols"]["level"] == "pass"
    assert by["key.access"]["level"] == "pass"
    assert dialect.requests().get(TIME_PATH[venue], 0) >= 1  # asked there, not assumed
    assert env["TG_SECRET"] not in result.output


def test_a_skewed_exchange_clock_fails(home: Path, venue: str, dialect: ThreadedSim) -> None:
    dialect.control("clock", {"offset_ms": -20_000})
    result = doctor(env=running_profile(home, dialect, venue))
    assert result.exit_code == 1, result.output
    row = rows(result)["clock.exchange"]
    assert row["level"] == "fail"
    said = re.fullmatch(
        r"this host's clock is ([0-9.]+) s ahead of the exchange \(allowed: 5\.0 s\)", row["detail"]
    )
    assert said is not None, row["detail"]
    # Kraken stamps its time in whole seconds, read as the middle of the second: the skew is
    # known to half a second there, to the request's time elsewhere
    off_by = abs(float(said[1]) - 20)
    assert off_by <= (0.6 if venue == "kraken" else 0.2), row["detail"]


def test_a_symbol_the_venue_does_not_list_fails_with_the_nearest(
    home: Path, venue: str, dialect: ThreadedSim
) -> None:
    result = doctor(env=running_profile(home, dialect, venue, 'symbols = ["BTC/USDC"]'))
    assert result.exit_code == 1, result.output
    row = rows(result)["symbols"]
    assert row["level"] == "fail"
    assert row["detail"] == f"profile default: BTCUSDC not traded on {venue}"
    assert "BTCUSDT" in row["fix"]


def test_a_key_the_exchange_refuses_fails_and_nothing_else_is_claimed(
    home: Path, venue: str, dialect: ThreadedSim
) -> None:
    env = running_profile(home, dialect, venue)
    env["TG_SECRET"] = "not-the-secret"
    result = doctor(env=env)
    assert result.exit_code == 1, result.output
    by = rows(result)
    assert by["clock.exchange"]["level"] == "pass"  # public: answered without the key
    assert by["key.access"]["level"] == "fail"
    assert "not-the-secret" not in result.output
