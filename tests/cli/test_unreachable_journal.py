"""A PostgreSQL journal that cannot be reached is one line saying so and what to check, on
every command that opens the profile's journal (tests/docs/test_readme_journal.py covers
`journal verify`, `journal at`, `run` and `dashboard`; these are the others)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from tradeguard.cli.app import main


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "command",
    [["kill"], ["kill", "--reset"], ["journal", "tail"], ["journal", "export"],
     ["journal", "show", "--order", "x"], ["promote"], ["gateway", "--port", "0"]],
    ids=" ".join,
)  # fmt: skip
def test_an_unreachable_postgresql_journal_is_one_line(tmp_path: Path, command: list[str]) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql://nobody@127.0.0.1:{_closed_port()}/journal"
    config = tmp_path / "tradeguard.toml"
    config.write_text(f'[profiles.default]\nenv = "sim"\njournal = "{url}"\n')
    with pytest.MonkeyPatch.context() as env:
        env.chdir(tmp_path)
        env.delenv("TRADEGUARD_PROFILE", raising=False)
        env.setenv("TRADEGUARD_CONFIG", str(config))
        env.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
        env.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
        result = CliRunner().invoke(main, command)
    assert result.exit_code == 1, result.output  # not a mistake in the input: exit 1
    assert "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"tradeguard: cannot reach the journal {url}"), line
    assert "check the server and the URL" in line
