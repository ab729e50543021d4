"""`tradeguard keys rotate`: replace a profile's API key with a new one, safely.

    1. read the new key from where the user put it (new environment variables, new 0600 files,
       or typed in, hidden);
    2. audit it against the exchange exactly as a connect would (it must pass: no withdraw or
       transfer right, IP whitelist on live rungs, not too old, accepted from this IP);
    3. journal the swap (KeyAudited for the new key, naming the key it replaces);
    4. put it where the profile points: the profile's keyring entries or 0600 files are
       overwritten in place; for environment variables, print the exact lines to change;
    5. stamp the rotation (`rotation_stamp(...)`) so a running bot reloads, and tell the user
       to delete the old key at the exchange.

A running session picks up the new key without a restart: when the rotation stamp's mtime
changes (`CredentialWatch.poll()`), it calls `reload_credentials(...)`, audits
what comes back with `doctor.check_key` + `audit.enforce`, and swaps the transport's
credentials between two requests (on every venue: `keys.rotation`). A profile whose key comes
from environment variables cannot change under a running process: those need a restart, and
the command says so.

Only click is imported at module level.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tradeguard.cli.exits import fail
from tradeguard.cli.options import config_option, profile_option

if TYPE_CHECKING:
    from tradeguard.doctor.checks import Facts
    from tradeguard.keys.credentials import ApiCredentials, CredentialsSpec, KeyringBackend
    from tradeguard.profile.profiles import Profile


def keyring_backend() -> Any:
    """The OS keyring (tests replace this function with an in-memory fake)."""
    import keyring

    return keyring


# ── the handoff to a running session ─────────────────────────────────────────────────────────


def state_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "tradeguard"


def rotation_stamp(profile: str, env: Mapping[str, str]) -> Path:
    """The file `keys rotate` touches after a swap; a session watches its mtime."""
    return state_dir(env) / "rotations" / f"{profile}.json"


def reload_credentials(
    spec: CredentialsSpec,
    current: ApiCredentials,
    *,
    env: Mapping[str, str] | None = None,
    keyring: KeyringBackend | None = None,
) -> ApiCredentials | None:
    """Re-read a profile's credentials from their source: the new credentials when the API key
    changed, None when it is the same key. Raises CredentialsError if they cannot be read (the
    session keeps the key it has and reports it). The caller must audit what it gets back
    before it uses it. For source = "env" this re-reads the process's own environment, which
    another process cannot change: such a profile needs a restart to rotate."""
    from tradeguard.keys.credentials import load_credentials

    fresh = load_credentials(
        spec, os.environ if env is None else env, keyring_backend=keyring or _keyring_for(spec)
    )
    return None if fresh.api_key == current.api_key else fresh


def _keyring_for(spec: CredentialsSpec) -> KeyringBackend | None:
    return keyring_backend() if spec.source == "keyring" else None


class CredentialWatch:
    """A session's cheap poll for a rotation: `poll()` is True once the stamp has changed since
    the last poll (or since the watch began). Then call `reload_credentials`."""

    def __init__(self, profile: str, env: Mapping[str, str] | None = None) -> None:
        self.path = rotation_stamp(profile, os.environ if env is None else env)
        self._seen = self._mtime()

    def _mtime(self) -> int | None:
        try:
            return self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def poll(self) -> bool:
        now = self._mtime()
        changed = now != self._seen
        self._seen = now
        return changed


# ── the command ──────────────────────────────────────────────────────────────────────────────


@click.group()
def keys() -> None:
    """Manage the profile's API key: `tradeguard keys rotate --profile NAME`."""


@keys.command()
@profile_option(
    "Profile whose key to rotate [default: $TRADEGUARD_PROFILE, else default].", "profile_name"
)
@config_option(name="config_path")
@click.option(
    "--from",
    "origin",
    type=click.Choice(["env", "file", "prompt"]),
    default=None,
    help="Where the new key is: new environment variables, new 0600 files, or typed in.",
)
@click.option("--api-key", "api_key_name", default=None, metavar="NAME", help="Its variable/file.")
@click.option(
    "--secret", "secret_name", default=None, metavar="NAME", help="Its secret's variable/file."
)
def rotate(
    profile_name: str | None,
    config_path: Path | None,
    origin: str | None,
    api_key_name: str | None,
    secret_name: str | None,
) -> None:
    """Audit a new API key, swap it in, journal it, and retire the old one."""
    import asyncio

    from tradeguard.errors import TradeguardError
    from tradeguard.profile.profiles import load

    try:
        profile = load(profile_name, config=config_path)
    except TradeguardError as exc:
        fail(str(exc))
    if profile.env == "sim":
        fail(
            f"profile {profile.name} runs on the embedded simulator, whose keys are built in: "
            "there is nothing to rotate (choose a built-in key with `tradeguard doctor --sim-key`)"
        )
    spec = profile.credentials
    if spec is None:
        fail(f"profile {profile.name} has no credentials to rotate; add them first (see doctor)")
    try:
        old = _current(spec)
        new, described = _new_key(spec, origin, api_key_name, secret_name)
    except TradeguardError as exc:
        fail(str(exc))
    if old is not None and new.api_key == old.api_key:
        fail("the new API key is the key the profile already uses: create a new key first")
    click.echo(f"auditing the new key {_prefix(new.api_key)} ({described}) …")
    from tradeguard.doctor.checks import DoctorOptions, check_key, key_refused

    facts = asyncio.run(check_key(profile, new, DoctorOptions(ntp_server=None)))
    refused = key_refused(facts)
    _journal(profile, new, old, facts, passed=not refused)
    for c in facts.checks:
        click.echo(f"  {c.level.value:<10} {c.name:<16} {c.detail}")
    if refused:
        click.echo("the new key is refused; nothing was changed:", err=True)
        for c in refused:
            click.echo(f"  - {c.detail}" + (f" → {c.fix}" if c.fix else ""), err=True)
        sys.exit(1)
    try:
        _swap(profile, spec, new, origin, api_key_name, secret_name)
    except TradeguardError as exc:
        fail(str(exc), 1)
    stamp = rotation_stamp(profile.name, os.environ)
    stamp.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp.write_text(f'{{"api_key": "{_prefix(new.api_key)}"}}\n', encoding="utf-8")
    old_text = _prefix(old.api_key) if old is not None else "the old key"
    click.echo(
        f"now delete the old key {old_text} in the exchange's API Management: until then it "
        "still works for anyone who has it."
    )
    if spec.source == "env":
        click.echo("a running bot reads environment variables only at start: restart it.")
    else:
        click.echo(
            "a running bot picks the new key up within a few seconds (it watches "
            f"{stamp}); its journal will show KeyAudited for {_prefix(new.api_key)}."
        )


def _prefix(api_key: str) -> str:
    from tradeguard.keys.credentials import key_prefix

    return key_prefix(api_key)


def _current(spec: CredentialsSpec) -> ApiCredentials | None:
    from tradeguard.errors import CredentialsError
    from tradeguard.keys.credentials import load_credentials

    try:
        return load_credentials(spec, os.environ, keyring_backend=_keyring_for(spec))
    except CredentialsError:
        return None  # the old key may already be gone; rotation still helps


def _new_key(
    spec: CredentialsSpec, origin: str | None, api_key_name: str | None, secret_name: str | None
) -> tuple[ApiCredentials, str]:
    from tradeguard.keys.credentials import (
        ApiCredentials,
        CredentialsSpec,
        Secret,
        load_credentials,
    )

    origin = origin or click.prompt(
        "where is the new key? env (new variables), file (new 0600 files), prompt (type it)",
        type=click.Choice(["env", "file", "prompt"]),
        default="prompt",
    )
    if origin == "prompt":
        api_key = click.prompt("new API key").strip()
        secret = click.prompt("new secret (HMAC; give a PEM key with --from file)", hide_input=True)
        return ApiCredentials(api_key, Secret(secret.strip())), "typed in"
    what = "environment variable" if origin == "env" else "0600 file"
    key_name = api_key_name or click.prompt(f"{what} holding the new API key")
    secret_of = secret_name or click.prompt(f"{what} holding the new secret or private key")
    new_spec = CredentialsSpec(
        profile=spec.profile,
        source="env" if origin == "env" else "file",
        api_key=key_name,
        secret=secret_of,
    )
    return load_credentials(new_spec, os.environ), f"from {what}s {key_name}, {secret_of}"


def _swap(
    profile: Profile,
    spec: CredentialsSpec,
    new: ApiCredentials,
    origin: str | None,
    api_key_name: str | None,
    secret_name: str | None,
) -> None:
    """Put the new key where the profile points (keyring entries, files), or say what to do."""
    field = "private_key" if spec.private_key is not None else "secret"
    target_secret = spec.private_key or spec.secret or ""
    if spec.source == "keyring":
        store = keyring_backend()
        store.set_password(spec.keyring_service, spec.api_key, new.api_key)
        store.set_password(spec.keyring_service, target_secret, new.secret.reveal())
        click.echo(
            f"stored the new key in the OS keyring ({spec.keyring_service}: {spec.api_key}, "
            f"{target_secret}), where profile {profile.name} reads it."
        )
        return
    if spec.source == "file":
        _write_0600(Path(spec.api_key).expanduser(), new.api_key)
        _write_0600(Path(target_secret).expanduser(), new.secret.reveal())
        click.echo(f"wrote the new key to {spec.api_key} and {target_secret} (mode 0600).")
        return
    click.echo(f"profile {profile.name} reads its key from the environment; change these lines:")
    if origin == "env" and api_key_name and secret_name:
        click.echo(f'  export {spec.api_key}="${{{api_key_name}}}"')
        click.echo(f'  export {target_secret}="${{{secret_name}}}"')
        click.echo(f"  unset {api_key_name} {secret_name}")
    else:
        click.echo(
            f"  set {spec.api_key} to the new API key ({_prefix(new.api_key)}) and "
            f"{target_secret} to its {field}, where your bot's environment is defined "
            "(a service unit, a .env outside the repository, your secret manager)"
        )


def _write_0600(path: Path, value: str) -> None:
    """Replace a credentials file atomically, never readable by others on the way."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(value + "\n")
    os.replace(tmp, path)


def _journal(
    profile: Profile, new: ApiCredentials, old: ApiCredentials | None, facts: Facts, *, passed: bool
) -> None:
    """The audit of the new key, in the profile's journal; it names the key it replaces.
    (A dedicated KeyRotated event is requested; KeyAudited carries it meanwhile.)"""
    from tradeguard.events import KeyAudited
    from tradeguard.journal import open_journal
    from tradeguard.net.clock import SYSTEM

    notes = [f"{c.name}: {c.detail}" for c in facts.checks if c.level.value != "pass"]
    if old is not None:
        what = "replaces" if passed else "refused as the replacement of"
        notes.insert(0, f"rotation: {what} {_prefix(old.api_key)}")
    report = facts.report
    store = open_journal(profile.journal, profile=profile.name)
    try:
        store.append(
            KeyAudited(
                at_ms=SYSTEM.wall_ms(),
                profile=profile.name,
                api_key=_prefix(new.api_key),
                passed=passed,
                permissions=report.permissions() if report is not None else (),
                findings=tuple(notes),
                ip_restricted=report.ip_restricted if report is not None else None,
            ),
            durable=True,
        )
    finally:
        store.close()


__all__ = [
    "CredentialWatch",
    "keys",
    "reload_credentials",
    "rotation_stamp",
]
