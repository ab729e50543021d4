"""`tradeguard promote`: move a profile one rung up the ladder when its record allows it.

The journal's record on the current rung is checked against the promotion rules; each rule is
shown with its figures. On success a `StageSet` for the next rung is appended to the journal (the
permission), and the user sets `env = "<next>"` in tradeguard.toml (the file says which rung is in
force). Entering live also needs a sentence typed at an interactive terminal.

Exit codes: 0 promoted, 1 refused, 2 bad input. Heavy imports (rich, the journal) happen inside.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tradeguard.cli.exits import fail
from tradeguard.cli.options import config_option, profile_option
from tradeguard.errors import ConfigError, TradeguardError

if TYPE_CHECKING:
    from rich.console import Console

    from tradeguard.journal.store import JournalStore
    from tradeguard.profile.profiles import Profile
    from tradeguard.stages import PromotionRules, PromotionVerdict, Rung

Ask = Callable[[str], str]  # shows a prompt, returns what the person typed


@click.command()
@profile_option("Profile to promote [default: $TRADEGUARD_PROFILE, else default].")
@config_option()
def promote(profile: str | None, config: Path | None) -> None:
    """Move a profile one rung up: sim → testnet → live-small → live.

    \b
    Checks the journal's record on the current rung: clean fills over several days, no
    unresolved unknown outcome, no duplicate order, no latched kill switch. Entering live
    also needs a sentence typed at an interactive terminal.
    """
    from rich.console import Console

    from tradeguard.net import clock
    from tradeguard.profile import profiles

    try:
        chosen = profiles.load(profile, config=config)
    except ConfigError as exc:
        fail(str(exc), 2)
    ask: Ask | None = _ask_terminal if sys.stdin.isatty() and sys.stdout.isatty() else None
    code = run_promote(chosen, clock.SYSTEM.wall_ms(), Console(highlight=False), ask)
    sys.exit(code)


def _refuse(message: str, code: int) -> int:
    click.echo(f"tradeguard: {message}", err=True)
    return code


def _ask_terminal(prompt: str) -> str:
    return str(click.prompt(prompt, default="", show_default=False))


def run_promote(
    profile: Profile,
    now_ms: int,
    console: Console,
    ask: Ask | None,
    rules: PromotionRules | None = None,
) -> int:
    """The command's work, with the terminal and the time passed in. Returns the exit code."""
    from rich.markup import escape

    from tradeguard import stages
    from tradeguard.profile.profiles import NO_TESTNET

    testnet = profile.venue not in NO_TESTNET  # Kraken has none: sim's next is live-small
    target = stages.next_rung(profile.env, testnet=testnet)
    try:
        store = _open(profile, create=target in stages.FREE_RUNGS)
    except TradeguardError as exc:
        return _refuse(str(exc), 1)
    try:
        record = stages.record_from_events(store.events(), profile.env, profile=profile.name)
        verdict = stages.evaluate_promotion(profile.env, record, now_ms, rules, testnet=testnet)
        _print_checks(console, profile, verdict, record.unattributed)
        if not verdict.allowed:
            return _refuse(
                f"{profile.name} stays on {profile.env}: " + "; ".join(verdict.reasons), 1
            )
        acknowledgement = None
        if verdict.needs_acknowledgement:
            sentence = stages.acknowledgement_sentence(profile.name)
            if ask is None:
                return _refuse(
                    "entering live needs a sentence typed by a person at an interactive "
                    f"terminal: run `tradeguard promote --profile {profile.name}` in one "
                    "(standard input is not a terminal here)",
                    2,
                )
            console.print(f"To enter live, type: [bold]{sentence}[/bold]")
            try:
                acknowledgement = stages.acknowledge(ask("> "), profile.name)
            except ConfigError as exc:
                return _refuse(str(exc), 2)
        granted = stages.promotion_target(verdict, profile.name, acknowledgement)
        _grant(store, profile, granted, now_ms)
    except ConfigError as exc:
        return _refuse(str(exc), 2)
    except TradeguardError as exc:
        return _refuse(str(exc), 1)
    finally:
        store.close()

    where = escape(
        f"[profiles.{profile.name}] of {profile.source}"
        if profile.source is not None
        else f"a new tradeguard.toml under [profiles.{profile.name}]"
    )
    console.print(
        f"[green]promoted:[/green] {escape(profile.name)} may now run on [bold]{granted}[/bold]. "
        f'Set env = "{granted}" in {where} to use it.'
    )
    return 0


def _open(profile: Profile, *, create: bool) -> JournalStore:
    from tradeguard.journal import open_journal

    try:
        return open_journal(profile.journal, profile=profile.name, create=False)
    except ConfigError:
        if create:
            return open_journal(profile.journal, profile=profile.name, create=True)
        raise ConfigError(
            f"no journal for profile {profile.name} at {profile.journal}: there is no record "
            f"on {profile.env} yet",
            hint=f"run the bot on {profile.env} first; its journal is the record promotion reads",
        ) from None


def _grant(store: JournalStore, profile: Profile, rung: Rung, now_ms: int) -> None:
    from tradeguard.events import StageSet

    caps = profile.stage_caps[rung]
    store.append(
        StageSet(
            at_ms=now_ms,
            profile=profile.name,
            rung=rung,
            max_order_notional=caps.max_order_notional,
            max_daily_notional=caps.daily_notional,
        ),
        durable=True,
    )


def _print_checks(
    console: Console, profile: Profile, verdict: PromotionVerdict, unattributed: int
) -> None:
    from rich.markup import escape
    from rich.table import Table

    target = verdict.target or "-"
    table = Table(title=escape(f"promote {profile.name}: {verdict.current} → {target}"))
    table.add_column("rule")
    table.add_column("result")
    table.add_column("record", overflow="fold")
    table.add_column("needed")
    for check in verdict.checks:
        result = "[green]pass[/green]" if check.passed else "[red]fail[/red]"
        table.add_row(escape(check.rule), result, escape(check.figure), escape(check.needed))
    console.print(table)
    if unattributed:
        console.print(
            f"{unattributed} journal records came before any session said its rung; "
            "they were not counted"
        )
