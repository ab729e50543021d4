"""Who is asking, and may they: Binance's request parsing and authentication, without I/O.

Order of checks, as Binance does them:

    parameters      query and form body; -1101 for a name twice in one source, -1100 for bytes
                    that are not UTF-8 after percent-decoding; the query wins across sources
    API key         X-MBX-APIKEY missing or not 1-128 of [A-Za-z0-9] → -2014 (HTTP 401)
    key, IP, right  unknown key, IP not whitelisted, or a permission missing → -2015 (HTTP 401)
    timing          timestamp (ms, or µs with 16 digits) and recvWindow (≤ 60000, 3 decimals)
                    → -1102 / -1131 / -1021
    signature       over the raw query + raw body minus the `signature=…` pair → -1102 / -1022

The signature is checked over the bytes exactly as received, never over re-encoded params:
python-binance sorts its params and ccxt does not, and both must verify. Every refusal is an
`AuthReject` (a `Reject`) whose `reason` says which check failed, so the server can log why and
a test can tell an unknown key from a wrong IP, though the client sees the same -2015.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final
from urllib.parse import unquote_to_bytes

from tradeguard.sim.keys import ApiKey, KeyStore, ip_allowed
from tradeguard.sim.rejects import Reject
from tradeguard.venues.binance import codes, signing


class Security(enum.Enum):
    NONE = "NONE"
    TRADE = "TRADE"  # signed; needs spot trading permission
    USER_DATA = "USER_DATA"  # signed; needs reading permission
    # API key only, as Binance's listenKey endpoints were (python-binance still calls them so).
    USER_STREAM = "USER_STREAM"
    MARKET_DATA = "MARKET_DATA"  # API key only


class Reason(enum.Enum):
    """Why authentication refused; kept beside Binance's code, which often hides it (-2015)."""

    MALFORMED_PARAMS = "malformed parameters"
    KEY_FORMAT = "API key missing or malformed"
    UNKNOWN_KEY = "no such API key"
    IP_NOT_ALLOWED = "IP not in the key's whitelist"
    NO_PERMISSION = "key lacks the permission this endpoint needs"
    TIMESTAMP_MISSING = "timestamp missing or malformed"
    RECV_WINDOW_INVALID = "recvWindow malformed or above 60000"
    TIMESTAMP_AHEAD = "timestamp 1000 ms or more ahead of the server"
    TIMESTAMP_EXPIRED = "timestamp older than recvWindow"
    SIGNATURE_MISSING = "signature missing"
    SIGNATURE_INVALID = "signature does not match"


class AuthReject(Reject):
    def __init__(self, reason: Reason, code: int, msg: str, http_status: int) -> None:
        super().__init__(code, msg, http_status)
        self.reason = reason


def _reject(reason: Reason, code: int, *args: object, variant: int = 0) -> AuthReject:
    return AuthReject(reason, code, codes.msg(code, *args, variant=variant), _status(code))


def _status(code: int) -> int:
    return codes.CODES[code].http_status


@dataclass(frozen=True, slots=True)
class Authed:
    params: dict[str, str]
    key: ApiKey | None
    timestamp_us: int | None = None  # the request's timestamp, in µs, when it had to carry one
    recv_window_us: int | None = None


# ── parameters ──────────────────────────────────────────────────────────────────────────────


def _decode(raw: bytes) -> str:
    # Form decoding: '+' is a space, then %XX escapes; malformed escapes stay literal (as urllib).
    data = unquote_to_bytes(raw.replace(b"+", b" "))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Reject(-1100, codes.msg(-1100, variant=1), _status(-1100)) from None


def _parse_source(raw: bytes) -> dict[str, str]:
    if b"%" not in raw and b"+" not in raw:
        # Nothing escaped, as most requests are (symbols, numbers, ids, a hex signature): one
        # decode of the whole source instead of an unquote and a decode per name and value.
        # '&' and '=' never occur inside a UTF-8 sequence, so the pieces are what they were.
        try:
            return _parse_text(raw.decode("utf-8"))
        except UnicodeDecodeError:
            pass  # not UTF-8: the way below says which refusal comes first, as it always did
    out: dict[str, str] = {}
    for segment in raw.split(b"&"):
        if not segment:
            continue  # "a=1&&b=2" and a trailing '&' carry no parameter
        raw_name, _, raw_value = segment.partition(b"=")
        name = _decode(raw_name)
        _check_name(name, out)
        out[name] = _decode(raw_value)
    return out


def _parse_text(text: str) -> dict[str, str]:
    """`_parse_source` of a source with nothing escaped, already decoded: the same checks."""
    out: dict[str, str] = {}
    for segment in text.split("&"):
        if not segment:
            continue
        name, _, value = segment.partition("=")
        _check_name(name, out)
        out[name] = value
    return out


def _check_name(name: str, taken: Mapping[str, str]) -> None:
    """A parameter's name: refused when empty (-1100) or sent twice (-1101)."""
    if not name:
        raise Reject(-1100, codes.msg(-1100, variant=1), _status(-1100))
    if name in taken:
        raise Reject(-1101, codes.msg(-1101, variant=codes.DUPLICATE_PARAMETER), _status(-1101))


def parse_params(query: bytes, body: bytes) -> dict[str, str]:
    """Parameters from the raw query string and form body; a name in both takes the query's."""
    from_query = _parse_source(query)
    from_body = _parse_source(body)
    return from_query | {k: v for k, v in from_body.items() if k not in from_query}


def signed_payload(query: bytes, body: bytes) -> bytes:
    """What the client signed: query then body as received, each minus its `signature` pair.

    Only the pair and one joining '&' go; every other byte stays as sent, so any parameter order
    and any (valid) percent-encoding the client chose verifies.
    """
    return _without_signature(query) + _without_signature(body)


def _without_signature(raw: bytes) -> bytes:
    if b"%" not in raw:  # no name is escaped: each is compared as it is, unquote would return it
        kept = [s for s in raw.split(b"&") if s.partition(b"=")[0] != b"signature"]
    else:
        kept = [
            s for s in raw.split(b"&") if unquote_to_bytes(s.partition(b"=")[0]) != b"signature"
        ]
    return b"&".join(kept)


# ── authentication ──────────────────────────────────────────────────────────────────────────

API_KEY_RE: Final = re.compile(r"[A-Za-z0-9]{1,128}")
_TIMESTAMP_RE: Final = re.compile(r"[0-9]{1,19}")
_RECV_WINDOW_RE: Final = re.compile(r"[0-9]{1,10}(\.[0-9]{1,3})?")
MAX_RECV_WINDOW_MS: Final = 60_000
DEFAULT_RECV_WINDOW_MS: Final = 5_000
_MICROS_FROM: Final = 10**15  # a 16-digit timestamp is in µs; ms timestamps have 13 digits


def authenticate(
    method: str,
    query: bytes,
    body: bytes,
    api_key_header: str | None,
    peer_ip: str,
    security: Security,
    needs: str,
    now_ms: int,
    store: KeyStore,
) -> Authed:
    """Parse and authenticate one REST request; raises AuthReject (or Reject) on refusal.

    `method` is accepted for the contract's sake and for logging; Binance's checks do not depend
    on it. `needs` is the permission the endpoint requires ("read" or "trade"); a TRADE endpoint
    always needs trading.
    """
    del method
    try:
        params = parse_params(query, body)
    except Reject as exc:
        raise AuthReject(Reason.MALFORMED_PARAMS, exc.code, exc.msg, exc.http_status) from None
    if security is Security.NONE:
        return Authed(params, None)
    if api_key_header is None or not API_KEY_RE.fullmatch(api_key_header):
        raise _reject(Reason.KEY_FORMAT, -2014)
    key = check_key(store.by_api_key(api_key_header), peer_ip, security, needs, now_ms)
    if security in (Security.USER_STREAM, Security.MARKET_DATA):
        return Authed(params, key)
    ts_us, window_us = check_timing(params, now_ms)
    signature = params.get("signature")
    if not signature:
        raise _reject(Reason.SIGNATURE_MISSING, -1102, "signature")
    if not _signature_ok(key, signed_payload(query, body), signature):
        raise _reject(Reason.SIGNATURE_INVALID, -1022)
    return Authed(params, key, ts_us, window_us)


def authenticate_ws(
    params: Mapping[str, object],
    peer_ip: str,
    security: Security,
    needs: str,
    now_ms: int,
    store: KeyStore,
) -> Authed:
    """Authenticate a WebSocket API request, whose apiKey and signature are params.

    The same checks in the same order; the signed payload is `signing.ws_payload(params)`.
    Values are compared as text, as the WebSocket API signs them.
    """
    # Most values are text already: ws_value only for the others (numbers, booleans).
    text = {k: v if type(v) is str else signing.ws_value(v) for k, v in params.items()}
    if security is Security.NONE:
        return Authed(text, None)
    api_key = params.get("apiKey")
    if api_key is None:
        raise _reject(Reason.KEY_FORMAT, -1102, "apiKey")
    if not isinstance(api_key, str) or not API_KEY_RE.fullmatch(api_key):
        raise _reject(Reason.KEY_FORMAT, -2014)
    key = check_key(store.by_api_key(api_key), peer_ip, security, needs, now_ms)
    if security in (Security.USER_STREAM, Security.MARKET_DATA):
        return Authed(text, key)
    ts_us, window_us = check_timing(text, now_ms)
    signature = text.get("signature")
    if not signature:
        raise _reject(Reason.SIGNATURE_MISSING, -1102, "signature")
    if not _signature_ok(key, signing.ws_payload(text).encode("utf-8"), signature):
        raise _reject(Reason.SIGNATURE_INVALID, -1022)
    return Authed(text, key, ts_us, window_us)


def check_key(
    key: ApiKey | None,
    peer_ip: str,
    security: Security,
    needs: str,
    now_ms: int,
) -> ApiKey:
    """-2015 unless the key exists, the peer's IP is whitelisted and the permission is there."""
    if key is None:
        raise _reject(Reason.UNKNOWN_KEY, -2015)
    if not ip_allowed(key, peer_ip):
        raise _reject(Reason.IP_NOT_ALLOWED, -2015)
    if security is Security.TRADE or needs == "trade":
        if not key.can_trade(now_ms):
            raise _reject(Reason.NO_PERMISSION, -2015)
    elif security is not Security.MARKET_DATA and not key.enable_reading:
        raise _reject(Reason.NO_PERMISSION, -2015)
    return key


def check_timing(params: Mapping[str, str], now_ms: int) -> tuple[int, int]:
    """(timestamp, recvWindow) in µs if the request is on time, else -1102 / -1131 / -1021.

    Binance: accept when timestamp < serverTime + 1000 and serverTime - timestamp <= recvWindow.
    Also what the server calls again just before the matching engine, if it wants to.
    """
    raw_ts = params.get("timestamp")
    if raw_ts is None or not _TIMESTAMP_RE.fullmatch(raw_ts):
        raise _reject(Reason.TIMESTAMP_MISSING, -1102, "timestamp")
    ts = int(raw_ts)
    ts_us = ts if ts >= _MICROS_FROM else ts * 1000
    window_us = _recv_window_us(params.get("recvWindow"))
    now_us = now_ms * 1000
    if ts_us >= now_us + 1_000_000:
        raise _reject(Reason.TIMESTAMP_AHEAD, -1021, variant=codes.AHEAD_OF_SERVER)
    if now_us - ts_us > window_us:
        raise _reject(Reason.TIMESTAMP_EXPIRED, -1021, variant=codes.OUTSIDE_RECV_WINDOW)
    return ts_us, window_us


def _recv_window_us(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_RECV_WINDOW_MS * 1000
    if not _RECV_WINDOW_RE.fullmatch(raw):
        raise _reject(Reason.RECV_WINDOW_INVALID, -1102, "recvWindow")
    try:
        window_ms = Decimal(raw)
    except InvalidOperation:  # the pattern admits only decimals; kept for safety
        raise _reject(Reason.RECV_WINDOW_INVALID, -1102, "recvWindow") from None
    if window_ms > MAX_RECV_WINDOW_MS:
        raise _reject(Reason.RECV_WINDOW_INVALID, -1131)
    return int(window_ms * 1000)


def _signature_ok(key: ApiKey, payload: bytes, signature: str) -> bool:
    if key.kind == "HMAC":  # the key made ready once
        return signing.verify("HMAC", _ready_hmac(key.secret), payload, signature)
    # Base64 carries '+', which form decoding turned into ' ' if the client did not
    # percent-encode it; no valid base64 has a space, so put the '+' back.
    signature = signature.replace(" ", "+")
    return signing.verify(key.kind, key.verification_key, payload, signature)


@functools.lru_cache(maxsize=64)
def _ready_hmac(secret: str) -> signing.HmacSha256:
    # Every signed request is checked: an HMAC key set up again for each (hmac.digest) costs
    # the simulator a few µs more per order than one made ready once per key.
    return signing.HmacSha256(secret)
