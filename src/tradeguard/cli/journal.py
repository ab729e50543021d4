"""`tradeguard journal ...`: read a journal. Argument parsing and printing only.

Every subcommand reads the journal `tradeguard run` writes for the same profile (`--profile/-p`,
`--config`: the profile's `journal = ...`, else its default file), or the one `--journal` names.
Heavy imports (rich, the stores, msgspec) happen inside the commands. Expected failures end as
one line on stderr: exit 2 for bad input (a missing journal or profile, an unreadable time or
kind), exit 1 for a journal that fails its checks.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tradeguard.cli.exits import fail
from tradeguard.cli.options import config_option, profile_option
from tradeguard.errors import ConfigError, TradeguardError

if TYPE_CHECKING:
    from tradeguard.journal.replay import State
    from tradeguard.journal.store import JournalStore, Record

F = TypeVar("F", bound=Callable[..., Any])


def _where(func: F) -> F:
    func = click.option(
        "--journal",
        "target",
        default=None,
        metavar="PATH|URL",
        help="Journal file or postgresql:// URL to read instead [default: the profile's "
        "journal = ..., else $XDG_DATA_HOME/tradeguard/PROFILE.db].",
    )(func)
    func = config_option()(func)
    return profile_option(
        "Profile whose journal to read, the one `tradeguard run` writes "
        "[default: $TRADEGUARD_PROFILE, else default]."
    )(func)


def resolve(target: str | None, profile: str | None, config: Path | None) -> tuple[str, str]:
    """The journal to read and the profile it is kept under: `target` when given, else the
    journal `tradeguard run` (connect) writes for the profile, read from its tradeguard.toml."""
    from tradeguard.profile import profiles

    if target is not None:
        return target, profile or os.environ.get("TRADEGUARD_PROFILE") or profiles.DEFAULT
    chosen = profiles.load(profile, config=config)
    return chosen.journal, chosen.name


@contextmanager
def _opened(target: str | None, profile: str | None, config: Path | None) -> Iterator[JournalStore]:
    from tradeguard.journal import open_journal

    try:
        journal, name = resolve(target, profile, config)
        store = open_journal(journal, profile=name, create=False)
    except ConfigError as exc:
        fail(str(exc), 2)
    except TradeguardError as exc:
        fail(str(exc), 1)
    try:
        yield store
    except ConfigError as exc:
        fail(str(exc), 2)
    except TradeguardError as exc:
        fail(str(exc), 1)
    finally:
        store.close()


# ── times and kinds typed by the user ───────────────────────────────────────────────────────

TIME_FORMS = (
    "give now, now-90s / now-15m / now-1h / now-2d, an ISO 8601 time or date like "
    "2026-11-20T10:00:00Z or 2026-11-20 (UTC unless it has an offset), or milliseconds since "
    "the epoch"
)
# milliseconds since the epoch below this (1973-03-03) are seconds typed for milliseconds: no
# journal holds anything that old
SECONDS_LOOK_MS = 100_000_000_000
_AGO = re.compile(r"(?:now)?-(\d+)([smhd])")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def parse_time(text: str, now_ms: int) -> int:
    """A time the user typed -> ms since the epoch. `now`, `now-1h` (or `-1h`; s, m, h, d),
    ISO 8601 (a time without an offset, or a date, is UTC) or milliseconds since the epoch."""
    value = text.strip().lower()
    ago = _AGO.fullmatch(value)
    if value == "now":
        ms = now_ms
    elif ago is not None:
        ms = now_ms - int(ago.group(1)) * _UNIT_MS[ago.group(2)]
    elif value.isascii() and value.isdigit():
        ms = int(value)
        if 0 < ms < SECONDS_LOOK_MS:
            # a Unix time in seconds read as milliseconds lands in January 1970, where every
            # journal is empty: refused, never answered with a silently empty state
            when = datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d")
            raise ConfigError(
                f"the time {text.strip()} reads as {when} in milliseconds since the epoch; "
                "it looks like seconds",
                hint=f"give milliseconds ({ms}000) or an ISO time; {TIME_FORMS}",
            )
    else:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ConfigError(f"cannot read the time {text!r}", hint=TIME_FORMS) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        ms = int(moment.timestamp() * 1000)
    try:
        datetime.fromtimestamp(ms / 1000, tz=UTC)  # printed as a date later
    except (OverflowError, OSError, ValueError):
        raise ConfigError(f"cannot read the time {text!r}: out of range", hint=TIME_FORMS) from None
    return ms


def _time_orfail(text: str) -> int:
    from tradeguard.net.clock import SYSTEM

    try:
        return parse_time(text, SYSTEM.wall_ms())
    except ConfigError as exc:
        fail(str(exc), 2)


def _kinds_orfail(given: tuple[str, ...]) -> tuple[str, ...]:
    """The event kinds asked for, as the journal names them (any case); an unknown one exits 2
    with the list of kinds."""
    from tradeguard.events import EVENT_TYPES

    names = {t.__name__.lower(): t.__name__ for t in EVENT_TYPES}
    wanted = []
    for kind in given:
        name = names.get(kind.strip().lower())
        if name is None:
            fail(f"unknown kind {kind!r}: the kinds are {', '.join(sorted(names.values()))}", 2)
        wanted.append(name)
    return tuple(dict.fromkeys(wanted))


def _filters(func: F) -> F:
    func = click.option(
        "--kind",
        "kinds",
        multiple=True,
        metavar="KIND",
        help="Only records of this kind, e.g. OrderFilled (repeatable).",
    )(func)
    return click.option(
        "--since",
        metavar="TIME",
        default=None,
        help="Only records from TIME on (now-1h, an ISO 8601 time or date, epoch ms).",
    )(func)


def _since(records: Iterable[Record], since_ms: int | None) -> Iterator[Record]:
    if since_ms is None:
        yield from records
        return
    for record in records:
        if record.at_ms >= since_ms:
            yield record


@click.group()
def journal() -> None:
    """Read the journal: every order, fill, error and state change, replayable to any moment.

    \b
    tradeguard journal tail --follow -p bot
    tradeguard journal tail --since now-1h --kind OrderFilled
    tradeguard journal show --order tg-1a2b3c
    tradeguard journal at now
    tradeguard journal at 2026-11-20T10:00:00Z
    tradeguard journal verify
    tradeguard journal export --format csv --since 2026-11-01 > fills.csv
    """


@journal.command()
@_where
@click.option(
    "-n",
    "--lines",
    type=click.IntRange(min=0),
    default=None,
    help="How many records to show [default: 20; with --since, every one since then].",
)
@click.option("--follow", "-f", is_flag=True, help="Keep printing records as they are written.")
@_filters
@click.option("--interval", default=0.5, show_default=True, help="Seconds between polls.")
def tail(
    target: str | None,
    profile: str | None,
    config: Path | None,
    lines: int | None,
    follow: bool,
    since: str | None,
    kinds: tuple[str, ...],
    interval: float,
) -> None:
    """The last records, one line each."""
    import time
    from collections import deque

    from tradeguard.journal.export import one_line

    since_ms = None if since is None else _time_orfail(since)
    wanted = _kinds_orfail(kinds)
    count = lines if lines is not None or since_ms is not None else 20
    with _opened(target, profile, config) as store:
        after = 0
        if since_ms is None and not wanted and count is not None:
            after = max(0, store.head()[0] - count)
        while True:
            shown: deque[Record] | None = deque(maxlen=count) if count is not None else None
            for record in store.records(from_seq=after + 1, kinds=wanted):
                after = record.seq
                if since_ms is not None and record.at_ms < since_ms:
                    continue
                if shown is None:
                    click.echo(one_line(record))
                else:
                    shown.append(record)
            for record in shown or ():
                click.echo(one_line(record))
            if not follow:
                return
            count = None  # after the first screen, every new record
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                return


@journal.command()
@_where
@click.option("--order", "client_order_id", required=True, help="The client order id.")
def show(
    target: str | None, profile: str | None, config: Path | None, client_order_id: str
) -> None:
    """One order's whole life: every record about it, then where it ended."""
    from tradeguard.events import OrderFilled
    from tradeguard.journal.export import one_line
    from tradeguard.journal.replay import Ledger

    with _opened(target, profile, config) as store:
        records = list(store.records(client_order_id=client_order_id))
        if not records:
            fail(f"no order {client_order_id!r} in {store.location}", 2)
        ids = {getattr(r.event, "order_id", None) for r in records} - {None}
        # fills back-filled over REST carry only the exchange's order id
        if ids:
            records += [
                r
                for r in store.records(unattributed_fills=True)
                if isinstance(r.event, OrderFilled) and r.event.order_id in ids
            ]
            records.sort(key=lambda r: r.seq)
        ledger = Ledger()
        for r in records:
            click.echo(one_line(r))
            if r.kind in ("OrderIntended", "OrderAdopted", "OrderUpdated", "OrderFilled"):
                ledger.apply(r.event)
        order = ledger.order(client_order_id)
        if order is not None:
            from tradeguard.journal import tables

            tables.print_orders([order], title=f"order {client_order_id}")


@journal.command()
@_where
@click.argument("moment", metavar="TIME")
def at(target: str | None, profile: str | None, config: Path | None, moment: str) -> None:
    """What the bot held and had open at TIME: now, now-1h (s, m, h, d), an ISO 8601 time or
    date (UTC unless it has an offset), or epoch ms."""
    until = _time_orfail(moment)
    with _opened(target, profile, config) as store:
        chain = store.verify(deep=False)
        if not chain.ok:  # still shown: reading an altered journal is how it gets examined
            first = chain.problems[0]
            click.echo(
                f"tradeguard: warning: the journal {store.location} was altered at record "
                f"{first.position} ({first.what}); the state below is folded from it as it "
                "stands: `tradeguard journal verify` lists every change",
                err=True,
            )
        state: State = store.fold(until_ms=until)
        from tradeguard.journal import tables

        tables.print_state(state, until, store.location, store.head()[0])


@journal.command()
@_where
@click.option(
    "--head",
    "expect",
    default=None,
    metavar="SEQ:HASH",
    help="A head printed by an earlier verify: check that record still has that hash.",
)
def verify(
    target: str | None, profile: str | None, config: Path | None, expect: str | None
) -> None:
    """Check the hash chain, the numbering and every record; exit 1 if anything is wrong."""
    anchor = None
    if expect is not None:
        seq, _, digest = expect.partition(":")
        try:
            anchor = (int(seq), bytes.fromhex(digest))
        except ValueError:
            fail(f"cannot read the head {expect!r}: give SEQ:HASH as verify printed it", 2)
    with _opened(target, profile, config) as store:
        report = store.verify(expect_head=anchor)
        if report.ok:
            click.echo(f"{store.location}: {report.records} records, chain intact")
            click.echo(f"head {report.head}  (keep it elsewhere; check later with --head)")
            return
        for problem in report.problems:
            click.echo(f"tradeguard: {store.location}: {problem}", err=True)
        if report.more_problems:
            click.echo(f"tradeguard: ... and {report.more_problems} more", err=True)
        fail(
            f"the journal fails verification at record {report.problems[0].position}: keep this "
            "file as evidence, restore the journal from a backup, or start a new one and let "
            "reconciliation adopt the exchange's state",
            1,
        )


@journal.command()
@_where
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@_filters
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write [default: standard output].",
)
def export(
    target: str | None,
    profile: str | None,
    config: Path | None,
    fmt: str,
    since: str | None,
    kinds: tuple[str, ...],
    output: Path | None,
) -> None:
    """Records as JSON lines (each whole event) or CSV (one row per record: time, kind, symbol,
    side, type, qty, price, fee, order ids, status, reason where they apply)."""
    import io

    from tradeguard.journal.export import write_csv, write_jsonl

    since_ms = None if since is None else _time_orfail(since)
    wanted = _kinds_orfail(kinds)
    with _opened(target, profile, config) as store:
        try:
            sink = output.open("wb") if output is not None else sys.stdout.buffer
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror}", 2)
        records = _since(store.records(kinds=wanted), since_ms)
        try:
            if fmt == "jsonl":
                write_jsonl(records, sink)
            else:
                text = io.TextIOWrapper(sink, encoding="utf-8", newline="", write_through=True)
                write_csv(records, text)
                text.detach()
        finally:
            sink.flush()
            if output is not None:
                sink.close()
