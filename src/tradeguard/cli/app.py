"""The `tradeguard` command: argument parsing and printing only.

Heavy libraries (aiohttp, rich, ccxt, keyring) are imported inside the commands that need them,
so that `tradeguard --help` starts fast. Every expected failure ends as one clear line on stderr
and a non-zero exit code, never a stack trace.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from tradeguard.cli import dashboard as dashboard_cli
from tradeguard.cli import doctor as doctor_cli
from tradeguard.cli import gateway as gateway_cli
from tradeguard.cli import journal as journal_cli
from tradeguard.cli import keys as keys_cli
from tradeguard.cli import promote as promote_cli
from tradeguard.cli import run as run_cli
from tradeguard.cli import scan as scan_cli
from tradeguard.cli.exits import OneLineUsageErrors, fail
from tradeguard.cli.options import PORT
from tradeguard.errors import TradeguardError, cannot_listen

F = TypeVar("F", bound=Callable[..., object])


@click.group(cls=OneLineUsageErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tradeguard")
def main() -> None:
    """Connect trading code to crypto exchanges safely.

    \b
    tradeguard run BOT.py   run a bot through the guard (the embedded simulator by default)
    tradeguard doctor       pre-flight: credentials, key permissions, IP whitelist, clock, rung
    tradeguard account      balances, open orders, recent trades (read-only)
    tradeguard kill         kill switch: a running bot cancels and stops; latched until --reset
    tradeguard dashboard    a live web page of the bot, from its journal; /metrics for Prometheus
    tradeguard journal      tail, show an order's life, state at a moment, verify, export
    tradeguard promote      climb the ladder: sim → testnet → live-small → live
    tradeguard keys rotate  audit a new API key and swap it in; revoke the old one
    tradeguard gateway      Binance's REST and WebSocket API on 127.0.0.1, through the guard
    tradeguard scan [PATH]  hard-coded keys and secrets in files and git history
    tradeguard sim          a Binance-Spot-compatible exchange on loopback, with faults
    tradeguard demo         a short scripted run on the embedded simulator
    """


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=0, show_default=True, type=PORT, help="Port; 0 picks a free one.")
@click.option("--seed", default=None, type=int, help="Seed of the synthetic market and keys.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="sim.toml with symbols, balances, keys, limits and faults.",
)
@click.option(
    "--venue",
    default=None,
    help="The wire to speak: binance (default), bybit, okx or kraken.",
)
def sim(
    host: str, port: int, seed: int | None, config_path: Path | None, venue: str | None
) -> None:
    """Serve a local exchange (Binance Spot's wire, or --venue's) until stopped.

    Prints one JSON line on start: the URLs it serves (base_url, control_url and the
    venue's WebSocket URLs) and the built-in API keys.
    """
    from tradeguard.sim import server

    try:
        code = server.main(host=host, port=port, seed=seed, config_path=config_path, venue=venue)
    except TradeguardError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(str(cannot_listen(host, port, exc)))
    sys.exit(code)


@main.command()
@click.option("--seed", default=7, show_default=True, help="Seed of the simulated market.")
def demo(seed: int) -> None:
    """Start the embedded simulator and drive a short scripted run of orders and fills."""
    from tradeguard.cli import demo as demo_run

    try:
        code = demo_run.main(seed=seed)
    except TradeguardError as exc:
        fail(str(exc))
    sys.exit(code)


main.add_command(run_cli.run)
main.add_command(run_cli.kill)
main.add_command(run_cli.account)
main.add_command(dashboard_cli.dashboard)
main.add_command(journal_cli.journal)
main.add_command(promote_cli.promote)
main.add_command(doctor_cli.doctor)
main.add_command(keys_cli.keys)
main.add_command(scan_cli.scan)
main.add_command(gateway_cli.gateway)

if __name__ == "__main__":  # pragma: no cover
    main()
