"""`-p NAME` works on every command that reads a profile (issue 12, item 20): each command's
--help lists it, so a user's `-p bot` never meets "no such option"."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from tradeguard.cli.app import main


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        if isinstance(command, click.Group):
            found += _commands(command, path)
        else:
            found.append(path)
    return found


@pytest.mark.parametrize("path", _commands(main), ids=" ".join)
def test_every_command_with_a_profile_takes_dash_p(path: tuple[str, ...]) -> None:
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    opts = {o for p in command.params for o in getattr(p, "opts", ())}
    if "--profile" in opts:
        assert "-p" in opts, f"tradeguard {' '.join(path)} has --profile but no -p"
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0 and "-p, --profile" in result.output
