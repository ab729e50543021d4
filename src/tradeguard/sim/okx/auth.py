"""Who is asking, and may they: OKX v5's request signing and the WebSocket login, without I/O.

REST: headers OK-ACCESS-KEY, -PASSPHRASE, -TIMESTAMP (ISO-8601 with ms) and -SIGN =
base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath[?query] + body)), checked over the
path and query exactly as received. WebSocket login: the same HMAC over
timestamp(unix seconds) + "GET" + "/users/self/verify".

Order of checks: each header present (50103/50104/50106/50107), timestamp well-formed (50112)
and within 30 s of the simulator's clock (50102), key known and HMAC (50111), passphrase
(50105), IP whitelist (50110), signature (50113), then the permission the endpoint needs
(50120). A key's passphrase is derived from the seed and its name (`passphrase`), so the same
seed always gives the same one; `tradeguard sim --venue okx` prints it beside the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Final

from tradeguard.sim.keys import ApiKey, KeyStore, derive_alnum, ip_allowed
from tradeguard.sim.okx.errors import OkxReject, auth_error

TIMESTAMP_WINDOW_MS: Final = 30_000
WS_VERIFY_PATH: Final = "/users/self/verify"


def passphrase(seed: int, key: ApiKey) -> str:
    return derive_alnum(seed, key.name, "okx-passphrase", 16)


def sign(secret: str, prehash: str) -> str:
    digest = hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _iso_ms(text: str) -> int | None:
    if not text.endswith("Z") or "T" not in text:
        return None
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00")
    except ValueError:
        return None
    return round(moment.timestamp() * 1000)


def _key_and_passphrase(
    api_key: str, phrase: str, ip: str, keystore: KeyStore, seed: int, ws: bool
) -> ApiKey:
    key = keystore.by_api_key(api_key)
    if key is None or key.kind != "HMAC":
        raise ws_error("60005") if ws else auth_error("50111")
    if not hmac.compare_digest(phrase, passphrase(seed, key)):
        raise ws_error("60024") if ws else auth_error("50105")
    if not ip_allowed(key, ip):
        text = f"Your IP {ip} is not included in your API key's IP whitelist."
        raise ws_error("60009", "Login failed.") if ws else auth_error("50110", text)
    return key


def authenticate(
    method: str,
    raw_path: str,
    body: bytes,
    headers: Mapping[str, str],
    ip: str,
    needs: str,
    now_ms: int,
    keystore: KeyStore,
    seed: int,
) -> ApiKey:
    """The key a signed REST request was made with, or the OkxReject OKX answers."""
    values = {}
    for name, code in (
        ("OK-ACCESS-KEY", "50103"),
        ("OK-ACCESS-PASSPHRASE", "50104"),
        ("OK-ACCESS-SIGN", "50106"),
        ("OK-ACCESS-TIMESTAMP", "50107"),
    ):
        value = headers.get(name, "")
        if not value:
            raise auth_error(code)
        values[name] = value
    stamp = values["OK-ACCESS-TIMESTAMP"]
    ts = _iso_ms(stamp)
    if ts is None:
        raise auth_error("50112")
    if abs(now_ms - ts) > TIMESTAMP_WINDOW_MS:
        raise auth_error("50102")
    key = _key_and_passphrase(
        values["OK-ACCESS-KEY"], values["OK-ACCESS-PASSPHRASE"], ip, keystore, seed, ws=False
    )
    prehash = stamp + method.upper() + raw_path + body.decode("utf-8", "replace")
    if not hmac.compare_digest(values["OK-ACCESS-SIGN"], sign(key.secret, prehash)):
        raise auth_error("50113")
    if needs == "trade" and not key.can_trade(now_ms):
        raise auth_error("50120")
    return key


# ── WebSocket login ─────────────────────────────────────────────────────────────────────────

WS_TEXTS: Final[dict[str, str]] = {
    "60005": "Invalid OK-ACCESS-KEY",
    "60006": "Timestamp request expired",
    "60007": "Invalid sign",
    "60009": "Login failed.",
    "60011": "Please log in",
    "60012": "Invalid request",
    "60018": "Wrong URL or channel doesn't exist.",
    "60024": "Wrong passphrase",
}


def ws_error(code: str, msg: str | None = None) -> OkxReject:
    return OkxReject(code, WS_TEXTS.get(code, "") if msg is None else msg)


def ws_login(args: object, ip: str, now_ms: int, keystore: KeyStore, seed: int) -> ApiKey:
    """The key a login op names, or the OkxReject (60xxx) OKX sends as an error event."""
    if not isinstance(args, list) or len(args) != 1 or not isinstance(args[0], dict):
        raise ws_error("60012")
    arg = args[0]
    fields = [arg.get(name) for name in ("apiKey", "passphrase", "timestamp", "sign")]
    if not all(isinstance(value, str) and value for value in fields):
        raise ws_error("60012")
    api_key, phrase, stamp, signature = (str(value) for value in fields)
    if not stamp.isdigit():
        raise ws_error("60004", "Invalid timestamp")
    if abs(now_ms - int(stamp) * 1000) > TIMESTAMP_WINDOW_MS:
        raise ws_error("60006")
    key = _key_and_passphrase(api_key, phrase, ip, keystore, seed, ws=True)
    if not hmac.compare_digest(signature, sign(key.secret, stamp + "GET" + WS_VERIFY_PATH)):
        raise ws_error("60007")
    return key
