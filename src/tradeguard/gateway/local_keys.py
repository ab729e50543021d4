"""The local keys a bot signs with, and the checks Binance makes of a signed request.

A local key is an API key and an HMAC secret made for this gateway: it signs requests to it and
nothing else, so a bot that leaks it leaks nothing the exchange would take. The secret is a
`Secret` (never printed, logged or journaled; the command shows it once, on the terminal).

The checks follow Binance's order (exchange-wire.md): API key missing or malformed → -2014, a
key this gateway did not issue → -2015 (HTTP 401), timestamp and recvWindow → -1102 / -1131 /
-1021, then the HMAC-SHA256 over the raw query followed by the raw body, minus the
`signature=` pair → -1102 / -1022. The signature is checked over the bytes as received, so
ccxt's order of parameters and python-binance's sorted one both verify.
"""

from __future__ import annotations

import dataclasses
import hmac
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final
from urllib.parse import unquote_plus, unquote_to_bytes

from tradeguard.errors import ConfigError
from tradeguard.gateway.wire_errors import WireError, binance, refused_key
from tradeguard.keys.credentials import Secret
from tradeguard.venues.binance import codes, signing

API_KEY_RE: Final = re.compile(r"[A-Za-z0-9]{1,128}")
MAX_RECV_WINDOW_MS: Final = 60_000
DEFAULT_RECV_WINDOW_MS: Final = 5_000
AHEAD_MS: Final = 1_000  # Binance refuses a timestamp this far ahead of its clock
_MICROS_FROM: Final = 10**15  # a 16-digit timestamp is in µs


@dataclass(frozen=True)
class LocalKey:
    """One key a bot may sign with: `api_key` goes in X-MBX-APIKEY, `secret` signs (HMAC). An
    Ed25519 key (`public_key_pem` set, `secret` empty) is the bot's own: the bot signs with its
    private key, the gateway holds only the public one, and may log on to the WebSocket API
    once (`session.logon`), as Binance allows for Ed25519 keys only. Such a key has no shared
    secret: its `secret` is a random token that no check accepts."""

    name: str
    api_key: str
    secret: Secret
    # this key's own limits, checked before the session's (None: only the session's apply)
    max_order_notional: Decimal | None = None
    max_orders_per_minute: int | None = None
    public_key_pem: str | None = None
    public_key_file: Path | None = None  # where the public key was read from, if from a file

    @classmethod
    def generate(cls, name: str = "bot") -> LocalKey:
        """A fresh key for this run: 64 letters and digits each, as Binance's keys look."""
        return cls(name, _token(), Secret(_token()))

    @classmethod
    def ed25519(cls, name: str, api_key: str, public_key_pem: str) -> LocalKey:
        """A bot's Ed25519 key, by its public key (PEM); ValueError if it is not one."""
        if not public_key_pem.lstrip().startswith("-----BEGIN PUBLIC KEY-----"):
            raise ValueError(f"local key {name}: an Ed25519 key is given by its public key PEM")
        signing.verify("ED25519", public_key_pem, b"", "")  # a key of another type: ValueError
        return cls(name, api_key, Secret(_token()), public_key_pem=public_key_pem)

    @classmethod
    def ed25519_file(cls, name: str, api_key: str, path: Path) -> LocalKey:
        """A bot's Ed25519 key by its public key file (PEM); ConfigError in one line for a
        file that is missing, holds a private key or no Ed25519 public key (never its text)."""
        hint = "write the bot's Ed25519 public key (PEM) there"
        try:
            pem = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not text"
            raise ConfigError(f"gateway key {name}: cannot read {path}: {why}", hint=hint) from None
        if "PRIVATE KEY" in pem:
            raise ConfigError(
                f"gateway key {name}: {path} holds a private key",
                hint="give the gateway the bot's public key only; the private key stays with "
                "the bot (and should be moved somewhere safe now)",
            )
        try:
            key = cls.ed25519(name, api_key, pem)
        except ValueError:
            raise ConfigError(
                f"gateway key {name}: {path} is not an Ed25519 public key (PEM)", hint=hint
            ) from None
        return dataclasses.replace(key, public_key_file=path)

    @property
    def can_log_on(self) -> bool:
        """Binance's session.logon takes Ed25519 keys only."""
        return self.public_key_pem is not None

    def signed(self, payload: bytes, signature: str) -> bool:
        """Whether `signature` (percent-decoded) signs `payload` with this key."""
        if self.public_key_pem is not None:
            return signing.verify("ED25519", self.public_key_pem, payload, signature)
        expected = signing.hmac_sha256_hex(self.secret.reveal(), payload)
        return hmac.compare_digest(expected.encode(), signature.lower().encode("utf-8"))


def _token() -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(64))


class LocalKeys:
    """The keys this gateway accepts, by API key."""

    def __init__(self, keys: Iterable[LocalKey]) -> None:
        listed = list(keys)
        self._by_api_key = {k.api_key: k for k in listed}
        if not self._by_api_key:
            raise ValueError("a gateway needs at least one local key")
        if len(self._by_api_key) != len(listed) or len({k.name for k in listed}) != len(listed):
            raise ValueError("each local key needs an API key and a name of its own")

    def __iter__(self) -> Iterator[LocalKey]:
        return iter(self._by_api_key.values())

    def key_of(self, api_key_header: str | None) -> LocalKey:
        """The key a request names; -2014 for a malformed one, -2015 for one not issued here."""
        if api_key_header is None or not API_KEY_RE.fullmatch(api_key_header):
            raise binance(-2014)
        found = self._by_api_key.get(api_key_header)
        if found is None:
            raise refused_key()
        return found

    def authenticate(
        self,
        api_key_header: str | None,
        query: bytes,
        body: bytes,
        server_ms: int,
        params: Mapping[str, str] | None = None,
    ) -> LocalKey:
        """The key of a signed request that passes Binance's checks; a WireError otherwise.
        `params`: the request's, when the caller has read them already (`parse_params`)."""
        key = self.key_of(api_key_header)
        if params is None:
            params = parse_params(query, body)
        check_timing(params, server_ms)
        signature = params.get("signature")
        if not signature:
            raise binance(-1102, "signature")
        if not key.signed(signed_payload(query, body), signature):
            raise binance(-1022)
        return key

    def authenticate_ws(
        self, params: Mapping[str, object], server_ms: int, logged_on: LocalKey | None = None
    ) -> LocalKey:
        """The key of a signed WebSocket API request (apiKey, timestamp and signature among its
        params, signed over the others sorted by name, unencoded), checked in the same order.
        On a socket `logged_on` with a key, a request without apiKey and signature is that
        key's (its timestamp still checked), as Binance's after session.logon."""
        text = {name: signing.ws_value(value) for name, value in params.items()}
        api_key = params.get("apiKey")
        if api_key is None and logged_on is not None and "signature" not in params:
            check_timing(text, server_ms)
            return logged_on
        if api_key is None:
            raise binance(-1102, "apiKey")
        key = self.key_of(api_key if isinstance(api_key, str) else "")
        check_timing(text, server_ms)
        signature = text.get("signature")
        if not signature:
            raise binance(-1102, "signature")
        if not key.signed(signing.ws_payload(params).encode("utf-8"), signature):
            raise binance(-1022)
        return key


def parse_params(query: bytes, body: bytes) -> dict[str, str]:
    """The request's parameters from its query and form body (the query's win on a clash), as
    `urllib.parse.parse_qsl` reads them (a later repeat wins, a blank value is kept)."""
    try:
        from_query = _pairs(query.decode("utf-8"))
        from_body = _pairs(body.decode("utf-8")) if body else {}
    except UnicodeDecodeError:
        raise binance(-1100, variant=1) from None
    return from_body | from_query


def _pairs(text: str) -> dict[str, str]:
    # parse_qsl's reading, without its cost on every pair: most pairs hold nothing to unquote
    found: dict[str, str] = {}
    for piece in text.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if "%" in piece or "+" in piece:
            name, value = unquote_plus(name), unquote_plus(value)
        found[name] = value
    return found


def signed_payload(query: bytes, body: bytes) -> bytes:
    """What the client signed: the query then the body as received, minus `signature=`."""
    return _without_signature(query) + _without_signature(body)


def _without_signature(raw: bytes) -> bytes:
    kept = [s for s in raw.split(b"&") if _name_of(s) != b"signature"]
    return b"&".join(kept)


def _name_of(pair: bytes) -> bytes:
    name = pair.partition(b"=")[0]
    return unquote_to_bytes(name) if b"%" in name else name


def check_timing(params: Mapping[str, str], server_ms: int) -> None:
    """Binance's rule: timestamp < serverTime + 1000 and serverTime - timestamp <= recvWindow."""
    raw = params.get("timestamp", "")
    if not raw.isdigit() or len(raw) > 19:
        raise binance(-1102, "timestamp")
    stamp_ms = int(raw) // 1000 if int(raw) >= _MICROS_FROM else int(raw)
    window_ms = _recv_window_ms(params.get("recvWindow"))
    if stamp_ms >= server_ms + AHEAD_MS:
        raise binance(-1021, variant=codes.AHEAD_OF_SERVER)
    if server_ms - stamp_ms > window_ms:
        raise binance(-1021, variant=codes.OUTSIDE_RECV_WINDOW)


def _recv_window_ms(raw: str | None) -> Decimal:
    if raw is None:
        return Decimal(DEFAULT_RECV_WINDOW_MS)
    try:
        window = Decimal(raw)
    except InvalidOperation:
        raise binance(-1102, "recvWindow") from None
    if not window.is_finite() or window < 0:
        raise binance(-1102, "recvWindow")
    if window > MAX_RECV_WINDOW_MS:
        raise binance(-1131)
    return window


__all__ = ["LocalKey", "LocalKeys", "WireError", "parse_params", "signed_payload"]
