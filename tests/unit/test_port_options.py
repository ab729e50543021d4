"""A port out of range is one usage line naming the option, on every command that takes one
(it was bind()'s OverflowError with a traceback)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tradeguard.cli.app import main


@pytest.mark.parametrize(
    "args",
    [
        ["gateway", "--port", "99999"],
        ["dashboard", "--port", "70000"],
        ["sim", "--port", "-1"],
        ["run", "bot.py", "--web-port", "65536"],
    ],
)
def test_a_port_out_of_range_is_one_usage_line(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "is not in the range 0<=x<=65535" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
