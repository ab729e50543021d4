"""The options every command that reads a profile shares, spelled the same everywhere:
`--profile/-p NAME` and `--config PATH` (as `tradeguard run` spells them).

Only click is imported here (it is imported by every cli module at start).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


class _Port(click.IntRange):
    name = "port"  # "'abc' is not a valid port", not click's "valid integer range"


# a TCP port: out of range is click's one-line usage error, not bind()'s traceback
PORT = _Port(0, 65535)

PROFILE_HELP = "Profile in tradeguard.toml [default: $TRADEGUARD_PROFILE, else default]."
CONFIG_HELP = (
    "tradeguard.toml to read [default: $TRADEGUARD_CONFIG, ./tradeguard.toml, "
    "$XDG_CONFIG_HOME/tradeguard/tradeguard.toml]."
)


def profile_option(help: str = PROFILE_HELP, name: str = "profile") -> Callable[[F], F]:
    """`--profile/-p NAME`, given to the command as the parameter `name`."""
    return click.option("--profile", "-p", name, default=None, metavar="NAME", help=help)


def config_option(help: str = CONFIG_HELP, name: str = "config") -> Callable[[F], F]:
    """`--config PATH`, given to the command as the parameter `name`."""
    return click.option("--config", name, type=click.Path(path_type=Path), default=None, help=help)
