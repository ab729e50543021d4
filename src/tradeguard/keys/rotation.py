"""A running session picks up a rotated key without a restart, on every venue.

`tradeguard keys rotate` audits the new key, stores it where the profile reads it (keyring
entries, a 0600 file) and touches a stamp file. The session polls that stamp (one stat every
few seconds, on its heartbeat: `rotation_look`); when it changes, it re-reads the credentials,
audits the new key against the exchange on a connection of its own (Binance's transport; a
ccxt venue of its own on Bybit, OKX and Kraken), and only then swaps it in between two
requests: REST and the user stream both sign with it from then on (the stream logs in again
with it), and the journal masks the new secret too. A key that fails its audit is not used: the
session keeps the old one and journals why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tradeguard.errors import TradeguardError
from tradeguard.events import ErrorRaised, KeyAudited
from tradeguard.journal.redact import Redactor
from tradeguard.keys.credentials import ApiCredentials, key_prefix
from tradeguard.profile.profiles import Profile

_EARLY_BEAT_S = 0.01  # a beat that wakes a hair early still counts as the interval passed


def rotation_look(
    session: Any,
    profile: Profile,
    every_s: float = 5.0,
    *,
    monotonic: Callable[[], float] | None = None,
) -> Callable[[], None] | None:
    """A duty for the session's heartbeat (session/stop.py): once `every_s` has passed by the
    session's clock, one stat of the rotation stamp; when it changed, the swap (`rotate_now`,
    which reads and audits the key over the network) runs as a task of its own, and no look
    is taken until it ends. No timer of its own: the beat that wakes the loop for the kill
    switch and the alerts looks too. None where the key does not rotate (the embedded
    simulator's)."""
    from tradeguard.cli.keys import CredentialWatch

    if profile.credentials is None:
        return None
    watch = CredentialWatch(profile.name)
    now = monotonic or session.clock.monotonic
    looked = now()
    swapping = False

    async def swap() -> None:
        nonlocal swapping
        try:
            await rotate_now(session, profile)
        finally:
            swapping = False

    def look() -> None:
        nonlocal looked, swapping
        if swapping or now() - looked < every_s - _EARLY_BEAT_S:
            return
        looked = now()
        if watch.poll():
            swapping = True
            session._spawn(swap())

    return look


async def rotate_now(session: Any, profile: Profile) -> bool:
    """Re-read, audit and swap; True when a new key is in use."""
    from tradeguard.cli.keys import reload_credentials

    transport = session.transport
    current: ApiCredentials = transport.credentials
    now = session.clock.wall_ms
    try:
        fresh = reload_credentials(profile.require_credentials(), current)
        if fresh is None:
            return False
        facts = await _audit(session, profile, fresh)
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
                 secrets=current.secrets() + fresh.secrets())
    )  # fmt: skip
    transport.use_credentials(fresh)
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


async def _audit(session: Any, profile: Profile, fresh: ApiCredentials) -> Any:
    """The audit a connect runs, on a connection of the new key's own (raises KeyAuditFailed)."""
    from tradeguard.doctor import checks as doctor

    transport = session.transport
    if transport.name != "binance":  # Bybit, OKX, Kraken: a ccxt venue of the audit's own
        return await doctor.ccxt_key_audit(profile, fresh, transport.base_url)
    from tradeguard.venues.binance.client import BinanceTransport

    probe = BinanceTransport(transport.base_url, fresh, clock=session.clock)
    try:
        await probe.sync_clock()
        return await doctor.connect_audit(profile, probe)
    finally:
        await probe.close()
