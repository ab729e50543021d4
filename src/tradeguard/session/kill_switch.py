"""The kill switch by hand: `tradeguard kill [--reset]`.

The latch lives in the profile's journal (a `KillSwitchSet` / `KillSwitchReset` event), the one
source of truth: a running session sees it within a second, cancels its open orders and sets
`tg.halted` (`tradeguard run` stops the bot), and a session that starts later folds it from the
journal and refuses to trade until it is reset (`tradeguard run` does not start the bot).
Writing it takes no profile lock (`profile_lock`): it is how to stop a bot that holds one.
"""

from __future__ import annotations

from pathlib import Path

from tradeguard.events import KillSwitchReset, KillSwitchSet
from tradeguard.net.clock import SYSTEM


def main(profile_name: str | None, config: Path | None, *, reset: bool, reason: str) -> str:
    from tradeguard.journal import open_journal
    from tradeguard.profile.profiles import load

    profile = load(profile_name, config=config)
    with open_journal(profile.journal, profile=profile.name) as journal:
        state = journal.fold()
        now = SYSTEM.wall_ms()
        if reset:
            if not state.kill_switch.latched:
                return f"the kill switch of {profile.name} is not latched; nothing to reset"
            journal.append(
                KillSwitchReset(at_ms=now, profile=profile.name, by="user"), durable=True
            )
            return (
                f"kill switch of {profile.name} reset (it was latched: "
                f"{state.kill_switch.reason}); trading may resume"
            )
        if state.kill_switch.latched:
            return (
                f"the kill switch of {profile.name} is already latched: {state.kill_switch.reason}"
            )
        journal.append(
            KillSwitchSet(at_ms=now, profile=profile.name, reason=reason, by="user"), durable=True
        )
    return (
        f"kill switch of {profile.name} latched ({reason}); a running bot cancels its open "
        "orders and stops within a second; `tradeguard kill --reset` releases it"
    )
