"""Kraken's request signing and nonces, verified exactly; pure, no I/O.

    API-Sign = base64(HMAC-SHA512(b64decode(secret), path + SHA256(nonce + body)))

`path` is "/0/private/<Method>" and `body` the raw POST body as received (form, or JSON for
trailing-percent and batch orders). A nonce must be a positive integer above the key's last
accepted one (`EAPI:Invalid nonce`); there is no timestamp window.

The simulator's HMAC secrets are 64 characters of [A-Za-z0-9], which is valid base64: the
listed secret is handed to a Kraken client as is, and both sides decode it to the same 48
bytes. Ed25519 and RSA keys do not exist on Kraken: they are refused as `EAPI:Invalid key`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Final

from tradeguard.sim.keys import ApiKey, KeyStore, ip_allowed
from tradeguard.sim.kraken.errors import (
    INVALID_KEY,
    INVALID_NONCE,
    INVALID_SIGNATURE,
    PERMISSION_DENIED,
    KrakenError,
)

_NONCE_RE: Final = re.compile(r"[0-9]{1,20}")
MAX_NONCE: Final = 2**64 - 1


def sign(secret_b64: str, path: str, nonce: str, body: bytes) -> str:
    """The API-Sign a Kraken client computes (also what the simulator checks against)."""
    digest = hashlib.sha256(nonce.encode() + body).digest()
    mac = hmac.new(base64.b64decode(secret_b64), path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


@dataclass(slots=True)
class Nonces:
    """The last accepted nonce of each API key."""

    _last: dict[str, int] = field(default_factory=dict)

    def accept(self, api_key: str, raw: str | None) -> None:
        if raw is None or not _NONCE_RE.fullmatch(raw) or not 0 < int(raw) <= MAX_NONCE:
            raise KrakenError(INVALID_NONCE)
        nonce = int(raw)
        if nonce <= self._last.get(api_key, 0):
            raise KrakenError(INVALID_NONCE)
        self._last[api_key] = nonce


def authenticate(
    store: KeyStore,
    nonces: Nonces,
    api_key: str | None,
    api_sign: str | None,
    path: str,
    nonce: str | None,
    body: bytes,
    peer_ip: str,
) -> ApiKey:
    """The key of a signed private request, or KrakenError: key, signature, nonce, IP."""
    key = store.by_api_key(api_key) if api_key else None
    if key is None or key.kind != "HMAC":
        raise KrakenError(INVALID_KEY)
    if not api_sign or not _signature_ok(key.secret, path, nonce or "", body, api_sign):
        raise KrakenError(INVALID_SIGNATURE)
    nonces.accept(key.api_key, nonce)
    if not ip_allowed(key, peer_ip):
        raise KrakenError(PERMISSION_DENIED)
    return key


def _signature_ok(secret: str, path: str, nonce: str, body: bytes, given: str) -> bool:
    try:
        expected = sign(secret, path, nonce, body)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
