"""`tradeguard gateway`: serve Binance Spot's REST and WebSocket API on loopback for a bot that
keeps its code.

Only click is imported at module level; the session, aiohttp and the gateway are imported when
the command runs, so that `tradeguard --help` stays fast.

The local keys are the profile's `[profiles.NAME.gateway]` keys when it has them (one per bot,
each with limits of its own, values read as credentials are). Otherwise the local key the bot
signs with is made for this run, unless TRADEGUARD_GATEWAY_API_KEY and
TRADEGUARD_GATEWAY_SECRET hold one (a bot keeps the same key across restarts). A fresh secret
is shown once: on the terminal, or, when the output is not a terminal (a service's log), in a
file only the user can read, whose path is printed instead. It is never journaled or logged.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tradeguard.cli.exits import fail, refused
from tradeguard.cli.options import PORT, config_option, profile_option
from tradeguard.errors import ConfigError, TradeguardError, cannot_listen

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tradeguard.gateway.local_keys import LocalKey
    from tradeguard.profile.gateway_keys import GatewayKeySpec

KEY_ENV = "TRADEGUARD_GATEWAY_API_KEY"
SECRET_ENV = "TRADEGUARD_GATEWAY_SECRET"


@click.command()
@profile_option()
@config_option()
@click.option(
    "--port", default=8765, show_default=True, type=PORT, help="Port on 127.0.0.1; 0 picks one."
)
def gateway(profile: str | None, config: Path | None, port: int) -> None:
    """Serve Binance Spot's REST and WebSocket API on 127.0.0.1 for a bot that speaks them.

    The bot points its base URL here and signs with the local key printed at start; every
    order goes through the guard, and the real key stays in the profile. Withdrawals,
    transfers and every /sapi/ call are refused. Runs until Ctrl-C (exit 130) or SIGTERM
    (143); the session then closes as the profile says (cancel_on_exit).
    """
    import asyncio

    try:
        code = asyncio.run(serve(profile, config, port))
    except TradeguardError as exc:
        refused(exc)
    except OSError as exc:
        fail(str(cannot_listen("127.0.0.1", port, exc)))
    sys.exit(code)


def profile_keys(specs: Sequence[GatewayKeySpec]) -> list[LocalKey]:
    """The profile's gateway keys, their values read from the environment or the keyring as
    credentials are (a CredentialsError naming what is missing, never a value)."""
    import dataclasses

    from tradeguard.gateway.local_keys import API_KEY_RE, LocalKey
    from tradeguard.keys.credentials import load_credentials

    keys = []
    for spec in specs:
        creds = load_credentials(spec.credentials, os.environ)
        if not API_KEY_RE.fullmatch(creds.api_key):
            raise ConfigError(
                f"gateway key {spec.name}: its api_key ({spec.credentials.api_key}) must be "
                "1-128 letters and digits, as Binance's keys are",
                hint="store a key of letters and digits there",
            )
        if spec.public_key is not None:  # the bot's own Ed25519 key: its public key file
            key = LocalKey.ed25519_file(spec.name, creds.api_key, Path(spec.public_key))
        else:
            key = LocalKey(spec.name, creds.api_key, creds.secret)
        keys.append(
            dataclasses.replace(
                key,
                max_order_notional=spec.max_order_notional,
                max_orders_per_minute=spec.max_orders_per_minute,
            )
        )
    if len({k.api_key for k in keys}) != len(keys):
        raise ConfigError(
            "two gateway keys have the same api_key", hint="give each bot a key of its own"
        )
    return keys


def local_key() -> tuple[LocalKey, bool]:
    """(the key, whether it was made now): from the environment if both variables are set."""
    from tradeguard.gateway.local_keys import API_KEY_RE, LocalKey
    from tradeguard.keys.credentials import Secret

    api_key, secret = os.environ.get(KEY_ENV), os.environ.get(SECRET_ENV)
    if api_key is None and secret is None:
        return LocalKey.generate(), True
    if not api_key or not secret:
        raise ConfigError(
            f"only one of {KEY_ENV} and {SECRET_ENV} is set",
            hint="set both (a key of your own) or neither (one is made for this run)",
        )
    if not API_KEY_RE.fullmatch(api_key):
        raise ConfigError(f"{KEY_ENV} must be 1-128 letters and digits, as Binance's keys are")
    return LocalKey("bot", api_key, Secret(secret)), False


async def serve(profile: str | None, config: Path | None, port: int) -> int:
    """Connect, serve, print how to reach it, and wait for a signal; the exit code."""
    from tradeguard.cli.runner import stop_lines
    from tradeguard.cli.signals import signal_name, stop_signals
    from tradeguard.gateway import server
    from tradeguard.gateway.local_keys import LocalKeys
    from tradeguard.profile import profiles
    from tradeguard.session.connect import connect

    loaded = profiles.load(profile, config=config)
    specs = loaded.gateway_keys
    if specs:
        keys, fresh = profile_keys(specs), False
    else:
        key, fresh = local_key()
        keys = [key]
    tg = await connect(loaded)
    try:
        running = await server.start(tg, LocalKeys(keys), port=port)
    except BaseException:
        await tg.close()
        raise
    shut = None
    try:
        with stop_signals() as stopped:
            if specs:
                _announce_profile_keys(tg.profile, tg.guard.rung, running.base_url, keys)
            else:
                _announce(tg.profile, tg.guard.rung, running.base_url, keys[0], fresh)
            code = await stopped
    finally:
        await running.close()
        shut = await tg.close(reason="gateway stopped")
    # what became of the bot's open orders: cancelled (cancel_on_exit), or left open
    click.echo(f"tradeguard gateway: stopped by {signal_name(code)}")
    if shut is not None:
        for line in stop_lines(tg, shut):
            click.echo(line)
    return code


def _announce(profile: str, rung: str, url: str, key: LocalKey, fresh: bool) -> None:
    click.echo(f"tradeguard gateway: profile {profile} ({rung}) served at {url}")
    click.echo(f"  base URL  {url}   (Binance Spot REST: {url}/api/v3)")
    click.echo(f"  API key   {key.api_key}")
    if not fresh:
        click.echo(f"  secret    from ${SECRET_ENV}")
    elif sys.stdout.isatty():
        click.echo(f"  secret    {key.secret.reveal()}   (shown once; never logged or journaled)")
    else:
        path = _secret_file(profile, key)
        click.echo(f"  secret    in {path} (readable by you only; the output is not a terminal)")
    click.echo("Ctrl-C stops it.", nl=True)
    sys.stdout.flush()


def _announce_profile_keys(profile: str, rung: str, url: str, keys: Sequence[LocalKey]) -> None:
    click.echo(f"tradeguard gateway: profile {profile} ({rung}) served at {url}")
    click.echo(f"  base URL  {url}   (Binance Spot REST: {url}/api/v3)")
    for key in keys:
        limits = [
            f"max_order_notional {key.max_order_notional}" if key.max_order_notional else "",
            f"max_orders_per_minute {key.max_orders_per_minute}"
            if key.max_orders_per_minute
            else "",
        ]
        own = ", ".join(x for x in limits if x) or "the profile's limits only"
        signs = "secret from the profile"
        if key.public_key_file is not None:
            signs = f"Ed25519 (the bot's own; public key from {key.public_key_file})"
        click.echo(f"  key {key.name}: API key {key.api_key} ({signs}; {own})")
    click.echo("Ctrl-C stops it.", nl=True)
    sys.stdout.flush()


def _secret_file(profile: str, key: LocalKey) -> Path:
    """The run's key pair in $XDG_STATE_HOME/tradeguard/gateway-<profile>.key, mode 0600."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    path = Path(base) / "tradeguard" / f"gateway-{profile}.key"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(f"api_key={key.api_key}\nsecret={key.secret.reveal()}\n")
    return path
