"""Credential providers: environment, keyring (a fake backend), and a 0600 file outside git."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from tradeguard.errors import CredentialsError
from tradeguard.keys.credentials import ApiCredentials, CredentialsSpec, Secret, load_credentials
from tradeguard.venues.binance import signing

KEY = "plantedAPIKEYvalue0123456789abcdefPLANTED"
SECRET = "PLANTED-SECRET-f00dfacecafe0123456789abcdef"
PASS = "planted passphrase !42"


def spec(source: str = "env", **names: str | None) -> CredentialsSpec:
    fields: dict[str, str | None] = {"api_key": "TG_KEY", "secret": "TG_SECRET"}
    fields.update(names)
    return CredentialsSpec(profile="main", source=source, **fields)  # type: ignore[arg-type]


def pem(kind: str, password: bytes | None = None) -> str:
    key = (
        ed25519.Ed25519PrivateKey.generate()
        if kind == "ED25519"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()


class FakeKeyring:
    """A keyring backend holding entries in a dict; `broken` makes every read fail."""

    def __init__(self, entries: dict[tuple[str, str], str], broken: bool = False) -> None:
        self.entries = entries
        self.broken = broken
        self.asked: list[tuple[str, str]] = []

    def get_password(self, service_name: str, username: str) -> str | None:
        self.asked.append((service_name, username))
        if self.broken:
            raise RuntimeError(f"locked (had {sorted(self.entries.values())})")
        return self.entries.get((service_name, username))


def secret_file(folder: Path, name: str, value: str, mode: int = 0o600) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(value + "\n")
    path.chmod(mode)
    return path


# ── environment ──────────────────────────────────────────────────────────────────────────────


def test_env_reads_the_named_variables() -> None:
    creds = load_credentials(spec(), {"TG_KEY": KEY, "TG_SECRET": SECRET})
    assert creds.api_key == KEY and creds.secret.reveal() == SECRET and creds.kind == "HMAC"
    assert creds.passphrase is None
    assert creds.sign("a=1") == signing.hmac_sha256_hex(SECRET, "a=1")


def test_env_missing_or_empty_names_the_variable_and_the_profile() -> None:
    with pytest.raises(CredentialsError) as caught:
        load_credentials(spec(), {"TG_KEY": KEY})
    message = str(caught.value)
    assert "TG_SECRET" in message and "main" in message and "is not set" in message
    assert "export TG_SECRET=" in message and KEY not in message
    with pytest.raises(CredentialsError, match=r"TG_KEY.*is empty"):
        load_credentials(spec(), {"TG_KEY": "  ", "TG_SECRET": SECRET})


def test_okx_passphrase_comes_along() -> None:
    env = {"TG_KEY": KEY, "TG_SECRET": SECRET, "TG_PASS": PASS}
    creds = load_credentials(spec(passphrase="TG_PASS"), env)
    assert creds.passphrase is not None and creds.passphrase.reveal() == PASS.strip()
    assert "passphrase=***" in repr(creds)


@pytest.mark.parametrize("kind", ["ED25519", "RSA"])
def test_a_pem_private_key_is_recognised(kind: str) -> None:
    env = {"TG_KEY": KEY, "TG_PEM": pem(kind)}
    creds = load_credentials(spec(secret=None, private_key="TG_PEM"), env)
    assert creds.kind == kind
    assert creds.sign("symbol=BTCUSDT")  # the key really signs
    # a PEM given as `secret` is recognised too
    assert load_credentials(spec(secret="TG_PEM"), env).kind == kind


def test_a_kind_that_disagrees_with_the_key_is_refused() -> None:
    env = {"TG_KEY": KEY, "TG_PEM": pem("ED25519")}
    with pytest.raises(CredentialsError, match="says RSA but the key is ED25519"):
        load_credentials(spec(secret=None, private_key="TG_PEM", kind="RSA"), env)


def test_an_encrypted_or_broken_pem_is_refused_with_the_fix() -> None:
    env = {"TG_KEY": KEY, "TG_PEM": pem("ED25519", password=b"pw-1234")}
    with pytest.raises(CredentialsError, match=r"encrypted.*openssl pkey"):
        load_credentials(spec(secret=None, private_key="TG_PEM"), env)
    broken = "-----BEGIN PRIVATE KEY-----\nPLANTEDnotbase64\n-----END PRIVATE KEY-----\n"  # tradeguard: allow
    with pytest.raises(CredentialsError, match="not a readable PEM") as caught:
        load_credentials(spec(secret=None, private_key="TG_PEM"), {**env, "TG_PEM": broken})
    assert "PLANTED" not in str(caught.value)


def test_a_spec_needs_exactly_one_of_secret_and_private_key() -> None:
    with pytest.raises(CredentialsError, match="exactly one"):
        spec(private_key="TG_PEM")
    with pytest.raises(CredentialsError, match="exactly one"):
        spec(secret=None)


# ── keyring ──────────────────────────────────────────────────────────────────────────────────


def test_keyring_reads_entries_of_the_service() -> None:
    backend = FakeKeyring({("tradeguard", "k"): KEY, ("tradeguard", "s"): SECRET})
    creds = load_credentials(spec("keyring", api_key="k", secret="s"), {}, keyring_backend=backend)
    assert creds.secret.reveal() == SECRET and backend.asked == [
        ("tradeguard", "k"),
        ("tradeguard", "s"),
    ]


def test_keyring_missing_entry_says_how_to_add_it() -> None:
    backend = FakeKeyring({("tradeguard", "k"): KEY})
    with pytest.raises(CredentialsError, match=r"no keyring entry s .*keyring set tradeguard s"):
        load_credentials(spec("keyring", api_key="k", secret="s"), {}, keyring_backend=backend)


def test_a_failing_keyring_is_one_line_without_its_message() -> None:
    backend = FakeKeyring({("tradeguard", "k"): SECRET}, broken=True)
    with pytest.raises(CredentialsError) as caught:
        load_credentials(spec("keyring", api_key="k", secret="s"), {}, keyring_backend=backend)
    assert "RuntimeError" in str(caught.value) and SECRET not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


# ── file ─────────────────────────────────────────────────────────────────────────────────────


def test_a_0600_file_outside_any_repository_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    key = secret_file(folder, "key", KEY)
    secret_file(folder, "pem", pem("ED25519"))
    creds = load_credentials(
        spec("file", api_key=str(key), secret=None, private_key="pem"), {}, cwd=folder
    )
    assert creds.api_key == KEY and creds.kind == "ED25519"


def test_a_file_readable_by_others_says_chmod_600(tmp_path: Path) -> None:
    key = secret_file(tmp_path / "k", "key", KEY)
    sec = secret_file(tmp_path / "k", "secret", SECRET, mode=0o644)
    with pytest.raises(CredentialsError) as caught:
        load_credentials(spec("file", api_key=str(key), secret=str(sec)), {})
    assert f"`chmod 600 {sec}`" in str(caught.value) and "0644" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_file_inside_a_git_work_tree_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "bot"
    (repo / ".git").mkdir(parents=True)
    key = secret_file(repo / "config" / "deep", "key", KEY)
    sec = secret_file(tmp_path / "safe", "secret", SECRET)
    with pytest.raises(CredentialsError) as caught:
        load_credentials(spec("file", api_key=str(key), secret=str(sec)), {})
    message = str(caught.value)
    assert f"inside the git work tree {repo}" in message and "move it out" in message


def test_a_symlink_into_a_repository_is_judged_by_its_target(tmp_path: Path) -> None:
    repo = tmp_path / "bot"
    (repo / ".git").mkdir(parents=True)
    target = secret_file(repo, "secret", SECRET)
    link = tmp_path / "outside-link"
    link.symlink_to(target)
    key = secret_file(tmp_path / "safe", "key", KEY)
    with pytest.raises(CredentialsError, match="git work tree"):
        load_credentials(spec("file", api_key=str(key), secret=str(link)), {})


def test_a_file_of_another_user_is_refused(tmp_path: Path) -> None:
    key = secret_file(tmp_path / "k", "key", KEY)
    sec = secret_file(tmp_path / "k", "secret", SECRET)
    other = os.getuid() + 1
    with pytest.raises(CredentialsError, match=r"belongs to another user.*chown"):
        load_credentials(spec("file", api_key=str(key), secret=str(sec)), {}, owner_uid=other)


def test_a_missing_or_empty_file(tmp_path: Path) -> None:
    key = secret_file(tmp_path / "k", "key", KEY)
    with pytest.raises(CredentialsError, match="does not exist"):
        load_credentials(spec("file", api_key=str(key), secret=str(tmp_path / "nope")), {})
    empty = secret_file(tmp_path / "k", "empty", "")
    with pytest.raises(CredentialsError, match="is empty"):
        load_credentials(spec("file", api_key=str(key), secret=str(empty)), {})
    with pytest.raises(CredentialsError, match="not a regular file"):
        load_credentials(spec("file", api_key=str(key), secret=str(tmp_path)), {})


# ── no secret ever shows ─────────────────────────────────────────────────────────────────────


def _every_failure(tmp_path: Path) -> list[BaseException]:
    """Provoke every error path with the planted values around, and collect the errors."""
    failures: list[BaseException] = []

    def attempt(s: CredentialsSpec, env: dict[str, str], **kw: object) -> None:
        try:
            load_credentials(s, env, **kw)  # type: ignore[arg-type]
        except CredentialsError as exc:
            failures.append(exc)
        else:
            raise AssertionError("expected a CredentialsError")

    full = {"TG_KEY": KEY, "TG_SECRET": SECRET, "TG_PASS": PASS}
    attempt(spec(), {"TG_SECRET": SECRET})
    attempt(spec(passphrase="TG_NOPE"), full)
    attempt(spec(secret=SECRET), full)  # a secret given where a name belongs
    attempt(spec(secret=None, private_key="TG_SECRET"), full)
    attempt(spec(secret=None, private_key="TG_PEM"), {**full, "TG_PEM": pem("RSA", b"pw")})
    broken = FakeKeyring({("tradeguard", "k"): SECRET}, broken=True)
    attempt(spec("keyring", api_key="k", secret="s"), {}, keyring_backend=broken)
    attempt(spec("keyring", api_key=KEY, secret=SECRET), {}, keyring_backend=FakeKeyring({}))
    sec = secret_file(tmp_path / "leak", "secret", SECRET, mode=0o640)
    attempt(spec("file", api_key=str(sec), secret=str(sec)), {})
    attempt(spec("file", api_key=str(tmp_path / SECRET), secret=str(sec)), {})
    try:
        ApiCredentials(KEY, Secret(SECRET), kind="ED25519")
    except CredentialsError as exc:
        failures.append(exc)
    return failures


def test_no_message_repr_or_traceback_holds_a_planted_secret(tmp_path: Path) -> None:
    import traceback

    failures = _every_failure(tmp_path)
    assert len(failures) == 10
    for exc in failures:
        seen = [str(exc), repr(exc), *map(str, exc.args)]
        seen += traceback.format_exception(exc)
        seen += [str(exc.__context__), str(exc.__cause__)]
        for text in seen:
            for planted in (SECRET, PASS, KEY, SECRET[:12], KEY[:12]):
                assert planted not in text, (text, planted)
    env = {"TG_KEY": KEY, "TG_SECRET": SECRET, "TG_PASS": PASS}
    creds = load_credentials(spec(passphrase="TG_PASS"), env)
    for text in (str(creds), repr(creds), f"{creds.secret}", str(creds.passphrase)):
        assert SECRET not in text and PASS not in text and KEY not in text
    assert creds.secret.fingerprint().startswith("sha256:")
