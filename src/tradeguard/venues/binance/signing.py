"""Binance request signing: the one place where the client and the simulator sign and verify.

Three key types (Binance rest-api.md, faqs/api_key_types.md):

    HMAC      HMAC-SHA256 of the payload with the secret, lowercase hex (Binance compares it
              case-insensitively)
    ED25519   Ed25519 signature of the payload, base64 (then percent-encoded on the wire)
    RSA       RSASSA-PKCS1-v1_5 with SHA-256 of the payload, base64 (then percent-encoded)

What the payload is differs by transport:

    REST      the query string followed by the form body, exactly as sent, with no separator
              between them, minus the `signature` pair. Values are percent-encoded before signing
              (enforced by Binance from 2026-01-15), so `encode_params` is how a client builds it.
    WS API    every parameter except `signature` (and including `apiKey`), sorted by name,
              `k=v` joined by `&`, NOT percent-encoded: `ws_payload`.

Pure: no I/O, no clock. Secrets are only ever arguments; nothing here logs them. The one
thing kept is `ReadyKey`'s: an HMAC key made ready to sign (its pads hashed), for the transport
that signs every request with it; it prints as nothing and refuses to be pickled.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from itertools import chain
from typing import Literal, NoReturn, Protocol
from urllib.parse import quote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

KeyKind = Literal["HMAC", "ED25519", "RSA"]
KEY_KINDS: tuple[KeyKind, ...] = ("HMAC", "ED25519", "RSA")


def _as_bytes(payload: str | bytes) -> bytes:
    return payload.encode("utf-8") if isinstance(payload, str) else payload


# ── signing ─────────────────────────────────────────────────────────────────────────────────


def hmac_sha256_hex(secret: str, payload: str | bytes) -> str:
    """Lowercase hex HMAC-SHA256 of `payload` keyed with `secret` (both UTF-8)."""
    # the one-shot digest, in C: an HMAC object (hmac.new) costs a third more per order
    return hmac.digest(secret.encode("utf-8"), _as_bytes(payload), "sha256").hex()


_BLOCK = 64  # SHA-256's block, in bytes
_INNER_PAD = bytes(b ^ 0x36 for b in range(256))  # bytes.translate tables: each byte XOR the pad
_OUTER_PAD = bytes(b ^ 0x5C for b in range(256))


class HmacSha256:
    """An HMAC-SHA256 key made ready once (RFC 2104): the SHA-256 states after its inner and
    outer pads, copied for each payload. The one-shot `hmac.digest` sets the key up in OpenSSL
    again at every call, and with the caches cold (the exchange ran on the core while the bot
    waited for its last reply) that cost about 20 µs an order against 9 here."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, secret: str) -> None:
        key = secret.encode("utf-8")
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(_INNER_PAD))
        self._outer = hashlib.sha256(key.translate(_OUTER_PAD))

    def hex(self, payload: str | bytes) -> str:
        """Lowercase hex HMAC-SHA256 of `payload`, as `hmac_sha256_hex` with this key."""
        inner = self._inner.copy()
        inner.update(_as_bytes(payload))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def __repr__(self) -> str:
        return "HmacSha256(***)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a signing key cannot be pickled")


class _Revealing(Protocol):
    def reveal(self) -> str: ...


class Keyed(Protocol):
    """What `ReadyKey` signs for: `keys.credentials.ApiCredentials`."""

    @property
    def kind(self) -> str: ...
    @property
    def secret(self) -> _Revealing: ...
    def sign(self, payload: str) -> str: ...


class ReadyKey:
    """Signs for the credentials it is handed as their own `sign` does, an HMAC key made ready
    once (`HmacSha256`) instead of at every request. Handed other credentials (a key rotation
    replaces the object), it makes theirs ready instead; Ed25519 and RSA keys sign through the
    credentials."""

    __slots__ = ("_for", "_sign")

    def __init__(self) -> None:
        self._for: object = None
        self._sign: Callable[[str], str] | None = None

    def signer(self, credentials: Keyed) -> Callable[[str], str]:
        """What signs a payload with `credentials`' key."""
        sign = self._sign
        if credentials is not self._for or sign is None:
            if credentials.kind == "HMAC":
                sign = HmacSha256(credentials.secret.reveal()).hex
            else:
                sign = credentials.sign
            self._for, self._sign = credentials, sign
        return sign

    def __repr__(self) -> str:
        return "ReadyKey(***)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a signing key cannot be pickled")


def _load_private(private_key_pem: str) -> object:
    return serialization.load_pem_private_key(private_key_pem.encode("ascii"), password=None)


def ed25519_sign_b64(private_key_pem: str, payload: bytes) -> str:
    """Base64 of the raw 64-byte Ed25519 signature, keyed with a PKCS#8 PEM private key."""
    key = _load_private(private_key_pem)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("ed25519_sign_b64 needs an Ed25519 private key PEM")
    return base64.b64encode(key.sign(payload)).decode("ascii")


def rsa_sign_b64(private_key_pem: str, payload: bytes) -> str:
    """Base64 of an RSASSA-PKCS1-v1_5 SHA-256 signature, keyed with an RSA private key PEM."""
    key = _load_private(private_key_pem)
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("rsa_sign_b64 needs an RSA private key PEM")
    return base64.b64encode(key.sign(payload, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def sign(kind: KeyKind, key_material: str, payload: str | bytes) -> str:
    """Sign with the key type's scheme. `key_material` is the HMAC secret or the private key PEM."""
    data = _as_bytes(payload)
    if kind == "HMAC":
        return hmac_sha256_hex(key_material, data)
    if kind == "ED25519":
        return ed25519_sign_b64(key_material, data)
    if kind == "RSA":
        return rsa_sign_b64(key_material, data)
    raise ValueError(f"unknown key kind {kind!r}; expected one of {', '.join(KEY_KINDS)}")


# ── verifying ───────────────────────────────────────────────────────────────────────────────


def _b64_signature(signature: str) -> bytes | None:
    try:
        return base64.b64decode(signature.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return None


def verify(kind: KeyKind, key_material: str | HmacSha256, payload: bytes, signature: str) -> bool:
    """True if `signature` (as received, already percent-decoded) signs `payload`.

    `key_material` is the HMAC secret (or that key made ready, for a verifier checking every
    request with it), or the PUBLIC key PEM for ED25519 and RSA. A malformed signature is
    simply not valid (False); malformed key material is our own configuration error and raises
    ValueError.
    """
    if kind == "HMAC":
        if isinstance(key_material, HmacSha256):
            expected = key_material.hex(payload).encode("ascii")
        else:
            expected = hmac_sha256_hex(key_material, payload).encode("ascii")
        # compare_digest on str refuses non-ASCII text, so compare bytes: any odd input is False.
        return hmac.compare_digest(signature.lower().encode("utf-8"), expected)
    if kind not in ("ED25519", "RSA"):
        raise ValueError(f"unknown key kind {kind!r}; expected one of {', '.join(KEY_KINDS)}")
    if isinstance(key_material, HmacSha256):
        raise ValueError(f"{kind} verification needs a public key PEM, not an HMAC key")
    public = serialization.load_pem_public_key(key_material.encode("ascii"))
    raw = _b64_signature(signature)
    if raw is None:
        return False
    try:
        if kind == "ED25519":
            if not isinstance(public, Ed25519PublicKey):
                raise ValueError("ED25519 verification needs an Ed25519 public key PEM")
            public.verify(raw, payload)
        else:
            if not isinstance(public, RSAPublicKey):
                raise ValueError("RSA verification needs an RSA public key PEM")
            public.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


# ── payloads ────────────────────────────────────────────────────────────────────────────────


def encode_params(params: Sequence[tuple[str, str]]) -> str:
    """`k=v&k=v` in the given order, names and values percent-encoded (RFC 3986, `safe=""`).

    Spaces become `%20` (not `+`) and every reserved character is escaped, which is what Binance
    expects of a signed REST payload since 2026-01-15.
    """
    # Most requests need no escaping at all (symbols, numbers, ids): one check over every name
    # and value joined, then the joins in C, instead of a quote() call per name and value.
    if _UNRESERVED.fullmatch("".join(chain.from_iterable(params))):
        return "&".join(map("=".join, params))
    return "&".join(f"{_quote(k)}={_quote(v)}" for k, v in params)


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def quote_value(text: str) -> str:
    """One name or value percent-encoded as `encode_params` does."""
    return _quote(text)


def _quote(text: str) -> str:
    # Most names and values (symbols, numbers, ids) need no escaping; skip quote()'s work.
    return text if _UNRESERVED.fullmatch(text) else quote(text, safe="")


def ws_value(value: object) -> str:
    """A WS API param value as signed: text as is, JSON booleans as JSON spells them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def ws_payload(params: Mapping[str, object]) -> str:
    """WebSocket API signing payload: every param but `signature`, sorted by name, unencoded.
    A value that is text already is taken as it is (most are: the simulator verifies every
    request's payload from params it has made text, and `ws_value` would only return them)."""
    parts = []
    for name in sorted(params):
        if name != "signature":
            value = params[name]
            parts.append(f"{name}={value if type(value) is str else ws_value(value)}")
    return "&".join(parts)
