"""The simulator's keys: built-ins per seed, the apiRestrictions view, config validation."""

from __future__ import annotations

import re

import pytest

from tradeguard.sim import keys
from tradeguard.venues.binance import signing

NOW = 1_767_225_600_000
DAY = 86_400_000


@pytest.fixture(scope="module")
def builtins() -> dict[str, keys.ApiKey]:
    return {k.name: k for k in keys.builtin_keys(seed=7, now_ms=NOW)}


def test_builtin_names(builtins: dict[str, keys.ApiKey]) -> None:
    assert list(builtins) == [
        "trade-only",
        "trade-only-ed25519",
        "trade-only-rsa",
        "withdraw-enabled",
        "read-only",
        "no-ip-restriction",
        "old",
    ]


def test_builtins_are_deterministic_per_seed(builtins: dict[str, keys.ApiKey]) -> None:
    again = {k.name: k for k in keys.builtin_keys(seed=7, now_ms=NOW)}
    assert again == builtins
    other = {k.name: k for k in keys.builtin_keys(seed=8, now_ms=NOW)}
    for name, k in builtins.items():
        assert other[name].api_key != k.api_key
        assert other[name].secret != k.secret


def test_key_strings_look_like_binances(builtins: dict[str, keys.ApiKey]) -> None:
    api_keys = {k.api_key for k in builtins.values()}
    assert len(api_keys) == len(builtins)
    for k in builtins.values():
        assert re.fullmatch(r"[A-Za-z0-9]{64}", k.api_key)
        assert k.account == "main"
    assert re.fullmatch(r"[A-Za-z0-9]{64}", builtins["trade-only"].secret)


def test_each_builtin_differs_from_trade_only_in_one_way(builtins: dict[str, keys.ApiKey]) -> None:
    base = builtins["trade-only"]
    assert base.ip_restrict and base.allowed_ips == ("127.0.0.1",)
    assert base.enable_reading and base.enable_spot_and_margin_trading
    assert not (base.enable_withdrawals or base.enable_internal_transfer or base.enable_margin)
    assert not (base.enable_futures or base.permits_universal_transfer)
    assert keys.permissions(base) == ["SPOT", "READ"]
    assert keys.permissions(builtins["withdraw-enabled"]) == ["SPOT", "READ", "WITHDRAW"]
    assert builtins["withdraw-enabled"].ip_restrict
    assert keys.permissions(builtins["read-only"]) == ["READ"]
    unrestricted = builtins["no-ip-restriction"]
    assert not unrestricted.ip_restrict and unrestricted.allowed_ips == ()
    assert keys.permissions(unrestricted) == ["SPOT", "READ"]
    assert NOW - builtins["old"].create_time_ms == 420 * DAY
    assert NOW - base.create_time_ms < 400 * DAY


@pytest.mark.parametrize("name", ["trade-only-ed25519", "trade-only-rsa"])
def test_asymmetric_builtins_sign_and_verify(builtins: dict[str, keys.ApiKey], name: str) -> None:
    k = builtins[name]
    assert "PRIVATE KEY" in k.secret
    assert k.public_key_pem is not None and "PUBLIC KEY" in k.public_key_pem
    sig = signing.sign(k.kind, k.secret, b"timestamp=1")
    assert signing.verify(k.kind, k.verification_key, b"timestamp=1", sig)
    assert not signing.verify(k.kind, k.verification_key, b"timestamp=2", sig)


def test_repr_never_shows_the_secret(builtins: dict[str, keys.ApiKey]) -> None:
    for k in builtins.values():
        assert k.secret not in repr(k)


def test_api_restrictions_json_has_binances_fields(builtins: dict[str, keys.ApiKey]) -> None:
    body = keys.api_restrictions_json(builtins["trade-only"])
    assert body == {
        "ipRestrict": True,
        "createTime": NOW - 7 * DAY,
        "enableReading": True,
        "enableWithdrawals": False,
        "enableInternalTransfer": False,
        "enableMargin": False,
        "enableFutures": False,
        "permitsUniversalTransfer": False,
        "enableVanillaOptions": False,
        "enableFixApiTrade": False,
        "enableFixReadOnly": False,
        "enableSpotAndMarginTrading": True,
        "enablePortfolioMarginTrading": False,
    }
    assert keys.api_restrictions_json(builtins["withdraw-enabled"])["enableWithdrawals"] is True


def test_listing(builtins: dict[str, keys.ApiKey]) -> None:
    k = builtins["read-only"]
    assert keys.listing(k) == {
        "name": "read-only",
        "api_key": k.api_key,
        "secret": k.secret,
        "kind": "HMAC",
        "permissions": ["READ"],
    }


def test_ip_allowed(builtins: dict[str, keys.ApiKey]) -> None:
    k = builtins["trade-only"]
    assert keys.ip_allowed(k, "127.0.0.1")
    assert keys.ip_allowed(k, "::ffff:127.0.0.1")
    assert not keys.ip_allowed(k, "127.0.0.2")
    assert not keys.ip_allowed(k, "::1")
    assert not keys.ip_allowed(k, "")
    assert not keys.ip_allowed(k, "not an ip")
    assert keys.ip_allowed(builtins["no-ip-restriction"], "203.0.113.9")


def test_keystore(builtins: dict[str, keys.ApiKey]) -> None:
    store = keys.KeyStore(list(builtins.values()))
    k = builtins["old"]
    assert store.by_api_key(k.api_key) is k
    assert store.by_name("old") is k
    assert store.by_api_key("nope") is None
    assert len(store) == len(builtins)
    with pytest.raises(ValueError, match="duplicate key name"):
        store.add(k)
    assert store.revoke("old") is k
    assert store.by_api_key(k.api_key) is None
    assert store.revoke("old") is None


def test_trading_authority_expiry() -> None:
    (k,) = keys.keys_from_config(
        [{"name": "x", "trading_authority_expiration_ms": NOW}], seed=1, now_ms=NOW
    )
    assert k.can_trade(NOW - 1)
    assert not k.can_trade(NOW)
    assert keys.api_restrictions_json(k)["tradingAuthorityExpirationTime"] == NOW


# ── configuration ───────────────────────────────────────────────────────────────────────────


def test_config_defaults_are_a_safe_trade_only_key() -> None:
    (k,) = keys.keys_from_config([{"name": "bot"}], seed=3, now_ms=NOW)
    assert k.kind == "HMAC"
    assert keys.permissions(k) == ["SPOT", "READ"]
    assert k.allowed_ips == ("127.0.0.1",) and k.ip_restrict
    assert k.create_time_ms == NOW - 7 * DAY
    assert keys.keys_from_config([{"name": "bot"}], seed=3, now_ms=NOW) == [k]


def test_config_with_everything_given() -> None:
    ed = {k.name: k for k in keys.builtin_keys(1, NOW)}["trade-only-ed25519"]
    entries: list[dict[str, object]] = [
        {
            "name": "mine",
            "kind": "ed25519",
            "api_key": "abc123",
            "public_key_pem": ed.public_key_pem,
            "account": "sub1",
            "permissions": ["read"],
            "allowed_ips": [],
            "age_days": 500,
        },
        {"name": "h", "secret": "s3cret", "create_time_ms": 5, "allowed_ips": ["10.0.0.0/8"]},
    ]
    mine, h = keys.keys_from_config(entries, seed=1, now_ms=NOW)
    assert (mine.kind, mine.api_key, mine.account, mine.secret) == ("ED25519", "abc123", "sub1", "")
    assert mine.verification_key == ed.public_key_pem
    assert keys.permissions(mine) == ["READ"] and not mine.ip_restrict
    assert mine.create_time_ms == NOW - 500 * DAY
    assert h.secret == "s3cret" and h.create_time_ms == 5
    assert keys.ip_allowed(h, "10.1.2.3") and not keys.ip_allowed(h, "11.0.0.1")


@pytest.mark.parametrize(
    ("entry", "field", "words"),
    [
        ({}, "keys[0].name", "required"),
        ({"name": "a b"}, "keys[0].name", "must be"),
        ({"name": "a", "colour": 1}, "keys[0]", "unknown field 'colour'"),
        ({"name": "a", "kind": "DSA"}, "keys[0].kind", "not one of"),
        ({"name": "a", "kind": 5}, "keys[0].kind", "expected a string"),
        ({"name": "a", "api_key": "has space"}, "keys[0].api_key", "1-128"),
        ({"name": "a", "api_key": "x" * 129}, "keys[0].api_key", "1-128"),
        ({"name": "a", "permissions": ["SPOT", "FLY"]}, "keys[0].permissions", "'FLY'"),
        ({"name": "a", "permissions": "SPOT"}, "keys[0].permissions", "list of strings"),
        ({"name": "a", "allowed_ips": ["localhost"]}, "keys[0].allowed_ips", "not an IP"),
        (
            {"name": "a", "permissions": ["WITHDRAW"], "allowed_ips": []},
            "keys[0].permissions",
            "IP-restricted",
        ),
        ({"name": "a", "age_days": -1}, "keys[0].age_days", "days"),
        ({"name": "a", "age_days": 1, "create_time_ms": 1}, "keys[0].age_days", "not both"),
        ({"name": "a", "create_time_ms": True}, "keys[0].create_time_ms", "integer"),
        ({"name": "a", "secret": ""}, "keys[0].secret", "not empty"),
        ({"name": "a", "public_key_pem": "x"}, "keys[0].public_key_pem", "only ED25519"),
        ({"name": "a", "kind": "RSA", "secret": "x"}, "keys[0].secret", "public_key_pem"),
        (
            {"name": "a", "kind": "ED25519", "public_key_pem": "junk"},
            "keys[0].public_key_pem",
            "not a PEM",
        ),
    ],
)
def test_config_errors_name_the_field(entry: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(keys.KeyConfigError, match=re.escape(words)) as caught:
        keys.keys_from_config([entry], seed=1, now_ms=NOW)
    assert caught.value.field == field
    assert str(caught.value).startswith(field + ": ")


def test_config_refuses_a_public_key_of_the_wrong_type() -> None:
    rsa_key = {k.name: k for k in keys.builtin_keys(1, NOW)}["trade-only-rsa"]
    with pytest.raises(keys.KeyConfigError, match="Ed25519") as caught:
        keys.keys_from_config(
            [{"name": "a", "kind": "ED25519", "public_key_pem": rsa_key.public_key_pem}],
            seed=1,
            now_ms=NOW,
        )
    assert caught.value.field == "keys[0].public_key_pem"


def test_config_refuses_duplicates() -> None:
    with pytest.raises(keys.KeyConfigError) as caught:
        keys.keys_from_config([{"name": "a"}, {"name": "a"}], seed=1, now_ms=NOW)
    assert caught.value.field == "keys[1].name"
    with pytest.raises(keys.KeyConfigError) as caught:
        keys.keys_from_config(
            [{"name": "a", "api_key": "K"}, {"name": "b", "api_key": "K"}], seed=1, now_ms=NOW
        )
    assert caught.value.field == "keys[1].api_key"
    with pytest.raises(keys.KeyConfigError) as caught:
        keys.keys_from_config(["nope"], seed=1, now_ms=NOW)  # type: ignore[list-item]
    assert caught.value.field == "keys[0]"


def test_derived_rsa_key_is_2048_bits_and_deterministic() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from tradeguard.sim import keys_material

    pem = keys_material.derive_rsa_pem(b"\x01" * 32)
    assert keys_material.derive_rsa_pem.__wrapped__(b"\x01" * 32) == pem
    key = serialization.load_pem_private_key(pem.encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
