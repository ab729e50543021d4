"""`tradeguard keys rotate`: the new key is audited before it replaces the old one, the swap is
journaled, the old key's deletion is asked for, and a running bot can pick the new key up."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tradeguard.cli import keys as keys_cli
from tradeguard.cli.app import main
from tradeguard.events import KeyAudited
from tradeguard.journal import open_journal
from tradeguard.keys.credentials import ApiCredentials, CredentialsSpec, Secret, key_prefix

from .conftest import ThreadedSim


@pytest.fixture
def sim() -> Iterator[ThreadedSim]:
    running = ThreadedSim(keys=[{"name": "fresh"}, {"name": "fresh-2"}])
    yield running
    running.close()


def secret_file(path: Path, value: str) -> str:
    path.write_text(value + "\n")
    path.chmod(0o600)
    return str(path)


def write_profile(home: Path, sim: ThreadedSim, credentials: str) -> None:
    (home / "tradeguard.toml").write_text(
        '[profiles.default]\nenv = "testnet"\n'
        f'base_url = "{sim.running.base_url}"\n'
        f'journal = "sqlite://{home}/journal.db"\n\n'
        f"[profiles.default.credentials]\n{credentials}"
    )


@pytest.fixture
def file_profile(home: Path, sim: ThreadedSim) -> tuple[Path, Path]:
    keys = home / "keys"
    keys.mkdir(mode=0o700)
    old = sim.key("trade-only")
    k = secret_file(keys / "api_key", old["api_key"])
    s = secret_file(keys / "secret", old["secret"])
    write_profile(home, sim, f'source = "file"\napi_key = "{k}"\nsecret = "{s}"\n')
    return Path(k), Path(s)


def rotate(*args: str, **kw: object) -> Result:
    return CliRunner().invoke(main, ["keys", "rotate", *args], **kw)  # type: ignore[arg-type]


def journal_audits(home: Path) -> list[KeyAudited]:
    store = open_journal(f"sqlite://{home}/journal.db", profile="default")
    try:
        return [e for e in store.events() if isinstance(e, KeyAudited)]
    finally:
        store.close()


def new_files(home: Path, sim: ThreadedSim, name: str) -> tuple[str, str]:
    key = sim.key(name)
    incoming = home / "incoming"
    incoming.mkdir(mode=0o700, exist_ok=True)
    return (
        secret_file(incoming / f"{name}.key", key["api_key"]),
        secret_file(incoming / f"{name}.secret", key["secret"]),
    )


def test_rotate_files_in_place(
    home: Path, sim: ThreadedSim, file_profile: tuple[Path, Path]
) -> None:
    old, fresh = sim.key("trade-only"), sim.key("fresh")
    k, s = new_files(home, sim, "fresh")
    result = rotate("--from", "file", "--api-key", k, "--secret", s)
    assert result.exit_code == 0, result.output
    assert file_profile[0].read_text().strip() == fresh["api_key"]
    assert file_profile[1].read_text().strip() == fresh["secret"]
    assert os.stat(file_profile[1]).st_mode & 0o777 == 0o600
    assert f"now delete the old key {key_prefix(old['api_key'])}" in result.output
    assert "picks the new key up within a few seconds" in result.output
    assert "SIGHUP" not in result.output  # `run` leaves SIGHUP alone: it would end the bot
    assert fresh["secret"] not in result.output and old["secret"] not in result.output
    (audited,) = journal_audits(home)
    assert audited.passed and audited.api_key == key_prefix(fresh["api_key"])
    assert audited.findings[0] == f"rotation: replaces {key_prefix(old['api_key'])}"
    assert audited.ip_restricted is True
    assert keys_cli.rotation_stamp("default", os.environ).exists()


def test_withdraw_enabled_replacement_is_refused(
    home: Path, sim: ThreadedSim, file_profile: tuple[Path, Path]
) -> None:
    old = sim.key("trade-only")
    k, s = new_files(home, sim, "withdraw-enabled")
    result = rotate("--from", "file", "--api-key", k, "--secret", s)
    assert result.exit_code == 1
    assert "the new key is refused; nothing was changed:" in result.output
    assert "this API key can withdraw funds: refused" in result.output
    assert file_profile[0].read_text().strip() == old["api_key"]  # untouched
    (audited,) = journal_audits(home)
    assert not audited.passed
    assert not keys_cli.rotation_stamp("default", os.environ).exists()


def test_same_key_is_refused(home: Path, sim: ThreadedSim, file_profile: tuple[Path, Path]) -> None:
    result = rotate(
        "--from", "file", "--api-key", str(file_profile[0]), "--secret", str(file_profile[1])
    )
    assert result.exit_code == 2
    assert "the new API key is the key the profile already uses" in result.output


def test_env_profile_prints_the_lines_to_change(
    home: Path, sim: ThreadedSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, fresh = sim.key("trade-only"), sim.key("fresh")
    write_profile(home, sim, 'source = "env"\napi_key = "TG_KEY"\nsecret = "TG_SECRET"\n')
    for name, value in {
        "TG_KEY": old["api_key"],
        "TG_SECRET": old["secret"],
        "TG_KEY_NEW": fresh["api_key"],
        "TG_SECRET_NEW": fresh["secret"],
    }.items():
        monkeypatch.setenv(name, value)
    result = rotate("--from", "env", "--api-key", "TG_KEY_NEW", "--secret", "TG_SECRET_NEW")
    assert result.exit_code == 0, result.output
    assert 'export TG_KEY="${TG_KEY_NEW}"' in result.output
    assert 'export TG_SECRET="${TG_SECRET_NEW}"' in result.output
    assert "unset TG_KEY_NEW TG_SECRET_NEW" in result.output
    assert "restart it" in result.output
    assert fresh["secret"] not in result.output


class MemoryKeyring:
    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, name: str) -> str | None:
        return self.entries.get((service, name))

    def set_password(self, service: str, name: str, value: str) -> None:
        self.entries[(service, name)] = value


def test_keyring_profile_typed_in(
    home: Path, sim: ThreadedSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    ring = MemoryKeyring()
    old, fresh = sim.key("trade-only"), sim.key("fresh")
    ring.set_password("tradeguard", "bn-key", old["api_key"])
    ring.set_password("tradeguard", "bn-secret", old["secret"])
    monkeypatch.setattr(keys_cli, "keyring_backend", lambda: ring)
    write_profile(home, sim, 'source = "keyring"\napi_key = "bn-key"\nsecret = "bn-secret"\n')
    result = rotate("--from", "prompt", input=f"{fresh['api_key']}\n{fresh['secret']}\n")
    assert result.exit_code == 0, result.output
    assert ring.entries[("tradeguard", "bn-key")] == fresh["api_key"]
    assert ring.entries[("tradeguard", "bn-secret")] == fresh["secret"]
    assert fresh["secret"] not in result.output


def test_sim_profile_has_nothing_to_rotate(home: Path) -> None:
    result = rotate()
    assert result.exit_code == 2
    assert "embedded simulator" in result.output


def test_short_profile_option(home: Path) -> None:
    (home / "tradeguard.toml").write_text('[profiles.bot]\nenv = "sim"\n')
    result = rotate("-p", "bot")
    assert result.exit_code == 2
    assert "profile bot runs on the embedded simulator" in result.output


def test_reload_credentials_and_watch(
    home: Path, sim: ThreadedSim, file_profile: tuple[Path, Path]
) -> None:
    k, s = file_profile
    spec = CredentialsSpec(profile="default", source="file", api_key=str(k), secret=str(s))
    old = sim.key("trade-only")
    current = ApiCredentials(old["api_key"], Secret(old["secret"]))
    watch = keys_cli.CredentialWatch("default")
    assert keys_cli.reload_credentials(spec, current) is None  # same key
    assert not watch.poll()
    nk, ns = new_files(home, sim, "fresh-2")
    assert rotate("--from", "file", "--api-key", nk, "--secret", ns).exit_code == 0
    assert watch.poll()
    assert not watch.poll()  # once per change
    fresh = keys_cli.reload_credentials(spec, current)
    assert fresh is not None and fresh.api_key == sim.key("fresh-2")["api_key"]
