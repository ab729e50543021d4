"""`tradeguard dashboard`: the live web page of one or more profiles (argument parsing only;
aiohttp and the dashboard are imported inside the command, so `tradeguard --help` stays fast).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tradeguard.cli.exits import fail, refused
from tradeguard.cli.options import PORT, config_option
from tradeguard.errors import TradeguardError, cannot_listen

if TYPE_CHECKING:
    from tradeguard.dashboard.serve import WebOptions
    from tradeguard.profile.profiles import Profile

DEFAULT_PORT = 8470  # dashboard.serve.DEFAULT_PORT, kept here so --help imports nothing


def web_options(f: click.decorators.FC) -> click.decorators.FC:
    """--host, --port and --token, the same on `dashboard` and `run --web`."""
    f = click.option(
        "--token",
        default=None,
        envvar="TRADEGUARD_DASHBOARD_TOKEN",
        help="Password every request must carry; required with --host beyond 127.0.0.1 "
        "[env TRADEGUARD_DASHBOARD_TOKEN].",
    )(f)
    f = click.option(
        "--port", default=DEFAULT_PORT, show_default=True, type=PORT, help="Port; 0 picks one."
    )(f)
    return click.option(
        "--host",
        default="127.0.0.1",
        show_default=True,
        help="Address to listen on; another than loopback needs --token.",
    )(f)


@click.command()
@click.option(
    "--profile",
    "-p",
    "profiles",
    multiple=True,
    metavar="NAME",
    help="Profile to show; repeat for several bots (one page each) "
    "[default: $TRADEGUARD_PROFILE, else default].",
)
@config_option()
@web_options
def dashboard(
    profiles: tuple[str, ...], config: Path | None, host: str, port: int, token: str | None
) -> None:
    """A live web page of a profile's bot, read from its journal: positions and PnL, balances
    against the limits, orders, fills, the exchange's limits, errors, the ladder, and a kill
    button (reset stays `tradeguard kill --reset`). Also GET /metrics for Prometheus. Runs
    until Ctrl-C (exit 130) or SIGTERM (143)."""
    from tradeguard.dashboard.serve import WebOptions
    from tradeguard.profile.profiles import load

    options = WebOptions(
        host=host,
        port=port,
        token=token,
        on_ready=lambda url: click.echo(f"tradeguard dashboard on {url} (Ctrl-C stops it)"),
    )
    try:
        options.check()
        loaded = [load(name, config=config) for name in (profiles or (None,))]
        code = asyncio.run(_serve(loaded, config, options))
    except TradeguardError as exc:
        refused(exc)
    except OSError as exc:
        fail(str(cannot_listen(host, port, exc)))
    sys.exit(code)


async def _serve(profiles: list[Profile], config: Path | None, options: WebOptions) -> int:
    """Serve until a signal; its exit code (the page's journal tails closed first)."""
    from tradeguard.cli.signals import stop_signals
    from tradeguard.dashboard.serve import start

    with stop_signals() as stopped:  # from before the URL is printed
        running = await start(profiles, config, options)
        try:
            return await stopped
        finally:
            await running.close()
