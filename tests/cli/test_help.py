"""`tradeguard --help` opens with a line per command (what a newcomer reads first): every
command the CLI has is in it, not only in click's list of truncated docstrings below."""

from __future__ import annotations

from click.testing import CliRunner

from tradeguard.cli.app import main


def test_the_help_s_summary_names_every_command() -> None:
    shown = CliRunner().invoke(main, ["--help"]).stdout
    summary = shown.split("Options:")[0]
    for name in main.commands:
        assert f"  tradeguard {name} " in summary, name
