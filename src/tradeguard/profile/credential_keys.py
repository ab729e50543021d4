"""The `[profiles.NAME.credentials]` table: where a profile's API key and secret are (an
environment variable, a keyring entry, or a file), never the values themselves. A value is
never shown in a message: a name may be a pasted secret.
"""

from __future__ import annotations

import re
from typing import Final

from tradeguard.errors import CredentialsError
from tradeguard.keys.credentials import CREDENTIAL_SOURCES, DEFAULT_KEYRING_SERVICE, CredentialsSpec
from tradeguard.profile.values import Checks, Path_, dotted, example
from tradeguard.venues.binance.signing import KEY_KINDS

CREDENTIAL_KEYS: Final = (
    "source", "api_key", "secret", "private_key", "passphrase", "kind", "keyring_service",
)  # fmt: skip
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYRING_NAME = re.compile(r"[\w.@:+-]{1,128}")


class CredentialsTable(Checks):
    """The parser's part that reads a profile's credentials table."""

    def credentials(self, profile: str, venue: str, body: object) -> CredentialsSpec | None:
        path: Path_ = ("profiles", profile, "credentials")
        if body is None:
            return None
        if not isinstance(body, dict):
            self.fail(path, "must be a table", f"write [profiles.{profile}.credentials]")
        self.keys(path, body, CREDENTIAL_KEYS)
        for key, value in body.items():
            if not isinstance(value, str) or not value.strip():
                self.fail((*path, key), "must be a non-empty string", "write it in quotes")
        source = self.choice((*path, "source"), body.get("source", "env"), CREDENTIAL_SOURCES)
        names = {
            k: body[k] for k in ("api_key", "secret", "private_key", "passphrase") if k in body
        }
        for key, name in names.items():
            self.credential_name((*path, key), source, name)
        if "api_key" not in names:
            self.fail(path, "api_key is missing", f"add api_key = {example(source, 'API_KEY')}")
        if ("secret" in names) == ("private_key" in names):
            self.fail(
                path,
                "needs exactly one of secret (HMAC) and private_key (Ed25519/RSA PEM)",
                f"add secret = {example(source, 'API_SECRET')}, or private_key for a PEM key",
            )
        if venue != "binance" and "private_key" in names:
            self.fail((*path, "private_key"), f"{venue} signs with a secret", "use secret = ...")
        if venue == "okx" and "passphrase" not in names:
            self.fail(
                path,
                "okx needs a passphrase",
                f"add passphrase = {example(source, 'OKX_PASSPHRASE')}",
            )
        if venue != "okx" and "passphrase" in names:
            self.fail((*path, "passphrase"), f"{venue} has no passphrase", "delete this line")
        kind = body.get("kind")
        if kind is not None:
            kind = self.choice((*path, "kind"), kind.upper(), KEY_KINDS)
        return CredentialsSpec(
            profile=profile,
            source=source,
            api_key=names["api_key"],
            secret=names.get("secret"),
            private_key=names.get("private_key"),
            passphrase=names.get("passphrase"),
            kind=kind,
            keyring_service=body.get("keyring_service", DEFAULT_KEYRING_SERVICE),
        )

    def credential_name(self, path: Path_, source: str, name: str) -> None:
        if source == "env" and not _ENV_NAME.fullmatch(name):
            raise CredentialsError(
                f"{self.where(path)}: {dotted(path)} is not an environment variable name "
                "(it is not shown, in case it is a secret)",
                hint=f"write the variable's name, like {example(source, path[-1].upper())}, "
                "and export the value in that variable",
            )
        if source == "keyring" and not _KEYRING_NAME.fullmatch(name):
            raise CredentialsError(
                f"{self.where(path)}: {dotted(path)} is not a keyring entry name "
                "(it is not shown, in case it is a secret)",
                hint='name the entry, like "binance-main", and store the value with '
                "`keyring set tradeguard binance-main`",
            )
