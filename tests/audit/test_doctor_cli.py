"""`tradeguard doctor` as a new user meets it: a fresh tradeguard.toml with one mistake each,
run through click's CliRunner; the output says what is wrong and how to fix it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tradeguard.cli.app import main

from .conftest import ThreadedSim


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["doctor", "--ntp", "", *args], env=env)


def checks(result: Result) -> dict[str, dict[str, str]]:
    return {c["check"]: c for c in json.loads(result.output)["checks"]}


def test_fresh_install_runs_on_the_simulator(home: Path) -> None:
    result = run()
    assert result.exit_code == 0, result.output
    assert "trade-only" in result.output
    assert "ready" in result.output


def test_json_output(home: Path) -> None:
    result = run("--json")
    assert result.exit_code == 0
    body = json.loads(result.output)
    assert body["ok"] is True
    assert {c["level"] for c in body["checks"]} <= {"pass", "unverified"}


def test_no_credentials(home: Path) -> None:
    (home / "tradeguard.toml").write_text(
        '[profiles.default]\nenv = "testnet"\nbase_url = "http://127.0.0.1:9"\n'
    )
    result = run("--json")
    assert result.exit_code == 1
    row = checks(result)["credentials"]
    assert row["level"] == "fail"
    assert row["detail"] == "profile default has no credentials, and env 'testnet' needs them"
    assert row["fix"].startswith('add [profiles.default.credentials] with source = "env"')
    assert checks(result)["key.access"]["level"] == "unverified"


def test_secret_in_the_profile(home: Path) -> None:
    secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"  # tradeguard: allow
    (home / "tradeguard.toml").write_text(
        '[profiles.default]\nenv = "testnet"\n\n[profiles.default.credentials]\n'
        f'source = "env"\napi_key = "BINANCE_API_KEY"\nsecret = "{secret}"\n'
    )
    result = run("--json")
    assert result.exit_code == 2
    row = checks(result)["profile"]
    assert row["level"] == "fail"
    assert "tradeguard.toml:7" in row["detail"]
    assert "looks like a secret" in row["detail"]
    assert "rotate that key" in row["fix"]
    assert secret not in result.output


def test_withdraw_enabled_key(home: Path) -> None:
    result = run("--sim-key", "withdraw-enabled", "--json")
    assert result.exit_code == 1
    row = checks(result)["key.withdraw"]
    assert (row["level"], row["detail"]) == ("fail", "this API key can withdraw funds: refused")
    table = run("--sim-key", "withdraw-enabled")
    assert "withdraw" in table.output and "refused" in table.output


def test_skewed_clock(home: Path, threaded_sim: ThreadedSim) -> None:
    threaded_sim.control("clock", {"offset_ms": -20_000})
    key = threaded_sim.key("trade-only")
    (home / "tradeguard.toml").write_text(
        '[profiles.default]\nenv = "testnet"\n'
        f'base_url = "{threaded_sim.running.base_url}"\n\n'
        '[profiles.default.credentials]\nsource = "env"\n'
        'api_key = "TG_KEY"\nsecret = "TG_SECRET"\n'
    )
    result = run("--json", env={"TG_KEY": key["api_key"], "TG_SECRET": key["secret"]})
    assert result.exit_code == 1, result.output
    row = checks(result)["clock.exchange"]
    assert row["level"] == "fail"
    assert row["detail"].startswith("this host's clock is 20.")
    assert row["detail"].endswith("s ahead of the exchange (allowed: 5.0 s)")
    assert row["fix"].startswith("sync the host with NTP")
    assert key["secret"] not in result.output
    assert checks(result)["credentials"]["detail"].startswith(
        "environment: api_key from TG_KEY, secret from TG_SECRET"
    )


def test_unknown_profile_is_bad_input(home: Path) -> None:
    result = run("--profile", "nope")
    assert result.exit_code == 2
    assert "no profile 'nope'" in result.output


def test_sim_key_on_a_profile_with_its_own_exchange_is_bad_input(home: Path) -> None:
    (home / "tradeguard.toml").write_text(
        '[profiles.default]\nenv = "sim"\nbase_url = "http://127.0.0.1:9"\n'
    )
    result = run("--sim-key", "withdraw-enabled")
    assert result.exit_code == 2
    assert result.output == (
        "tradeguard: --sim-key names a built-in key of the embedded simulator, and profile "
        "default does not use it (it has a base_url; its own credentials are checked) "
        "(drop --sim-key, or the profile's base_url)\n"
    )


def test_a_fix_with_brackets_is_shown_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fix names a TOML table ("[profiles.nope]"): the table is text, not markup."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    result = CliRunner().invoke(main, ["doctor", "-p", "nope"], env={"COLUMNS": "200"})
    assert "[profiles.nope]" in result.output, result.output
