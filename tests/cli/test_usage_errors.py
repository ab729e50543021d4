"""A usage mistake (an unknown option or command, a missing argument, a bad choice or number)
is one line on stderr in the project's style, `tradeguard: <command>: <what> ...`, naming the
command's `--help`, with click's exit code 2: never click's multi-line Usage/Try/Error block."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from tradeguard.cli.app import main


def _commands(command: click.Command, path: list[str]) -> Iterator[list[str]]:
    yield path
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, [*path, name])


EVERY_COMMAND = list(_commands(main, []))


def _one_line(args: list[str], help_for: str) -> str:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("tradeguard: ")
    assert f"`{help_for} --help`" in line
    assert "Usage:" not in line and "Error:" not in line and "Try '" not in line
    return line


def test_every_command_is_walked() -> None:
    assert ["run"] in EVERY_COMMAND and ["journal", "at"] in EVERY_COMMAND
    assert ["keys", "rotate"] in EVERY_COMMAND and ["gateway"] in EVERY_COMMAND


@pytest.mark.parametrize("path", EVERY_COMMAND, ids=lambda path: " ".join(path) or "tradeguard")
def test_an_unknown_option_is_one_line_on_every_command(path: list[str]) -> None:
    line = _one_line([*path, "--no-such-option"], " ".join(["tradeguard", *path]))
    assert "--no-such-option" in line


@pytest.mark.parametrize(
    ("args", "help_for", "said"),
    [
        (["nosuchcmd"], "tradeguard", "no such command 'nosuchcmd'"),
        (["journal", "tial"], "tradeguard journal", "no such command 'tial'"),
        (["run"], "tradeguard run", "missing argument 'BOT'"),
        (["journal", "at"], "tradeguard journal at", "missing argument 'TIME'"),
        (["journal", "show"], "tradeguard journal show", "missing option '--order'"),
        (["run", "bot.py", "--venue", "nope"], "tradeguard run", "'nope' is not one of"),
        (["journal", "export", "--format", "xml"], "tradeguard journal export", "'xml'"),
        (["dashboard", "--port", "abc"], "tradeguard dashboard", "'abc' is not a valid port"),
        (["sim", "--port", "70000"], "tradeguard sim", "0<=x<=65535"),
        (["kill", "--rest"], "tradeguard kill", "(did you mean one of: '--reason', '--reset'?)"),
        (["scan", "--histry"], "tradeguard scan", "'--histry' (did you mean '--history'?);"),
    ],
)
def test_each_kind_of_usage_mistake_is_one_line(args: list[str], help_for: str, said: str) -> None:
    assert said in _one_line(args, help_for)


def test_a_command_line_that_is_right_still_works() -> None:
    result = CliRunner().invoke(main, ["journal", "at", "--help"])
    assert result.exit_code == 0 and "Usage:" in result.stdout
    assert CliRunner().invoke(main, ["--version"]).exit_code == 0
