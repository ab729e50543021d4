"""A profile file that cannot be read (a bad value, an unknown key, a misspelt profile name) is
one line naming the file and line and what to write, exit 2, on every command that reads a
profile: `account` as `run` and `doctor` do (it exited 1, as if the exchange had refused)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tradeguard.cli.app import main

COMMANDS = [
    ["account"],
    ["kill"],
    ["journal", "tail"],
    ["journal", "verify"],
    ["dashboard"],
    ["gateway"],
    ["promote"],
    ["keys", "rotate"],
    ["run", "bot.py"],
]

BAD_VALUE = """
[profiles.default]
venue = "binance"
env = "sim"
reconcile_every_s = "often"
"""

UNKNOWN_KEY = """
[profiles.default]
venue = "binance"
env = "sim"
reconcil_every_s = 300
"""


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize(
    ("toml", "said"),
    [
        (BAD_VALUE, "tradeguard.toml:5: profiles.default.reconcile_every_s: must be a number"),
        (UNKNOWN_KEY, "did you mean 'reconcile_every_s'?"),
    ],
    ids=["bad value", "unknown key"],
)
def test_a_profile_mistake_is_one_line_and_exit_2(
    tmp_path: Path, command: list[str], toml: str, said: str
) -> None:
    config = tmp_path / "tradeguard.toml"
    config.write_text(toml)
    (tmp_path / "bot.py").write_text("async def main(tg):\n    pass\n")
    with pytest.MonkeyPatch.context() as env:
        env.chdir(tmp_path)
        env.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
        env.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
        result = CliRunner().invoke(main, [*command, "--config", str(config)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tradeguard: "), result.stderr
    assert said in lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_misspelt_profile_is_one_line_and_exit_2(tmp_path: Path, command: list[str]) -> None:
    config = tmp_path / "tradeguard.toml"
    config.write_text('[profiles.default]\nvenue = "binance"\nenv = "sim"\n')
    (tmp_path / "bot.py").write_text("async def main(tg):\n    pass\n")
    with pytest.MonkeyPatch.context() as env:
        env.chdir(tmp_path)
        env.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
        env.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
        result = CliRunner().invoke(main, [*command, "--config", str(config), "-p", "defualt"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "defualt" in lines[0], result.stderr


@pytest.mark.parametrize(
    ("toml", "said"),
    [
        (BAD_VALUE, "tradeguard.toml:5: profiles.default.reconcile_every_s: must be a number"),
        (UNKNOWN_KEY, "did you mean 'reconcile_every_s'?"),
        ("[profiles.default\n", "not valid TOML"),
    ],
    ids=["bad value", "unknown key", "not toml"],
)
def test_doctor_exits_2_where_the_profile_cannot_be_read(
    tmp_path: Path, toml: str, said: str
) -> None:
    """README: doctor exits "2 where the profile or its config cannot be read" (1 is where
    `run` would refuse), its profile row saying why."""
    config = tmp_path / "tradeguard.toml"
    config.write_text(toml)
    with pytest.MonkeyPatch.context() as env:
        env.chdir(tmp_path)
        env.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
        env.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
        result = CliRunner().invoke(main, ["doctor", "--json", "--config", str(config)])
    assert result.exit_code == 2, result.output
    (row,) = [c for c in json.loads(result.stdout)["checks"] if c["check"] == "profile"]
    assert row["level"] == "fail" and said in row["detail"] + " " + row["fix"], row
