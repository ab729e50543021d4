"""The simulator's API keys: built-in ones derived from the seed, or keys described in sim.toml.

Every built-in key differs from `trade-only` in exactly one way, so a test (or `tradeguard
doctor`) can show that each unsafe property is noticed on its own:

    trade-only           HMAC; spot trading and reading; IP-restricted to 127.0.0.1
    trade-only-ed25519   the same with an Ed25519 key (the key type Binance recommends)
    trade-only-rsa       the same with an RSA-2048 key
    withdraw-enabled     + withdrawals (Binance only allows these on IP-restricted keys)
    read-only            - spot trading
    no-ip-restriction    - the IP restriction
    old                  created 420 days ago

Key strings, HMAC secrets and key pairs are pure functions of (seed, key name): the same seed
always gives the same keys, with no randomness and no clock (`now_ms` is an argument).
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from tradeguard.sim.keys_material import (
    check_public_pem,
    derive_ed25519_pem,
    derive_rsa_pem,
    public_pem_of,
)
from tradeguard.venues.binance.signing import KEY_KINDS, KeyKind

DAY_MS: Final = 86_400_000
FRESH_KEY_AGE_MS: Final = 7 * DAY_MS
OLD_KEY_AGE_MS: Final = 420 * DAY_MS
LOOPBACK: Final = ("127.0.0.1",)

_ALPHANUM: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
API_KEY_RE: Final = re.compile(r"[A-Za-z0-9]{1,128}")
_NAME_RE: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True, slots=True)
class ApiKey:
    name: str
    api_key: str
    kind: KeyKind
    # The HMAC secret, or the private key PEM handed to the user ("" when only the user holds it).
    secret: str = field(repr=False)
    public_key_pem: str | None = field(repr=False)
    account: str
    ip_restrict: bool
    allowed_ips: tuple[str, ...]
    create_time_ms: int
    enable_reading: bool
    enable_spot_and_margin_trading: bool
    enable_withdrawals: bool = False
    enable_internal_transfer: bool = False
    enable_margin: bool = False
    enable_futures: bool = False
    permits_universal_transfer: bool = False
    enable_vanilla_options: bool = False
    trading_authority_expiration_ms: int | None = None
    enable_fix_api_trade: bool = False
    enable_fix_read_only: bool = False
    enable_portfolio_margin_trading: bool = False

    @property
    def verification_key(self) -> str:
        """What the server verifies signatures with: the HMAC secret or the public key PEM."""
        if self.kind == "HMAC":
            return self.secret
        assert self.public_key_pem is not None  # every asymmetric key is built with one
        return self.public_key_pem

    def can_trade(self, now_ms: int) -> bool:
        expiry = self.trading_authority_expiration_ms
        return self.enable_spot_and_margin_trading and (expiry is None or now_ms < expiry)


# Permission names as the startup line and sim.toml spell them, in display order.
PERMISSIONS: Final[dict[str, str]] = {
    "SPOT": "enable_spot_and_margin_trading",
    "READ": "enable_reading",
    "WITHDRAW": "enable_withdrawals",
    "INTERNAL_TRANSFER": "enable_internal_transfer",
    "UNIVERSAL_TRANSFER": "permits_universal_transfer",
    "MARGIN": "enable_margin",
    "FUTURES": "enable_futures",
    "OPTIONS": "enable_vanilla_options",
    "FIX_API": "enable_fix_api_trade",  # FIX order entry (and drop copy)
    "FIX_API_READ_ONLY": "enable_fix_read_only",  # drop copy and market data only
}


def permissions(k: ApiKey) -> list[str]:
    return [name for name, attr in PERMISSIONS.items() if getattr(k, attr)]


def ip_allowed(k: ApiKey, peer_ip: str) -> bool:
    """True if the key has no IP restriction or `peer_ip` is one of its allowed IPs/networks."""
    if not k.ip_restrict:
        return True
    return _ip_in(peer_ip, k.allowed_ips)


@functools.lru_cache(maxsize=1024)
def _ip_in(peer_ip: str, allowed_ips: tuple[str, ...]) -> bool:
    """Whether `peer_ip` is in one of `allowed_ips`: the same few peers and keys on every
    request, so each pair is parsed once, not per request (a pure function of its text)."""
    try:
        peer = ipaddress.ip_address(peer_ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        peer = peer.ipv4_mapped  # a dual-stack socket reports 127.0.0.1 as ::ffff:127.0.0.1
    return any(peer in ipaddress.ip_network(entry, strict=False) for entry in allowed_ips)


# ── derivation from the seed ────────────────────────────────────────────────────────────────


def _stream(seed: int, name: str, purpose: str, n: int) -> bytes:
    return hashlib.shake_256(f"tradeguard-sim|{seed}|{name}|{purpose}".encode()).digest(n)


def derive_alnum(seed: int, name: str, purpose: str, length: int = 64) -> str:
    """`length` characters of [A-Za-z0-9] from the seed, unbiased (bytes >= 248 are skipped)."""
    out: list[str] = []
    rounds = 0
    while len(out) < length:
        for b in _stream(seed, name, f"{purpose}#{rounds}", 2 * length):
            if b < 248 and len(out) < length:
                out.append(_ALPHANUM[b % 62])
        rounds += 1
    return "".join(out)


def derive_material(seed: int, name: str, kind: KeyKind) -> tuple[str, str | None]:
    """(secret, public_key_pem) for a key: an HMAC secret, or a private/public PEM pair."""
    if kind == "HMAC":
        return derive_alnum(seed, name, "secret"), None
    if kind == "ED25519":
        private = derive_ed25519_pem(_stream(seed, name, "ed25519", 32))
    else:
        private = derive_rsa_pem(_stream(seed, name, "rsa", 32))
    return private, public_pem_of(private)


def _make_key(
    seed: int,
    name: str,
    kind: KeyKind,
    account: str,
    create_time_ms: int,
    material: tuple[str, str | None] | None = None,
    api_key: str | None = None,
    **flags: Any,
) -> ApiKey:
    secret, public = material if material is not None else derive_material(seed, name, kind)
    return ApiKey(
        name=name,
        api_key=api_key or derive_alnum(seed, name, "api_key"),
        kind=kind,
        secret=secret,
        public_key_pem=public,
        account=account,
        create_time_ms=create_time_ms,
        **flags,
    )


_TRADE_ONLY: Final[dict[str, Any]] = {
    "ip_restrict": True,
    "allowed_ips": LOOPBACK,
    "enable_reading": True,
    "enable_spot_and_margin_trading": True,
}


def builtin_keys(seed: int, now_ms: int, account: str = "main") -> list[ApiKey]:
    """The built-in keys (see the module docstring), the same for the same seed."""
    fresh = now_ms - FRESH_KEY_AGE_MS
    unrestricted = _TRADE_ONLY | {"ip_restrict": False, "allowed_ips": ()}
    specs: list[tuple[str, KeyKind, int, dict[str, Any]]] = [
        ("trade-only", "HMAC", fresh, _TRADE_ONLY),
        # Binance takes Ed25519 keys only on FIX: this one may trade there too
        ("trade-only-ed25519", "ED25519", fresh, _TRADE_ONLY | {"enable_fix_api_trade": True}),
        ("trade-only-rsa", "RSA", fresh, _TRADE_ONLY),
        ("withdraw-enabled", "HMAC", fresh, _TRADE_ONLY | {"enable_withdrawals": True}),
        ("read-only", "HMAC", fresh, _TRADE_ONLY | {"enable_spot_and_margin_trading": False}),
        ("no-ip-restriction", "HMAC", fresh, unrestricted),
        ("old", "HMAC", now_ms - OLD_KEY_AGE_MS, _TRADE_ONLY),
    ]
    return [_make_key(seed, n, kind, account, created, **f) for n, kind, created, f in specs]


# ── views ───────────────────────────────────────────────────────────────────────────────────


def api_restrictions_json(k: ApiKey) -> dict[str, object]:
    """The body of GET /sapi/v1/account/apiRestrictions for this key."""
    body: dict[str, object] = {
        "ipRestrict": k.ip_restrict,
        "createTime": k.create_time_ms,
        "enableReading": k.enable_reading,
        "enableWithdrawals": k.enable_withdrawals,
        "enableInternalTransfer": k.enable_internal_transfer,
        "enableMargin": k.enable_margin,
        "enableFutures": k.enable_futures,
        "permitsUniversalTransfer": k.permits_universal_transfer,
        "enableVanillaOptions": k.enable_vanilla_options,
        "enableFixApiTrade": k.enable_fix_api_trade,
        "enableFixReadOnly": k.enable_fix_read_only,
        "enableSpotAndMarginTrading": k.enable_spot_and_margin_trading,
        "enablePortfolioMarginTrading": k.enable_portfolio_margin_trading,
    }
    # Optional in Binance's docs and SDKs; sent only when the key's trading permission expires.
    if k.trading_authority_expiration_ms is not None:
        body["tradingAuthorityExpirationTime"] = k.trading_authority_expiration_ms
    return body


def listing(k: ApiKey) -> dict[str, object]:
    """The key's entry on `tradeguard sim`'s startup line (the secret is handed to the user)."""
    return {
        "name": k.name,
        "api_key": k.api_key,
        "secret": k.secret,
        "kind": k.kind,
        "permissions": permissions(k),
    }


class KeyStore:
    """The keys the simulator accepts, looked up by the X-MBX-APIKEY value or by name."""

    def __init__(self, keys: Sequence[ApiKey] = ()) -> None:
        self._by_api_key: dict[str, ApiKey] = {}
        self._by_name: dict[str, ApiKey] = {}
        for k in keys:
            self.add(k)

    def add(self, k: ApiKey) -> None:
        if k.name in self._by_name:
            raise ValueError(f"duplicate key name {k.name!r}")
        if k.api_key in self._by_api_key:
            raise ValueError(
                f"key {k.name!r} reuses the api_key of {self._by_api_key[k.api_key].name!r}"
            )
        self._by_api_key[k.api_key] = k
        self._by_name[k.name] = k

    def revoke(self, name: str) -> ApiKey | None:
        """Remove a key (as deleting it on Binance does); returns it, or None if unknown."""
        k = self._by_name.pop(name, None)
        if k is not None:
            del self._by_api_key[k.api_key]
        return k

    def by_api_key(self, api_key: str) -> ApiKey | None:
        return self._by_api_key.get(api_key)

    def by_name(self, name: str) -> ApiKey | None:
        return self._by_name.get(name)

    def __iter__(self) -> Iterator[ApiKey]:
        return iter(list(self._by_name.values()))

    def __len__(self) -> int:
        return len(self._by_name)


# ── keys from configuration (sim.toml [[keys]]) ─────────────────────────────────────────────


class KeyConfigError(ValueError):
    """A key description is wrong; `field` names where, e.g. "keys[2].allowed_ips"."""

    def __init__(self, field_path: str, problem: str) -> None:
        self.field = field_path
        super().__init__(f"{field_path}: {problem}")


_FIELDS: Final = (
    "name",
    "kind",
    "api_key",
    "secret",
    "public_key_pem",
    "account",
    "permissions",
    "allowed_ips",
    "age_days",
    "create_time_ms",
    "trading_authority_expiration_ms",
)


def keys_from_config(
    entries: Sequence[Mapping[str, object]],
    *,
    seed: int,
    now_ms: int,
    account: str = "main",
    where: str = "keys",
) -> list[ApiKey]:
    """Build keys from sim.toml-style dicts; every mistake raises KeyConfigError naming the field.

    Fields: name (required); kind HMAC|ED25519|RSA (HMAC); api_key and secret (derived from the
    seed when absent); public_key_pem (ED25519/RSA: the user keeps the private key; otherwise a
    pair is derived); account; permissions (["SPOT", "READ"]); allowed_ips (["127.0.0.1"]; [] for
    no restriction); age_days (7) or create_time_ms; trading_authority_expiration_ms.
    """
    built: list[ApiKey] = []
    for i, entry in enumerate(entries):
        at = f"{where}[{i}]"
        if not isinstance(entry, Mapping):
            raise KeyConfigError(at, f"expected a table of key fields, got {type(entry).__name__}")
        k = _key_from_entry(entry, at, seed=seed, now_ms=now_ms, account=account)
        for other in built:
            if other.name == k.name:
                raise KeyConfigError(f"{at}.name", f"{k.name!r} is already used by another key")
            if other.api_key == k.api_key:
                raise KeyConfigError(f"{at}.api_key", f"already used by key {other.name!r}")
        built.append(k)
    return built


def _str(entry: Mapping[str, object], at: str, name: str) -> str | None:
    value = entry.get(name)
    if value is not None and not isinstance(value, str):
        raise KeyConfigError(f"{at}.{name}", f"expected a string, got {value!r}")
    return value


def _int(entry: Mapping[str, object], at: str, name: str) -> int | None:
    value = entry.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise KeyConfigError(f"{at}.{name}", f"expected a non-negative integer, got {value!r}")
    return value


def _str_list(entry: Mapping[str, object], at: str, name: str, default: list[str]) -> list[str]:
    value = entry.get(name, default)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise KeyConfigError(f"{at}.{name}", f"expected a list of strings, got {value!r}")
    return list(value)


def _key_from_entry(
    entry: Mapping[str, object], at: str, *, seed: int, now_ms: int, account: str
) -> ApiKey:
    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        raise KeyConfigError(at, f"unknown field {unknown[0]!r} (known: {', '.join(_FIELDS)})")
    name = _str(entry, at, "name")
    if name is None:
        raise KeyConfigError(f"{at}.name", "required: give every key a name")
    if not _NAME_RE.fullmatch(name):
        raise KeyConfigError(f"{at}.name", f"{name!r} must be 1-64 of A-Z a-z 0-9 . _ -")
    kind_text = (_str(entry, at, "kind") or "HMAC").upper()
    kind = next((k for k in KEY_KINDS if k == kind_text), None)
    if kind is None:
        raise KeyConfigError(f"{at}.kind", f"{kind_text!r} is not one of {', '.join(KEY_KINDS)}")
    api_key = _str(entry, at, "api_key")
    if api_key is not None and not API_KEY_RE.fullmatch(api_key):
        raise KeyConfigError(f"{at}.api_key", "must be 1-128 characters of A-Z a-z 0-9")
    flags = _permission_flags(_str_list(entry, at, "permissions", ["SPOT", "READ"]), at)
    ips = _allowed_ips(_str_list(entry, at, "allowed_ips", list(LOOPBACK)), at)
    if flags["enable_withdrawals"] and not ips:
        raise KeyConfigError(
            f"{at}.permissions",
            "WITHDRAW needs allowed_ips: Binance only allows withdrawals on IP-restricted keys",
        )
    return _make_key(
        seed,
        name,
        kind,
        _str(entry, at, "account") or account,
        _create_time(entry, at, now_ms),
        material=_given_material(entry, at, kind),
        api_key=api_key,
        ip_restrict=bool(ips),
        allowed_ips=tuple(ips),
        trading_authority_expiration_ms=_int(entry, at, "trading_authority_expiration_ms"),
        **flags,
    )


def _permission_flags(perms: list[str], at: str) -> dict[str, bool]:
    flags = {attr: False for attr in PERMISSIONS.values()}
    for p in perms:
        attr = PERMISSIONS.get(p.upper())
        if attr is None:
            known = ", ".join(PERMISSIONS)
            raise KeyConfigError(f"{at}.permissions", f"unknown permission {p!r} (known: {known})")
        flags[attr] = True
    return flags


def _allowed_ips(ips: list[str], at: str) -> list[str]:
    for ip in ips:
        try:
            ipaddress.ip_network(ip, strict=False)
        except ValueError:
            raise KeyConfigError(f"{at}.allowed_ips", f"{ip!r} is not an IP address") from None
    return ips


def _create_time(entry: Mapping[str, object], at: str, now_ms: int) -> int:
    if "age_days" in entry and "create_time_ms" in entry:
        raise KeyConfigError(f"{at}.age_days", "give age_days or create_time_ms, not both")
    created = _int(entry, at, "create_time_ms")
    if created is not None:
        return created
    age = entry.get("age_days", FRESH_KEY_AGE_MS / DAY_MS)
    if isinstance(age, bool) or not isinstance(age, int | float) or not 0 <= age < 100_000:
        raise KeyConfigError(f"{at}.age_days", f"expected a number of days >= 0, got {age!r}")
    return now_ms - round(age * DAY_MS)


def _given_material(
    entry: Mapping[str, object], at: str, kind: KeyKind
) -> tuple[str, str | None] | None:
    """The secret or public key the entry gives, or None to derive them from the seed."""
    secret = _str(entry, at, "secret")
    public = _str(entry, at, "public_key_pem")
    if kind == "HMAC":
        if public is not None:
            raise KeyConfigError(f"{at}.public_key_pem", "only ED25519 and RSA keys have one")
        if secret is None:
            return None
        if not secret or not secret.isprintable() or not secret.isascii():
            raise KeyConfigError(f"{at}.secret", "an HMAC secret is printable ASCII, not empty")
        return secret, None
    if secret is not None:
        raise KeyConfigError(
            f"{at}.secret", f"a {kind} key takes public_key_pem only; keep the private key yourself"
        )
    if public is None:
        return None
    try:
        return "", check_public_pem(public, kind)
    except ValueError as exc:
        raise KeyConfigError(f"{at}.public_key_pem", str(exc)) from None
