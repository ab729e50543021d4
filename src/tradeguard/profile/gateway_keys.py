"""The `[profiles.NAME.gateway]` table: the local keys `tradeguard gateway` accepts, one per bot.

    [[profiles.main.gateway.keys]]
    name = "grid"
    api_key = "GRID_GW_KEY"            # an environment variable's name
    secret = "GRID_GW_SECRET"
    max_order_notional = "200"
    max_orders_per_minute = 30

    [[profiles.main.gateway.keys]]
    name = "dca"
    source = "keyring"
    api_key = "dca-gw-key"             # a keyring entry's name
    secret = "dca-gw-secret"

    [[profiles.main.gateway.keys]]
    name = "signer"
    api_key = "SIGNER_GW_KEY"
    public_key = "keys/signer.pub"     # the bot's Ed25519 public key (PEM); no secret here

`api_key` and `secret` name where the values are (an environment variable, or a keyring entry
with `source = "keyring"`), as the profile's credentials do; the values are never in the file
(the parser refuses one that looks like key material). Each key's limits are its own, checked
before the session's. An Ed25519 key names the file of the bot's public key (`public_key`,
read by `tradeguard gateway`, relative to where it runs) instead of a secret: the bot signs
with its own private key, which the gateway never holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from tradeguard.keys.credentials import DEFAULT_KEYRING_SERVICE, CredentialSource, CredentialsSpec
from tradeguard.profile.credential_keys import CredentialsTable
from tradeguard.profile.values import Path_

GATEWAY_KEYS: Final = ("keys",)
KEY_FIELDS: Final = ("name", "source", "api_key", "secret", "public_key", "keyring_service",
                     "max_order_notional", "max_orders_per_minute")  # fmt: skip
SOURCES: Final[tuple[CredentialSource, ...]] = ("env", "keyring")
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class GatewayKeySpec:
    """One bot's local key: its name (journaled with each order it places), where its values
    are read from, and its own limits (None: only the session's)."""

    name: str
    credentials: CredentialsSpec
    max_order_notional: Decimal | None = None
    max_orders_per_minute: int | None = None
    public_key: str | None = None  # an Ed25519 key's public key file (then no secret)


class GatewayTable(CredentialsTable):
    """The parser's part that reads a profile's gateway table (its key names are checked as
    the credentials' are)."""

    def gateway_keys(self, profile: str, body: object) -> tuple[GatewayKeySpec, ...]:
        path: Path_ = ("profiles", profile, "gateway")
        if body is None:
            return ()
        if not isinstance(body, dict):
            self.fail(path, "must be a table", f"write [profiles.{profile}.gateway]")
        self.keys(path, body, GATEWAY_KEYS)
        listed = body.get("keys", [])
        if not isinstance(listed, list) or not listed:
            self.fail((*path, "keys"), "must be a list of keys", _EXAMPLE)
        specs = tuple(self._key(profile, (*path, "keys"), entry) for entry in listed)
        names = [s.name for s in specs]
        for name in names:
            if names.count(name) > 1:
                self.fail((*path, "keys"), f"two keys are named {name}", "give each its own name")
        return specs

    def _key(self, profile: str, path: Path_, entry: object) -> GatewayKeySpec:
        if not isinstance(entry, dict):
            self.fail(path, "each key must be a table", _EXAMPLE)
        self.keys(path, entry, KEY_FIELDS)
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            self.fail(path, "each key needs a name (letters, digits, - and _)", _EXAMPLE)
        source = self.choice((*path, "source"), entry.get("source", "env"), SOURCES)
        public_key = self._public_key(path, name, entry)
        for field in ("api_key",) if public_key else ("api_key", "secret"):
            value = entry.get(field)
            if not isinstance(value, str) or not value.strip():
                self.fail(path, f"key {name}: {field} is missing", _EXAMPLE)
            self.credential_name((*path, field), source, value)
        notional = entry.get("max_order_notional")
        rate = entry.get("max_orders_per_minute")
        return GatewayKeySpec(
            name=name,
            credentials=CredentialsSpec(
                profile=f"{profile} (gateway key {name})",
                source=source,
                api_key=entry["api_key"],
                # an Ed25519 key has no secret; its spec (which wants one) names the API key's
                # entry in its place, and the value read there is never used to sign
                secret=entry["api_key"] if public_key else entry["secret"],
                keyring_service=entry.get("keyring_service", DEFAULT_KEYRING_SERVICE),
            ),
            max_order_notional=None
            if notional is None
            else self.money((*path, "max_order_notional"), notional),
            max_orders_per_minute=None
            if rate is None
            else self.count((*path, "max_orders_per_minute"), rate),
            public_key=public_key,
        )

    def _public_key(self, path: Path_, name: str, entry: dict[str, object]) -> str | None:
        """An Ed25519 key's `public_key` file name (None: an HMAC key, with a secret)."""
        if "public_key" not in entry:
            return None
        if "secret" in entry:
            self.fail(
                path,
                f"key {name}: give either secret (HMAC) or public_key (Ed25519), not both",
                "an Ed25519 bot signs with its private key; the gateway needs only its public key",
            )
        value = entry["public_key"]
        if not isinstance(value, str) or not value.strip():
            self.fail(
                path,
                f"key {name}: public_key is empty",
                'name the file of the bot\'s Ed25519 public key, like public_key = "bot.pub"',
            )
        return value


_EXAMPLE = (
    'keys = [{ name = "bot", api_key = "BOT_GW_KEY", secret = "BOT_GW_SECRET", '
    'max_order_notional = "200", max_orders_per_minute = 30 }]'
)
