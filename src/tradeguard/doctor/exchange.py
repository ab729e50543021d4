"""Which exchange and key `tradeguard doctor` checks: the ones `tradeguard run` would use.

`connect.exchange_urls` decides, as it does for connect: the profile's base_url (or the venue's
address for its env) with the profile's own credentials, env = "sim" included; only env = "sim"
without a base_url means the embedded simulator, started for the checks with one of its
built-in keys. `venue_check` is connect's own venue refusal as a row. An I/O edge; nothing here
shows a secret (credentials appear as the names they are read from and the key's prefix).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from tradeguard.doctor.local import Check, DoctorOptions, ProfileView
from tradeguard.errors import CredentialsError
from tradeguard.keys.audit import Level
from tradeguard.keys.credentials import ApiCredentials, Secret, key_prefix

if TYPE_CHECKING:
    from tradeguard.sim.server import RunningSim

DEFAULT_SIM_KEY = "trade-only"


def venue_check(profile: ProfileView) -> Check:
    """Whether `tradeguard run` can trade on the profile's venue (connect's own refusal)."""
    from tradeguard.session.connect import venue_refusal

    refused = venue_refusal(profile.name, profile.venue)
    if refused is not None:
        return Check("venue", Level.FAIL, refused.message, refused.hint or "")
    return Check("venue", Level.PASS, f"{profile.venue}: traded by `tradeguard run`")


def exchange_url(profile: ProfileView, options: DoctorOptions) -> str | None:
    """The REST root `connect` uses for this profile (`options.base_url` standing in for the
    profile's base_url); None for the embedded simulator."""
    from tradeguard.session.connect import exchange_urls

    urls = exchange_urls(profile.env, options.base_url or profile.base_url, profile.venue)
    return None if urls is None else urls[0]


@contextlib.asynccontextmanager
async def profile_exchange(
    profile: ProfileView, options: DoctorOptions
) -> AsyncIterator[tuple[str | None, ApiCredentials | None, Check]]:
    """(base URL, credentials, the credentials check): the exchange and key `connect` would use;
    for the embedded simulator, one runs meanwhile with one of its built-in keys."""
    if profile.venue != "binance":  # Bybit, OKX, Kraken: ccxt finds the venue's own address
        creds, check = load_profile_credentials(profile, options)
        yield None, creds, check
        return
    base_url = exchange_url(profile, options)
    if base_url is not None:
        creds, check = load_profile_credentials(profile, options)
        yield base_url, creds, check
        return
    running = options.sim
    started = None
    if running is None:
        from tradeguard.sim import server
        from tradeguard.sim.config import SimConfig

        running = started = await server.start(SimConfig.default(seed=1))
    try:
        name = options.sim_key or DEFAULT_SIM_KEY
        creds, check = sim_credentials(running, name)
        yield running.base_url, creds, check
    finally:
        if started is not None:
            await started.close()


def sim_credentials(running: RunningSim, name: str) -> tuple[ApiCredentials | None, Check]:
    listing = {str(k["name"]): k for k in running.key_listing}
    key = listing.get(name)
    if key is None:
        return None, Check(
            "credentials",
            Level.FAIL,
            f"the simulator has no built-in key {name!r}",
            f"use one of {', '.join(sorted(listing))}",
        )
    creds = ApiCredentials(str(key["api_key"]), Secret(str(key["secret"])), kind=key["kind"])  # type: ignore[arg-type]
    return creds, Check(
        "credentials",
        Level.PASS,
        f"the simulator's built-in key {name!r} ({key_prefix(creds.api_key)}, {creds.kind})",
    )


def load_profile_credentials(
    profile: ProfileView, options: DoctorOptions
) -> tuple[ApiCredentials | None, Check]:
    from tradeguard.keys.credentials import load_credentials

    spec = profile.credentials
    if spec is None:
        return None, Check(
            "credentials",
            Level.FAIL,
            f"profile {profile.name} has no credentials, and env {profile.env!r} needs them",
            f'add [profiles.{profile.name}.credentials] with source = "env", '
            'api_key = "BINANCE_API_KEY", secret = "BINANCE_API_SECRET", then export both',
        )
    try:
        creds = load_credentials(spec, options.env, keyring_backend=options.keyring_backend)
    except CredentialsError as exc:
        return None, Check("credentials", Level.FAIL, exc.message, exc.hint or "")
    from tradeguard.keys.shape import shown

    names = ", ".join(f"{k} from {shown(v)}" for k, v in spec.names().items())
    where = {"env": "environment", "keyring": "OS keyring", "file": "0600 file"}[spec.source]
    return creds, Check(
        "credentials",
        Level.PASS,
        f"{where}: {names} (key {key_prefix(creds.api_key)}, {creds.kind})",
    )


__all__ = [
    "DEFAULT_SIM_KEY",
    "exchange_url",
    "load_profile_credentials",
    "profile_exchange",
    "sim_credentials",
    "venue_check",
]
