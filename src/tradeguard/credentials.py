"""API credentials: a `Secret` that never prints, and the key pair a venue signs with.

A secret's value is reachable only through `reveal()`, called by the signer; `str`, `repr`,
formatting, pickling and JSON encoding all show a redaction. API keys are public identifiers but
still shown only as a short prefix.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import NoReturn

from tradeguard.errors import CredentialsError
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

    def sign(self, payload: str) -> str:
        if self.kind == "HMAC":
            return signing.hmac_sha256_hex(self.secret.reveal(), payload)
        return signing.sign(self.kind, self.secret.reveal(), payload)

    def __repr__(self) -> str:
        return f"ApiCredentials(api_key={key_prefix(self.api_key)!r}, kind={self.kind!r})"
