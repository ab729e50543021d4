"""`tradeguard doctor`: every pre-flight check as one table (or JSON), each with its fix.

Exit 0 when nothing failed (warnings and unverified checks included), 1 when a check failed,
2 for bad input (no such profile, a broken tradeguard.toml, a secret pasted into it). Only click
is imported at module level; the checks, rich and the simulator load inside the command.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tradeguard.cli.options import config_option, profile_option

if TYPE_CHECKING:
    from tradeguard.doctor.checks import Check

_COLOURS = {"pass": "green", "warn": "yellow", "fail": "bold red", "unverified": "magenta"}


@click.command()
@profile_option(name="profile_name")
@config_option(name="config_path")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.option(
    "--sim-key",
    default=None,
    metavar="NAME",
    help="env = sim without a base_url: which built-in key of the embedded simulator to check "
    "[default: trade-only].",
)
@click.option(
    "--ntp",
    "ntp_server",
    default="pool.ntp.org",
    show_default=True,
    help='NTP server to compare the host clock with; "" to skip.',
)
def doctor(
    profile_name: str | None,
    config_path: Path | None,
    as_json: bool,
    sim_key: str | None,
    ntp_server: str,
) -> None:
    """Check everything before trading: credentials, key permissions, IP whitelist, key age,
    clocks, rate limits, rung and caps, journal.

    \b
    pass        fine
    warn        allowed here, but fix it before going further
    fail        tradeguard refuses to trade until it is fixed
    unverified  could not be checked (never counted as a pass)
    """
    import asyncio

    from tradeguard.doctor.checks import Check, DoctorOptions, exchange_url, run_checks
    from tradeguard.errors import TradeguardError
    from tradeguard.keys.audit import Level
    from tradeguard.profile.profiles import load

    try:
        profile = load(profile_name, config=config_path)
    except TradeguardError as exc:
        checks = [Check("profile", Level.FAIL, exc.message, exc.hint or "")]
        _show(checks, as_json)
        sys.exit(2)
    options = DoctorOptions(sim_key=sim_key, ntp_server=ntp_server or None)
    if sim_key is not None and exchange_url(profile, options) is not None:
        why = "it has a base_url" if profile.base_url else f"it is on env {profile.env}"
        click.echo(
            "tradeguard: --sim-key names a built-in key of the embedded simulator, and profile "
            f"{profile.name} does not use it ({why}; its own credentials are checked) "
            "(drop --sim-key, or the profile's base_url)",
            err=True,
        )
        sys.exit(2)
    try:
        checks = asyncio.run(run_checks(profile, options))
    except TradeguardError as exc:  # a fault in doctor itself, reported as one line
        click.echo(f"tradeguard: {exc}", err=True)
        sys.exit(2)
    _show(checks, as_json)
    sys.exit(1 if any(c.level is Level.FAIL for c in checks) else 0)


def _show(checks: list[Check], as_json: bool) -> None:
    if as_json:
        import json

        failed = any(c.level.value == "fail" for c in checks)
        body: dict[str, Any] = {"ok": not failed, "checks": [c.to_json() for c in checks]}
        click.echo(json.dumps(body, indent=2))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_lines=False, header_style="bold")
    for column in ("check", "result", "detail", "fix"):
        table.add_column(column, overflow="fold")
    for c in checks:
        level = c.level.value
        # detail and fix are text, never markup: "[profiles.bot]" in a fix must stay whole
        row = (escape(c.name), f"[{_COLOURS[level]}]{level}[/]", escape(c.detail), escape(c.fix))
        table.add_row(*row, style=None)
    console = Console(soft_wrap=False, highlight=False)
    console.print(table)
    counts = {level: sum(1 for c in checks if c.level.value == level) for level in _COLOURS}
    summary = ", ".join(f"{n} {level}" for level, n in counts.items() if n)
    verdict = "refused: fix the failed checks" if counts["fail"] else "ready"
    console.print(f"{summary} — {verdict}", markup=False)


__all__ = ["doctor"]
