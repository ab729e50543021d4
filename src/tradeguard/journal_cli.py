"""`tradeguard journal ...`: read a journal. Argument parsing and printing only.

Heavy imports (rich, the stores, msgspec) happen inside the commands. Expected failures end as
one line on stderr: exit 2 for bad input (a missing journal, an unreadable time), exit 1 for a
journal that fails its checks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from tradeguard.errors import ConfigError, TradeguardError

if TYPE_CHECKING:
    from tradeguard.journal.replay import State
    from tradeguard.journal.store import JournalStore

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"tradeguard: {message}", err=True)
    sys.exit(code)


def _where(func: F) -> F:
    func = click.option(
        "--profile",
        default="default",
        show_default=True,
        help="Profile whose default journal to read.",
    )(func)
    return click.option(
        "--journal",
        "target",
        default=None,
        metavar="PATH|URL",
        help="Journal file or postgresql:// URL [default: $XDG_DATA_HOME/tradeguard/PROFILE.db]",
    )(func)


@contextmanager
def _opened(target: str | None, profile: str) -> Iterator[JournalStore]:
    from tradeguard.journal import open_journal

    try:
        store = open_journal(target, profile=profile, create=False)
    except ConfigError as exc:
        _fail(str(exc), 2)
    except TradeguardError as exc:
        _fail(str(exc), 1)
    try:
        yield store
    except ConfigError as exc:
        _fail(str(exc), 2)
    except TradeguardError as exc:
        _fail(str(exc), 1)
    finally:
        store.close()


def parse_time(text: str) -> int:
    """ISO 8601 (a time without an offset is UTC) or milliseconds since the epoch -> ms."""
    value = text.strip()
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"cannot read the time {text!r}",
            hint="give ISO 8601 like 2026-11-20T10:00:00Z, or milliseconds since the epoch",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


@click.group()
def journal() -> None:
    """Read the journal: every order, fill, error and state change, replayable to any moment.

    \b
    tradeguard journal tail --follow
    tradeguard journal show --order tg-1a2b3c
    tradeguard journal at 2026-11-20T10:00:00Z
    tradeguard journal verify
    tradeguard journal export --format jsonl > journal.jsonl
    """


@journal.command()
@_where
@click.option("-n", "--lines", default=20, show_default=True, help="How many records to show.")
@click.option("--follow", "-f", is_flag=True, help="Keep printing records as they are written.")
@click.option("--interval", default=0.5, show_default=True, help="Seconds between polls.")
def tail(target: str | None, profile: str, lines: int, follow: bool, interval: float) -> None:
    """The last records, one line each."""
    import time

    from tradeguard.journal.export import one_line

    with _opened(target, profile) as store:
        head = store.head()[0]
        after = max(0, head - lines)
        while True:
            for record in store.records(from_seq=after + 1):
                click.echo(one_line(record))
                after = record.seq
            if not follow:
                return
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                return


@journal.command()
@_where
@click.option("--order", "client_order_id", required=True, help="The client order id.")
def show(target: str | None, profile: str, client_order_id: str) -> None:
    """One order's whole life: every record about it, then where it ended."""
    from tradeguard.events import OrderFilled
    from tradeguard.journal.export import one_line
    from tradeguard.journal.replay import Ledger

    with _opened(target, profile) as store:
        records = list(store.records(client_order_id=client_order_id))
        if not records:
            _fail(f"no order {client_order_id!r} in {store.location}", 2)
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
def at(target: str | None, profile: str, moment: str) -> None:
    """What the bot held and had open at TIME (ISO 8601, or epoch ms)."""
    try:
        until = parse_time(moment)
    except ConfigError as exc:
        _fail(str(exc), 2)
    with _opened(target, profile) as store:
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
def verify(target: str | None, profile: str, expect: str | None) -> None:
    """Check the hash chain, the numbering and every record; exit 1 if anything is wrong."""
    anchor = None
    if expect is not None:
        seq, _, digest = expect.partition(":")
        try:
            anchor = (int(seq), bytes.fromhex(digest))
        except ValueError:
            _fail(f"cannot read the head {expect!r}: give SEQ:HASH as verify printed it", 2)
    with _opened(target, profile) as store:
        report = store.verify(expect_head=anchor)
        if report.ok:
            click.echo(f"{store.location}: {report.records} records, chain intact")
            click.echo(f"head {report.head}  (keep it elsewhere; check later with --head)")
            return
        for problem in report.problems:
            click.echo(f"tradeguard: {store.location}: {problem}", err=True)
        if report.more_problems:
            click.echo(f"tradeguard: ... and {report.more_problems} more", err=True)
        _fail(
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
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write [default: standard output].",
)
def export(target: str | None, profile: str, fmt: str, output: Path | None) -> None:
    """Every record, as JSON lines or CSV."""
    import io

    from tradeguard.journal.export import write_csv, write_jsonl

    with _opened(target, profile) as store:
        try:
            sink = output.open("wb") if output is not None else sys.stdout.buffer
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror}", 2)
        try:
            if fmt == "jsonl":
                write_jsonl(store.records(), sink)
            else:
                text = io.TextIOWrapper(sink, encoding="utf-8", newline="", write_through=True)
                write_csv(store.records(), text)
                text.detach()
        finally:
            sink.flush()
            if output is not None:
                sink.close()
