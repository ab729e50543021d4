"""A running session picks up a rotated key without a restart.

`tradeguard keys rotate` audits the new key, stores it where the profile reads it (keyring
entries, a 0600 file) and touches a stamp file. The session polls that stamp (one stat every
few seconds); when it changes, it re-reads the credentials, audits the new key against the
exchange on a transport of its own, and only then swaps it in between two requests: REST and
the user stream both sign with it from then on, and the journal masks the new secret too. A
key that fails its audit is not used: the session keeps the old one and journals why.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tradeguard.errors import TradeguardError
from tradeguard.events import ErrorRaised, KeyAudited
from tradeguard.journal.redact import Redactor
from tradeguard.keys.credentials import ApiCredentials, key_prefix
from tradeguard.profile.profiles import Profile


async def follow_rotations(session: Any, profile: Profile, every_s: float = 5.0) -> None:
    """Run until cancelled: swap in a rotated key once it passes its audit."""
    from tradeguard.cli.keys import CredentialWatch

    if profile.credentials is None:
        return  # the embedded simulator's key does not rotate
    watch = CredentialWatch(profile.name)
    while True:
        await asyncio.sleep(every_s)
        if watch.poll():
            await rotate_now(session, profile)


async def rotate_now(session: Any, profile: Profile) -> bool:
    """Re-read, audit and swap; True when a new key is in use."""
    from tradeguard.cli.keys import reload_credentials
    from tradeguard.doctor import checks as doctor
    from tradeguard.venues.binance.client import BinanceTransport

    transport = session.transport
    current: ApiCredentials = transport.credentials
    now = session.clock.wall_ms
    try:
        fresh = reload_credentials(profile.require_credentials(), current)
        if fresh is None:
            return False
        probe = BinanceTransport(transport.base_url, fresh, clock=session.clock)
        try:
            await probe.sync_clock()
            facts = await doctor.connect_audit(profile, probe)
        finally:
            await probe.close()
    except TradeguardError as exc:
        session.recorder.record(
            ErrorRaised(at_ms=now(), profile=session.profile, error=type(exc).__name__,
                        message=f"key rotation refused; still using {key_prefix(current.api_key)}:"
                        f" {exc}")
        )  # fmt: skip
        return False
    journal = session.recorder.journal
    journal.set_redactor(
        Redactor(api_keys=[current.api_key, fresh.api_key],
                 secrets=[current.secret, fresh.secret])
    )  # fmt: skip
    transport.credentials = fresh
    stream = getattr(session, "stream", None)
    if stream is not None:
        stream.renew(fresh)
    report = facts.report
    session.recorder.record(
        KeyAudited(
            at_ms=now(), profile=session.profile, api_key=key_prefix(fresh.api_key), passed=True,
            permissions=tuple(report.permissions()) if report else (),
            findings=(f"rotation: replaces {key_prefix(current.api_key)}; revoke it at the "
                      "exchange",),
            ip_restricted=report.ip_restricted if report else None,
        ),
        durable=True,
    )  # fmt: skip
    return True
