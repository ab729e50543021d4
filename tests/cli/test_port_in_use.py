"""A port another program holds is one line on every command that listens: what is taken, the
system's reason, and what to do (another port, 0 picks a free one), exit 2; never asyncio's
"error while attempting to bind on address ('127.0.0.1', N)" nor a line without a way out."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tradeguard.cli.app import main
from tradeguard.journal import open_journal


@pytest.fixture
def taken() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["sim"], "--port"),
        (["dashboard"], "--port"),
        (["gateway"], "--port"),
        (["run", "bot.py", "--no-live", "--web"], "--web-port"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else value,
)
def test_a_port_in_use_is_one_line_saying_what_to_do(
    tmp_path: Path, taken: int, command: list[str], option: str
) -> None:
    (tmp_path / "bot.py").write_text("async def main(tg):\n    pass\n")
    journal = tmp_path / "data" / "tradeguard" / "default.db"  # the dashboard reads one
    journal.parent.mkdir(parents=True)
    with open_journal(journal, profile="default"):
        pass
    with pytest.MonkeyPatch.context() as env:
        env.chdir(tmp_path)
        for name in ("TRADEGUARD_CONFIG", "TRADEGUARD_PROFILE"):
            env.delenv(name, raising=False)
        env.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
        env.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
        env.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
        result = CliRunner().invoke(main, [*command, option, str(taken)])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("tradeguard: ")]
    assert len(errors) == 1, result.stderr
    (line,) = errors
    assert f"cannot listen on 127.0.0.1:{taken}: Address already in use" in line
    assert f"(give another {option}; 0 picks a free one)" in line
    assert "error while attempting" not in line and "Traceback" not in result.output
