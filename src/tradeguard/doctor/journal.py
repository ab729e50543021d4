"""What the profile's journal says about running, for `tradeguard doctor`: whether it opens and
its chain verifies, whether it grants the profile's rung, and whether the kill switch is latched.

The journal is read by connect's own fold (`connect.fold_journal`: the kill switch a session
starts with, and the rung's record), and the rung judged by `connect.rung_refusal`, so that
doctor fails exactly where connect refuses. An I/O edge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tradeguard.doctor.local import Check, ProfileView
from tradeguard.errors import TradeguardError
from tradeguard.events import EventBase
from tradeguard.journal.state import KillSwitch
from tradeguard.keys.audit import Level
from tradeguard.stages import RungRecord


@dataclass(frozen=True, slots=True)
class Standing:
    """The journal row, and what the journal holds for the next start (None: unreadable)."""

    journal: Check
    record: RungRecord | None = None
    kill_switch: KillSwitch | None = None


def read_journal(profile: ProfileView) -> Standing:
    """Open the profile's journal, verify its chain and fold it; never raises."""
    from tradeguard.journal import open_journal

    try:
        store = open_journal(profile.journal, profile=profile.name)
    except (TradeguardError, OSError) as exc:
        message = exc.message if isinstance(exc, TradeguardError) else str(exc)
        return Standing(
            Check(
                "journal",
                Level.FAIL,
                f"cannot open the journal: {message}",
                "point journal = in the profile at a writable place",
            )
        )
    try:
        report = store.verify()
        location = store.location
        if not report.ok:
            first = report.problems[0]
            return Standing(
                Check(
                    "journal",
                    Level.FAIL,
                    f"journal {location} fails verification at record {first.position}: "
                    f"{first.what}",
                    "run `tradeguard journal verify` and restore from a backup",
                )
            )
        record, kill_switch = _fold(store.events(), profile)
    except TradeguardError as exc:
        return Standing(Check("journal", Level.FAIL, exc.message, exc.hint or ""))
    finally:
        store.close()
    row = Check(
        "journal", Level.PASS, f"{location}: writable, {report.records} records, chain verified"
    )
    return Standing(row, record, kill_switch)


def _fold(events: Iterable[EventBase], profile: ProfileView) -> tuple[RungRecord, KillSwitch]:
    """The rung's record and the kill switch a start would find: connect's own fold."""
    from tradeguard import stages
    from tradeguard.journal.replay import Ledger
    from tradeguard.session.connect import fold_journal

    ledger = Ledger()
    rung = stages.RUNGS[stages.rank(profile.env)]  # the profile's env, as a rung
    record = fold_journal(events, ledger, rung, profile.name)
    return record, ledger.kill_switch


def stage_check(profile: ProfileView, standing: Standing) -> Check:
    """The rung and its caps; above testnet, a fail unless the journal holds the grant."""
    from tradeguard import stages
    from tradeguard.session.connect import rung_refusal

    caps = profile.caps
    limits = f"at most {caps.max_order_notional} per order and {caps.daily_notional} per UTC day"
    if profile.env in stages.FREE_RUNGS:
        return Check("stage", Level.PASS, f"rung {profile.env} (no real money): {limits}")
    if standing.record is None:
        return Check(
            "stage",
            Level.UNVERIFIED,
            f"rung {profile.env} (real money): whether the journal granted it could not be read",
            "fix the journal (its row below), then run `tradeguard doctor` again",
        )
    refused = rung_refusal(profile.name, profile.env, standing.record)
    if refused is not None:
        return Check("stage", Level.FAIL, refused.message, refused.hint or "")
    return Check(
        "stage", Level.PASS, f"rung {profile.env} (real money), granted by promotion: {limits}"
    )


def kill_switch_check(profile: ProfileView, standing: Standing) -> Check:
    """A latched kill switch: `run` starts, and refuses every order until it is reset."""
    kill = standing.kill_switch
    if kill is None:
        return Check(
            "kill_switch",
            Level.UNVERIFIED,
            "whether the kill switch is latched could not be read from the journal",
            "fix the journal (its row above), then run `tradeguard doctor` again",
        )
    if not kill.latched:
        return Check("kill_switch", Level.PASS, "not latched")
    since = f", at {_minute(kill.since_ms)}" if kill.since_ms is not None else ""
    return Check(
        "kill_switch",
        Level.FAIL,
        f"the kill switch of {profile.name} is latched ({kill.reason}, by {kill.by}{since}): "
        "every order is refused until it is reset",
        "fix what tripped it, then `tradeguard kill --reset`",
    )


def _minute(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


__all__ = ["Standing", "kill_switch_check", "read_journal", "stage_check"]
