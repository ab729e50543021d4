"""`tradeguard scan`: hard-coded exchange keys and secrets in files and git history.

Argument parsing and printing only; the scanner is `tradeguard.scan`, imported inside the
command so that `tradeguard --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tradeguard.cli.exits import fail
from tradeguard.cli.options import config_option, profile_option

if TYPE_CHECKING:
    from tradeguard.scan.own import OwnSecrets

EXIT_CLEAN = 0
EXIT_FINDINGS = 1


def _own_secrets(
    env_names: tuple[str, ...], config: Path | None, profile_name: str | None
) -> tuple[OwnSecrets, list[str]]:
    """The secrets to look for by hash: from --own-secret-env variables and from the profile's
    credentials. Returns the hashed set and notes for stderr. Bad input exits 2."""
    from tradeguard.errors import TradeguardError
    from tradeguard.scan.own import OwnSecrets

    values: list[tuple[str, str]] = []
    notes: list[str] = []
    for name in env_names:
        value = os.environ.get(name)
        if value is None or not value.strip():
            fail(f"--own-secret-env {name}: the environment variable is not set or empty")
        values.append((name, value))
    explicit = config is not None or profile_name is not None
    try:
        from tradeguard.keys.credentials import load_credentials
        from tradeguard.profile import profiles

        chosen = profiles.load(profile_name, config=config)
        spec = chosen.credentials
        if spec is not None:
            creds = load_credentials(spec, os.environ)
            label = f"profile {chosen.name}"
            values.append((f"{label} api_key", creds.api_key))
            values.append((f"{label} secret", creds.secret.reveal()))
            if creds.passphrase is not None:
                values.append((f"{label} passphrase", creds.passphrase.reveal()))
        elif explicit:
            notes.append(f"profile {chosen.name} has no credentials to look for")
    except TradeguardError as exc:
        if explicit:
            fail(str(exc))
        notes.append(f"own secrets of the profile not checked: {exc}")
    own, skipped = OwnSecrets.from_values(values)
    values.clear()
    for label in skipped:
        notes.append(f"{label}: too short or not text, not searched for")
    return own, notes


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--history", is_flag=True, help="Also scan every blob of every commit (all refs).")
@click.option("--json", "as_json", is_flag=True, help="Print findings and a summary as JSON.")
@click.option("--table", "as_table", is_flag=True, help="Print findings as a table.")
@click.option(
    "--all-files",
    is_flag=True,
    help="In a git work tree, scan files .gitignore excludes too (never .git itself).",
)
@click.option(
    "--own-secret-env",
    "own_env",
    multiple=True,
    metavar="NAME",
    help="An environment variable holding a secret of yours to find by hash (repeatable).",
)
@config_option("tradeguard.toml whose profile's credentials to look for.")
@profile_option("Profile whose credentials to find.", "profile_name")
@click.option(
    "--max-bytes",
    default=2_000_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Skip files larger than this.",
)
def scan(
    paths: tuple[Path, ...],
    history: bool,
    as_json: bool,
    as_table: bool,
    all_files: bool,
    own_env: tuple[str, ...],
    config: Path | None,
    profile_name: str | None,
    max_bytes: int,
) -> None:
    """Find exchange keys and secrets hard-coded in PATHS (default: .) and, with --history,
    in every commit of their git history.

    \b
    Looks for: PEM private keys; Binance (64 alphanumeric), Bybit (key and secret pair),
    OKX (UUID key, 32-hex secret, passphrase), Kraken (56 and 88 character base64) keys;
    random-looking values assigned to names with key, secret, token, passphrase or password;
    and your own secrets, compared by sha256 and never printed: the credentials of the
    profile (--profile, --config; the default profile when it can be read) and any
    --own-secret-env NAME.

    \b
    In a git work tree the files scanned are those git would commit (tracked, or untracked
    and not ignored); --all-files takes every file. Binary files and files over --max-bytes
    are skipped. A secret is shown only as its first 4 characters.

    \b
    To accept a line, end it with a comment holding `tradeguard: allow`, e.g.
        TEST_KEY = "..."  # tradeguard: allow

    \b
    Exit codes: 0 no finding, 1 findings, 2 bad input (a missing path, --history outside
    git, an unreadable profile, an unset --own-secret-env variable).
    """
    from tradeguard.errors import TradeguardError
    from tradeguard.scan import report
    from tradeguard.scan import scan as run_scan

    if as_json and as_table:
        fail("give at most one of --json and --table")
    targets = list(paths) or [Path(".")]
    for target in targets:
        if not target.exists():
            fail(f"{target}: no such file or directory")
    own, notes = _own_secrets(own_env, config, profile_name)
    try:
        result = run_scan(
            targets, history=history, all_files=all_files, own=own, max_bytes=max_bytes
        )
    except TradeguardError as exc:
        fail(str(exc))
    for note in notes:
        click.echo(f"tradeguard: {note}", err=True)
    if as_json:
        click.echo(report.as_json(result))
    elif as_table:
        from rich.console import Console

        if result.findings:
            Console().print(report.table(result))
        click.echo(report.summary(result), err=True)
    else:
        for text in report.lines(result):
            click.echo(text)
        click.echo(report.summary(result), err=True)
    sys.exit(EXIT_FINDINGS if result.findings else EXIT_CLEAN)
