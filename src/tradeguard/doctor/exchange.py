"""Which exchange and key `tradeguard doctor` checks: the ones `tradeguard run` would use.

`connect.exchange_urls` decides, as it does for connect: the profile's base_url (or the venue's
address for its env) with the profile's own credentials, env = "sim" included; only env = "sim"
without a base_url means the embedded simulator, started for the checks in the profile's
venue's dialect with one of its built-in keys. `open_doctor_venue` opens the venue connect
would open (`connect.open_venue`), and `clock_check` and `symbols_check` ask it.
`venue_check` is connect's own venue refusal as a row. An I/O edge; nothing here shows a
secret (credentials appear as the names they are read from and the key's prefix).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, cast

from tradeguard.doctor.local import Check, DoctorOptions, ProfileView
from tradeguard.errors import (
    ClockSkewError,
    ConfigError,
    CredentialsError,
    ExchangeError,
    RateLimited,
    TradeguardError,
    TransportError,
)
from tradeguard.keys.audit import Level
from tradeguard.keys.credentials import ApiCredentials, key_prefix
from tradeguard.net.clocksync import SkewPolicy

if TYPE_CHECKING:
    from tradeguard.sim.server import RunningSim
    from tradeguard.venues.protocol import Venue

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
) -> AsyncIterator[tuple[str | None, ApiCredentials | None, Check, RunningSim | None]]:
    """(base URL, credentials, the credentials check, the embedded simulator or None): the
    exchange and key `connect` would use; for the embedded simulator, one runs meanwhile in
    the profile's venue's dialect with one of its built-in keys."""
    base_url = exchange_url(profile, options)
    if base_url is not None:
        creds, check = load_profile_credentials(profile, options)
        yield base_url, creds, check, None
        return
    running = (
        options.sim if options.sim is not None and options.sim.venue == profile.venue else None
    )
    started = None
    if running is None:
        from tradeguard.sim import server
        from tradeguard.sim.config import SimConfig

        running = started = await server.start(SimConfig.default(seed=1, venue=profile.venue))
    try:
        fix = getattr(profile, "order_transport", None) == "fix"  # as connect picks its key
        name = options.sim_key or ("trade-only-ed25519" if fix else DEFAULT_SIM_KEY)
        creds, check = sim_credentials(running, name)
        yield running.base_url, creds, check, running
    finally:
        if started is not None:
            await started.close()


def sim_credentials(running: RunningSim, name: str) -> tuple[ApiCredentials | None, Check]:
    from tradeguard.session.connect import sim_key_credentials

    creds = sim_key_credentials(running.key_listing, name)
    if creds is None:
        names = sorted(str(k["name"]) for k in running.key_listing)
        return None, Check(
            "credentials",
            Level.FAIL,
            f"the simulator has no built-in key {name!r}",
            f"use one of {', '.join(names)}",
        )
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


def open_doctor_venue(
    profile: ProfileView,
    options: DoctorOptions,
    base_url: str,
    creds: ApiCredentials | None,
    sim: RunningSim | None,
) -> Venue:
    """The venue `connect` would open for this profile (`session.connect.open_venue`), with
    doctor's short timeouts, its clock and skew bounds, and its state directory."""
    from tradeguard.profile.profiles import Profile
    from tradeguard.session.connect import ConnectOptions, open_venue
    from tradeguard.venues.binance.client import TransportConfig

    where = cast("Profile", profile)
    if options.base_url is not None and isinstance(profile, Profile):
        where = dataclasses.replace(profile, base_url=options.base_url)
    connect_options = ConnectOptions(
        clock=options.clock,
        transport=TransportConfig(timeout_s=10, max_attempts=2, skew=options.skew),
        host_state_dir=options.state_root() / "hosts",
    )
    venue = open_venue(where, base_url, creds, connect_options, sim)
    if hasattr(venue, "skew"):  # ccxt venues hold their skew bounds themselves
        venue.skew = options.skew
    return venue


async def clock_check(venue: Venue, base_url: str, skew: SkewPolicy) -> tuple[Check, bool]:
    """The exchange's clock against the host's, through the venue's own time call; and
    whether the exchange answered at all."""
    try:
        est = await venue.sync_clock()
    except ClockSkewError as exc:
        return Check("clock.exchange", Level.FAIL, exc.msg, exc.hint or ""), True
    except RateLimited as exc:
        check = Check("clock.exchange", Level.FAIL, str(exc), "wait for the pause or ban to end")
        return check, False
    except (TransportError, ExchangeError) as exc:
        unreached = isinstance(exc, TransportError) and exc.http_status is None
        fix = (
            "`tradeguard run` would refuse to start; check the network, and the profile's "
            "base_url (or env) if this is not the exchange meant"
            if unreached
            else exc.hint or "check the network and the profile's env"
        )
        detail = f"the exchange at {base_url} did not answer: {_text(exc)}"
        return Check("clock.exchange", Level.FAIL, detail, fix), False
    direction = "behind" if est.skew_ms > 0 else "ahead of"
    return Check(
        "clock.exchange",
        Level.PASS,
        f"host clock {abs(est.skew_ms):.0f} ms {direction} the exchange "
        f"(round trip {est.rtt_ms:.0f} ms; allowed {skew.max_skew_ms:.0f} ms)",
    ), True


async def symbols_check(profile: ProfileView, venue: Venue) -> Check:
    """The profile's symbols among those the exchange lists, read as connect reads them."""
    wanted = [s.binance for s in profile.symbols]
    try:
        await venue.symbol_rules(wanted, profile.name)
    except ConfigError as exc:
        return Check("symbols", Level.FAIL, exc.message, exc.hint or "")
    except (TransportError, ExchangeError) as exc:
        return Check(
            "symbols",
            Level.FAIL,
            f"the exchange's symbol list did not answer: {_text(exc)}",
            exc.hint or "check the network, then run `tradeguard doctor` again",
        )
    return Check("symbols", Level.PASS, f"the exchange lists {', '.join(wanted)}")


def _text(exc: TradeguardError) -> str:
    """An error's own words, without the code prefix ExchangeError adds to its message."""
    return exc.msg if isinstance(exc, ExchangeError) else exc.message


__all__ = [
    "DEFAULT_SIM_KEY",
    "clock_check",
    "exchange_url",
    "load_profile_credentials",
    "open_doctor_venue",
    "profile_exchange",
    "sim_credentials",
    "symbols_check",
    "venue_check",
]
