"""Bybit v5 authentication, without I/O: the REST headers and the private WebSocket's `auth`.

REST (docs v5/guide): headers X-BAPI-API-KEY, X-BAPI-TIMESTAMP (ms), X-BAPI-RECV-WINDOW
(default 5000), X-BAPI-SIGN over `timestamp + apiKey + recvWindow + payload`, where the payload
is the raw query string of a GET or the raw JSON body of a POST, exactly as received. HMAC-SHA256
gives lowercase hex; an RSA key signs RSASSA-PKCS1-v1_5 SHA-256 in base64. Checks, in order:

    key        missing or unknown (an Ed25519 key: Bybit has none)    10003
    timestamp  missing, or outside server - recvWindow <= ts < server + 1000     10002
    signature  missing or wrong                                       10004
    IP         not in the key's whitelist                             10010
    permission a trading endpoint with a read-only key                10005

WebSocket: {"op":"auth","args":[apiKey, expires, signature]}, the signature an HMAC hex of
"GET/realtime" + expires, and `expires` (ms) still in the future.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from tradeguard.sim.bybit.errors import (
    BAD_TIMESTAMP,
    INVALID_KEY,
    INVALID_SIGN,
    IP_MISMATCH,
    PERMISSION_DENIED,
    BybitError,
)
from tradeguard.sim.keys import ApiKey, KeyStore, ip_allowed
from tradeguard.venues.binance.signing import verify

DEFAULT_RECV_WINDOW_MS: Final = 5_000
AHEAD_TOLERANCE_MS: Final = 1_000
_DIGITS: Final = re.compile(r"[0-9]{1,19}")


@dataclass(frozen=True, slots=True)
class Signed:
    key: ApiKey
    timestamp_ms: int


def _key(store: KeyStore, api_key: str | None) -> ApiKey:
    key = store.by_api_key(api_key) if api_key else None
    if key is None or key.kind == "ED25519":
        raise BybitError(INVALID_KEY)
    return key


def _stale(ts: str | None, recv: str, now_ms: int) -> BybitError:
    return BybitError(
        BAD_TIMESTAMP,
        "invalid request, please check your server timestamp or recv_window param. "
        f"req_timestamp[{ts}],server_timestamp[{now_ms}],recv_window[{recv}]",
    )


def check_rest(
    headers: Mapping[str, str],
    payload: bytes,
    ip: str,
    needs_trade: bool,
    now_ms: int,
    store: KeyStore,
) -> Signed:
    """The key behind a signed REST request, or the BybitError Bybit answers."""
    key = _key(store, headers.get("X-BAPI-API-KEY"))
    ts_text = headers.get("X-BAPI-TIMESTAMP")
    recv_text = headers.get("X-BAPI-RECV-WINDOW") or str(DEFAULT_RECV_WINDOW_MS)
    if ts_text is None or not _DIGITS.fullmatch(ts_text) or not _DIGITS.fullmatch(recv_text):
        raise _stale(ts_text, recv_text, now_ms)
    ts, recv = int(ts_text), int(recv_text)
    if not now_ms - recv <= ts < now_ms + AHEAD_TOLERANCE_MS:
        raise _stale(ts_text, recv_text, now_ms)
    signature = headers.get("X-BAPI-SIGN") or ""
    prehash = f"{ts_text}{key.api_key}{recv_text}".encode() + payload
    if not signature or not verify(key.kind, key.verification_key, prehash, signature):
        raise BybitError(INVALID_SIGN)
    if not ip_allowed(key, ip):
        raise BybitError(IP_MISMATCH)
    if needs_trade and not key.can_trade(now_ms):
        raise BybitError(PERMISSION_DENIED)
    return Signed(key, ts)


class WsAuthError(Exception):
    """A refused `auth` op; the text is Bybit's ret_msg."""


def check_ws(args: object, ip: str, now_ms: int, store: KeyStore) -> ApiKey:
    """The key an `auth` op's args prove, or WsAuthError with Bybit's text."""
    if (
        not isinstance(args, list)
        or len(args) != 3
        or not all(isinstance(a, str | int) for a in args)
    ):
        raise WsAuthError("Params Error: args must be [apiKey, expires, signature]")
    api_key, expires, signature = (str(a) for a in args)
    key = store.by_api_key(api_key)
    if key is None or key.kind == "ED25519":
        raise WsAuthError("error:USVC1111")  # Bybit's text for a key it does not know
    if not _DIGITS.fullmatch(expires) or int(expires) <= now_ms:
        raise WsAuthError("Params Error: expires is expired")
    if not verify(key.kind, key.verification_key, f"GET/realtime{expires}".encode(), signature):
        raise WsAuthError("Params Error: invalid signature")
    if not ip_allowed(key, ip):
        raise WsAuthError("Params Error: ip mismatch")
    return key
