"""The doctor's row for a profile trading over FIX with drop copy (`fix_drop_copy = true`):
one Logon to the drop-copy host and a Logout, so that a host that refuses drop copy (an
order-entry host named as drop copy's: Binance's -1184) is a failed row here rather than a
session that finds out alone (it journals the `fix_drop_copy` stream lost, and alerts). The
hosts are the ones connect picks (`connect_fix.fix_hosts`). An I/O edge; no secret shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradeguard.doctor.local import Check, DoctorOptions, ProfileView
from tradeguard.errors import ConfigError
from tradeguard.keys.audit import Level
from tradeguard.keys.credentials import ApiCredentials

if TYPE_CHECKING:
    from tradeguard.sim.server import RunningSim

NAME = "fix.drop_copy"
_FIX_HOST = (
    "name the drop-copy host in fix_drop_copy_url (Binance's fix-dc), or delete fix_drop_copy"
)


def uses_drop_copy(profile: ProfileView) -> bool:
    from tradeguard.profile.profiles import Profile

    return (
        isinstance(profile, Profile) and profile.order_transport == "fix" and profile.fix_drop_copy
    )


async def drop_copy_check(
    profile: ProfileView,
    options: DoctorOptions,
    creds: ApiCredentials | None,
    sim: RunningSim | None,
) -> Check:
    """Whether drop copy's host takes this key's drop-copy Logon (`uses_drop_copy` first)."""
    from tradeguard.profile.profiles import Profile
    from tradeguard.session.connect_fix import drop_copy_host, fix_hosts
    from tradeguard.venues.binance.fix_drop_copy import DropCopy
    from tradeguard.venues.binance.fix_session import FixConfig

    assert isinstance(profile, Profile)
    if creds is None or creds.kind != "ED25519":
        return Check(
            NAME,
            Level.UNVERIFIED if creds is None else Level.FAIL,
            "drop copy not tried: FIX logs on with an Ed25519 key only",
            "give the profile an Ed25519 key (credentials.private_key)",
        )
    try:
        _, url, ca_pem = fix_hosts(profile, sim)
        drop_copy = DropCopy(drop_copy_host(profile, url), ca_pem=ca_pem, config=FixConfig())
    except ConfigError as exc:
        return Check(NAME, Level.FAIL, exc.message, exc.hint or "")
    drop_copy.now_ms = options.clock.wall_ms
    refused = await drop_copy.logon_once(creds)
    if refused is not None:
        return Check(NAME, Level.FAIL, refused, _FIX_HOST)
    return Check(NAME, Level.PASS, f"drop copy at {drop_copy.url} took the Logon")
