"""API credentials: a `Secret` that never prints, the key pair a venue signs with, and where
they are read from.

A secret's value is reachable only through `reveal()`, called by the signer; `str`, `repr`,
formatting, pickling and JSON encoding all show a redaction. API keys are public identifiers but
still shown only as a short prefix.

Sources (`load_credentials`, an I/O edge), named per profile in tradeguard.toml:

    env       environment variables            secret = "BINANCE_API_SECRET"
    keyring   OS keyring entries (service "tradeguard" unless told)   secret = "binance-main"
    file      files of mode 0600, owned by the user, outside any git work tree
                                               private_key = "~/.config/tradeguard/binance.pem"

Every message names the variable, entry or file and the profile, never a value.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NoReturn, Protocol

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from tradeguard.errors import CredentialsError
from tradeguard.keys.shape import shown
from tradeguard.venues.binance import signing


class Secret:
    """A secret string that refuses to be printed, logged, pickled or compared by value."""

    __slots__ = ("__value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise CredentialsError("a secret must be a non-empty string")
        self.__value = value

    def reveal(self) -> str:
        return self.__value

    def fingerprint(self) -> str:
        """A short, non-reversible tag to tell two secrets apart in messages."""
        return "sha256:" + hashlib.sha256(self.__value.encode()).hexdigest()[:8]

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "***"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")

    def __eq__(self, other: object) -> bool:
        return NotImplemented

    def __hash__(self) -> int:
        return id(self)


def key_prefix(api_key: str) -> str:
    """How an API key appears anywhere a person or a log can see it."""
    return api_key[:6] + "…" if len(api_key) > 6 else "…"


@dataclass(slots=True)
class ApiCredentials:
    """A Binance-style key: the public API key and the secret (HMAC secret or PEM private key)."""

    api_key: str
    secret: Secret
    kind: signing.KeyKind = "HMAC"
    passphrase: Secret | None = None  # OKX's API passphrase; None where the venue has none

    def __post_init__(self) -> None:
        if self.kind not in signing.KEY_KINDS:
            raise CredentialsError(
                f"unknown key type {self.kind!r}", hint=f"use one of {', '.join(signing.KEY_KINDS)}"
            )
        if self.kind != "HMAC" and "PRIVATE KEY" not in self.secret.reveal():
            raise CredentialsError(
                f"an {self.kind} key needs a PEM private key as its secret",
                hint="give the PKCS#8 PEM file's contents (-----BEGIN PRIVATE KEY-----)",
            )

    def secrets(self) -> list[Secret]:
        """What of this key must never be shown: the secret, and the passphrase where the venue
        has one (the journal's Redactor masks each)."""
        return [self.secret] if self.passphrase is None else [self.secret, self.passphrase]

    def sign(self, payload: str) -> str:
        if self.kind == "HMAC":
            return signing.hmac_sha256_hex(self.secret.reveal(), payload)
        return signing.sign(self.kind, self.secret.reveal(), payload)

    def __repr__(self) -> str:
        extra = ", passphrase=***" if self.passphrase is not None else ""
        return f"ApiCredentials(api_key={key_prefix(self.api_key)!r}, kind={self.kind!r}{extra})"


# ── where credentials come from ──────────────────────────────────────────────────────────────

CredentialSource = Literal["env", "keyring", "file"]
CREDENTIAL_SOURCES: tuple[CredentialSource, ...] = ("env", "keyring", "file")
DEFAULT_KEYRING_SERVICE = "tradeguard"


@dataclass(frozen=True, slots=True)
class CredentialsSpec:
    """Where one profile's credentials come from: names of variables, keyring entries or file
    paths, never the values. Exactly one of `secret` (an HMAC secret) and `private_key` (an
    Ed25519 or RSA private key, PEM) is set; `kind` None means HMAC for `secret` and read from
    the PEM for `private_key`."""

    profile: str
    source: CredentialSource
    api_key: str
    secret: str | None = None
    private_key: str | None = None
    passphrase: str | None = None  # OKX
    kind: signing.KeyKind | None = None
    keyring_service: str = DEFAULT_KEYRING_SERVICE

    def __post_init__(self) -> None:
        if self.source not in CREDENTIAL_SOURCES:
            raise CredentialsError(
                f"profile {self.profile}: unknown credentials source",
                hint=f"use one of {', '.join(CREDENTIAL_SOURCES)}",
            )
        if (self.secret is None) == (self.private_key is None):
            raise CredentialsError(
                f"profile {self.profile}: give exactly one of credentials.secret (HMAC) and "
                "credentials.private_key (Ed25519 or RSA PEM)"
            )

    def names(self) -> dict[str, str]:
        """The fields that are set, by field name: what `load_credentials` will read."""
        fields = {
            "api_key": self.api_key,
            "secret": self.secret,
            "private_key": self.private_key,
            "passphrase": self.passphrase,
        }
        return {field: name for field, name in fields.items() if name is not None}


class KeyringBackend(Protocol):
    """What `load_credentials` needs of a keyring: the `keyring` module itself fits."""

    def get_password(self, service_name: str, username: str) -> str | None: ...


# ── reading them ─────────────────────────────────────────────────────────────────────────────


def load_credentials(
    spec: CredentialsSpec,
    env: Mapping[str, str],
    *,
    keyring_backend: KeyringBackend | None = None,
    cwd: Path | None = None,
    owner_uid: int | None = None,
) -> ApiCredentials:
    """Read a profile's credentials from their source. Raises CredentialsError naming what is
    missing or unsafe and the fix, never a value. `cwd` resolves relative file paths (default:
    the process's); `owner_uid` is whom a credentials file must belong to (default: this user).
    """
    if spec.source == "env":
        read: _Reader = _EnvReader(spec, env)
    elif spec.source == "keyring":
        read = _KeyringReader(spec, keyring_backend)
    else:
        read = _FileReader(spec, cwd, owner_uid)
    api_key = read("api_key", spec.api_key)
    passphrase = read("passphrase", spec.passphrase) if spec.passphrase is not None else None
    if spec.private_key is not None:
        material = read("private_key", spec.private_key)
        kind = pem_kind(material, spec, spec.private_key)
    else:
        assert spec.secret is not None
        material = read("secret", spec.secret)
        kind = pem_kind(material, spec, spec.secret) if "PRIVATE KEY" in material else "HMAC"
    if spec.kind is not None and spec.kind != kind:
        raise CredentialsError(
            f"profile {spec.profile}: credentials.kind says {spec.kind} but the key is {kind}",
            hint="remove credentials.kind (it is read from the key) or give the right key",
        )
    return ApiCredentials(
        api_key,
        Secret(material),
        kind=kind,
        passphrase=None if passphrase is None else Secret(passphrase),
    )


def pem_kind(pem: str, spec: CredentialsSpec, name: str) -> signing.KeyKind:
    """ED25519 or RSA, read from an unencrypted PEM private key."""
    where = f"profile {spec.profile}: the private key in {shown(name)}"
    # Errors are raised outside the except blocks: a decoding error keeps the text it failed on
    # (UnicodeError.object), and a chained __context__ would carry the key along.
    key: object = None
    failure: type[BaseException] | None = None
    try:
        key = serialization.load_pem_private_key(pem.strip().encode("ascii"), password=None)
    except (TypeError, ValueError, UnicodeError, UnsupportedAlgorithm) as exc:
        failure = type(exc)
    if failure is TypeError:
        raise CredentialsError(
            f"{where} is encrypted",
            hint="Binance signs with an unencrypted PKCS#8 key: `openssl pkey -in KEY -out NEW`, "
            "then keep NEW at mode 0600 outside any repository",
        )
    if failure is not None:
        raise CredentialsError(
            f"{where} is not a readable PEM private key",
            hint="give the whole PEM file, from its -----BEGIN line to its -----END line",
        )
    if isinstance(key, Ed25519PrivateKey):
        return "ED25519"
    if isinstance(key, RSAPrivateKey):
        return "RSA"
    raise CredentialsError(
        f"{where} is neither Ed25519 nor RSA", hint="Binance accepts HMAC, Ed25519 and RSA keys"
    )


class _Reader(Protocol):
    def __call__(self, field: str, name: str) -> str: ...


class _EnvReader:
    def __init__(self, spec: CredentialsSpec, env: Mapping[str, str]) -> None:
        self.spec = spec
        self.env = env

    def __call__(self, field: str, name: str) -> str:
        value = self.env.get(name)
        if value is None or not value.strip():
            state = "is not set" if value is None else "is empty"
            raise CredentialsError(
                f"profile {self.spec.profile}: environment variable {shown(name)} "
                f"({field}) {state}",
                hint=f"export {shown(name)}=... before starting tradeguard, or change "
                f"credentials.{field} in tradeguard.toml",
            )
        return value.strip()


class _KeyringReader:
    def __init__(self, spec: CredentialsSpec, backend: KeyringBackend | None) -> None:
        self.spec = spec
        self.backend = backend

    def _backend(self) -> KeyringBackend:
        if self.backend is None:
            try:
                import keyring
            except ImportError:  # pragma: no cover - keyring is a dependency
                raise CredentialsError(
                    f"profile {self.spec.profile}: the keyring package is not installed",
                    hint='pip install keyring, or use source = "env" or "file"',
                ) from None
            self.backend = keyring
        return self.backend

    def __call__(self, field: str, name: str) -> str:
        service = self.spec.keyring_service
        backend = self._backend()
        value: str | None = None
        failure = ""
        try:
            value = backend.get_password(service, name)
        except Exception as exc:  # any keyring failure: no backend, locked, denied
            failure = type(exc).__name__  # only the name: its message may quote an entry
        if failure:
            raise CredentialsError(
                f"profile {self.spec.profile}: the OS keyring could not be read ({failure})",
                hint="unlock the keyring, or install a backend (`keyring --list-backends`), "
                'or use source = "env" or "file"',
            )
        if value is None or not value.strip():
            raise CredentialsError(
                f"profile {self.spec.profile}: no keyring entry {shown(name)} ({field}) "
                f"in service {service}",
                hint=f"add it with `keyring set {service} {shown(name)}`",
            )
        return value.strip()


class _FileReader:
    def __init__(self, spec: CredentialsSpec, cwd: Path | None, owner_uid: int | None) -> None:
        self.spec = spec
        self.cwd = cwd
        self.owner_uid = owner_uid

    def __call__(self, field: str, name: str) -> str:
        profile = self.spec.profile
        path = Path(name).expanduser()
        if not path.is_absolute():
            path = (self.cwd if self.cwd is not None else Path.cwd()) / path
        label = shown(str(path))
        real = info = None
        try:
            real = path.resolve(strict=True)
            info = real.stat()
        except (OSError, RuntimeError):
            pass  # the error names the path, which may be a pasted secret: never chain it
        if real is None or info is None:
            raise CredentialsError(
                f"profile {profile}: credentials file {label} ({field}) does not exist",
                hint=f"create it (mode 0600, outside any repository) or fix credentials.{field}",
            )
        if not stat.S_ISREG(info.st_mode):
            raise CredentialsError(
                f"profile {profile}: credentials file {label} ({field}) is not a regular file",
                hint=f"point credentials.{field} at the file that holds the {field}",
            )
        repo = git_work_tree(real)
        if repo is not None:
            raise CredentialsError(
                f"profile {profile}: credentials file {label} is inside the git work tree "
                f"{shown(str(repo))}",
                hint="move it out of the repository (e.g. to ~/.config/tradeguard/) and update "
                f"credentials.{field}; then run `tradeguard scan --history` in case it was "
                "ever committed",
            )
        uid = self.owner_uid if self.owner_uid is not None else os.getuid()
        if info.st_uid != uid:
            raise CredentialsError(
                f"profile {profile}: credentials file {label} belongs to another user "
                f"(uid {info.st_uid})",
                hint=f"`chown {uid} {label}`, or keep your own copy",
            )
        if info.st_mode & 0o077:
            raise CredentialsError(
                f"profile {profile}: credentials file {label} is readable by others "
                f"(mode {stat.S_IMODE(info.st_mode):04o})",
                hint=f"`chmod 600 {label}`",
            )
        value = ""
        failure = ""
        try:
            value = real.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeError) as exc:
            failure = type(exc).__name__  # a UnicodeError holds the bytes: never chain it
        if failure:
            raise CredentialsError(
                f"profile {profile}: cannot read credentials file {label} ({failure})",
                hint="check the file is readable by you and holds text",
            )
        if not value:
            raise CredentialsError(
                f"profile {profile}: credentials file {label} ({field}) is empty",
                hint=f"write the {field} into it",
            )
        return value


def git_work_tree(path: Path) -> Path | None:
    """The git work tree a path lies in (a parent holding `.git`), or None."""
    for parent in path.parents:
        if (parent / ".git").exists():
            return parent
    return None
