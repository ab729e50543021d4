"""`tradeguard run`, `tradeguard kill` and `tradeguard account`: argument parsing and printing.

Only click is imported here at module level; each command imports what it needs, so that
`tradeguard --help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from tradeguard.cli.exits import fail, refused
from tradeguard.cli.options import PORT, config_option, profile_option
from tradeguard.errors import TradeguardError

if TYPE_CHECKING:
    from tradeguard.profile.profiles import Venue

_profile = profile_option()
_config = config_option()


@click.command()
@click.argument("bot", type=click.Path(path_type=Path))
@_profile
@_config
@click.option("--no-live", is_flag=True, help="No live progress panel (logs and CI).")
@click.option(
    "--venue",
    type=click.Choice(["binance", "bybit", "okx", "kraken"]),
    default=None,
    help="Run on this venue's embedded simulator (a profile on env = sim without a base_url); "
    "a testnet or live venue comes from its profile, with its credentials.",
)
@click.option("--web", is_flag=True, help="Serve the dashboard on 127.0.0.1 while the bot runs.")
@click.option(
    "--web-port",
    default=8470,
    show_default=True,
    type=PORT,
    help="The dashboard's port; 0 picks one.",
)
def run(
    bot: Path,
    profile: str | None,
    config: Path | None,
    no_live: bool,
    venue: str | None,
    web: bool,
    web_port: int,
) -> None:
    """Run BOT.py (which defines `async def main(tg)`) through the guard.

    With no tradeguard.toml, it runs against the embedded simulator. Ctrl-C, SIGTERM or the
    kill switch (`tradeguard kill`) stops the bot; open orders are cancelled (on a signal,
    unless the profile sets cancel_on_exit = false) and a summary says what was. One bot per
    profile: a second is refused. Exit 0 finished (or sys.exit(0)), 1 the bot raised (or
    sys.exit(n)), 2 it cannot be loaded, 3 the kill switch, 130 Ctrl-C, 143 SIGTERM. With
    --web, the bot's live page (as `tradeguard dashboard` shows it) is served while it runs,
    and at a terminal until Ctrl-C after it ends.
    """
    from tradeguard.cli import runner

    options = None
    if web:
        from tradeguard.dashboard.serve import WebOptions

        # at a terminal, the page stays up after the bot ends (Ctrl-C closes it)
        options = WebOptions(
            port=web_port,
            hold=not no_live and sys.stdin.isatty() and sys.stdout.isatty(),
            port_option="--web-port",
        )
    try:
        code = runner.main(
            bot, profile, config, live=not no_live, venue=cast("Venue | None", venue), web=options
        )
    except TradeguardError as exc:
        refused(exc)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    sys.exit(code)


@click.command()
@_profile
@_config
@click.option("--reset", is_flag=True, help="Reset a latched kill switch.")
@click.option("--reason", default="set by hand", show_default=True, help="Why (journaled).")
def kill(profile: str | None, config: Path | None, reset: bool, reason: str) -> None:
    """Latch the kill switch: a running bot cancels its orders and stops; the latch holds
    across restarts (no bot starts) until `tradeguard kill --reset`."""
    from tradeguard.session import kill_switch

    try:
        message = kill_switch.main(profile, config, reset=reset, reason=reason)
    except TradeguardError as exc:
        refused(exc)
    click.echo(message)


@click.command()
@_profile
@_config
@click.option("--trades", default=10, show_default=True, help="Recent trades to show.")
def account(profile: str | None, config: Path | None, trades: int) -> None:
    """Balances, open orders and recent trades: the read-only first step (a read-only key is
    enough)."""
    from tradeguard.cli import account as account_view

    try:
        code = account_view.main(profile, config, trades)
    except TradeguardError as exc:
        refused(exc)
    sys.exit(code)
