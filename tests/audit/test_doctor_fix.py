"""`tradeguard doctor` on a profile trading over FIX with drop copy: one Logon to the
drop-copy host says whether drop copy would work, before a session finds out alone."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from tradeguard.cli.app import main

from .conftest import ThreadedSim


def _doctor(home: Path, sim: ThreadedSim, drop_copy_url: str) -> Result:
    running = sim.running
    key = sim.key("trade-only-ed25519")
    (home / "sim-ca.pem").write_text(str(running.urls["fix_ca_pem"]))
    (home / "tradeguard.toml").write_text(
        f'[profiles.default]\nenv = "testnet"\nbase_url = "{running.base_url}"\n'
        f'order_transport = "fix"\nfix_url = "{running.urls["fix_url"]}"\n'
        f'fix_ca_file = "{home / "sim-ca.pem"}"\nfix_drop_copy = true\n'
        f'fix_drop_copy_url = "{drop_copy_url}"\n\n'
        '[profiles.default.credentials]\nsource = "env"\napi_key = "TG_FIX_KEY"\n'
        'private_key = "TG_FIX_PEM"\nkind = "ED25519"\n'
    )
    env = {"TG_FIX_KEY": key["api_key"], "TG_FIX_PEM": key["secret"]}
    return CliRunner().invoke(main, ["doctor", "--ntp", "", "--json"], env=env)


def _row(result: Result, name: str) -> dict[str, str]:
    rows = {c["check"]: c for c in json.loads(result.output)["checks"]}
    assert name in rows, result.output
    return rows[name]


def test_a_drop_copy_url_naming_the_order_entry_host_fails(
    home: Path, threaded_sim: ThreadedSim
) -> None:
    result = _doctor(home, threaded_sim, str(threaded_sim.running.urls["fix_url"]))
    row = _row(result, "fix.drop_copy")
    assert row["level"] == "fail", row
    assert "-1184 DROP_COPY_SESSION_NOT_ALLOWED" in row["detail"]
    assert "fix_drop_copy_url" in row["fix"]
    assert result.exit_code == 1


def test_a_drop_copy_host_that_takes_the_logon_passes(
    home: Path, threaded_sim: ThreadedSim
) -> None:
    result = _doctor(home, threaded_sim, str(threaded_sim.running.urls["fix_dc_url"]))
    row = _row(result, "fix.drop_copy")
    assert row["level"] == "pass", row
    assert str(threaded_sim.running.urls["fix_dc_url"]) in row["detail"]
