"""Binance signing: the published test vectors, and round trips for Ed25519 and RSA."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from hypothesis import given
from hypothesis import strategies as st

from tradeguard.venues.binance import signing

# Binance's documented example key pair (rest-api.md "SIGNED Endpoint Examples").
DOC_API_KEY = (
    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"  # tradeguard: allow
)
DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"  # tradeguard: allow
REST_PAYLOAD = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
    "&recvWindow=5000&timestamp=1499827319559"
)
REST_SIGNATURE = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
# rest-api.md example 3: query then body, concatenated with no '&' between them.
MIXED_PAYLOAD = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
    "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
)
MIXED_SIGNATURE = "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
WS_SIGNATURE = "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"


def _ed25519_pair() -> tuple[str, str]:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    return _pems(key)


def _rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _pems(key)


def _pems(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> tuple[str, str]:
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


ED_PRIVATE, ED_PUBLIC = _ed25519_pair()
RSA_PRIVATE, RSA_PUBLIC = _rsa_pair()


# ── HMAC ────────────────────────────────────────────────────────────────────────────────────


def test_rest_hmac_vector() -> None:
    assert signing.hmac_sha256_hex(DOC_SECRET, REST_PAYLOAD) == REST_SIGNATURE
    assert signing.hmac_sha256_hex(DOC_SECRET, REST_PAYLOAD.encode()) == REST_SIGNATURE


def test_rest_mixed_query_and_body_vector() -> None:
    assert signing.hmac_sha256_hex(DOC_SECRET, MIXED_PAYLOAD) == MIXED_SIGNATURE


def test_ws_api_hmac_vector() -> None:
    params: dict[str, object] = {
        "symbol": "BTCUSDT",
        "side": "SELL",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.01000000",
        "price": "52000.00",
        "recvWindow": 100,
        "timestamp": 1645423376532,
        "apiKey": DOC_API_KEY,
        "signature": "ignored: never part of the payload",
    }
    payload = signing.ws_payload(params)
    assert payload == (
        f"apiKey={DOC_API_KEY}&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL"
        "&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT"
    )
    assert signing.hmac_sha256_hex(DOC_SECRET, payload) == WS_SIGNATURE


def test_hmac_verify_is_case_insensitive() -> None:
    payload = REST_PAYLOAD.encode()
    assert signing.verify("HMAC", DOC_SECRET, payload, REST_SIGNATURE)
    assert signing.verify("HMAC", DOC_SECRET, payload, REST_SIGNATURE.upper())


def test_hmac_verify_refuses_tampering_and_wrong_secret() -> None:
    payload = REST_PAYLOAD.encode()
    assert not signing.verify("HMAC", DOC_SECRET, payload.replace(b"0.1", b"0.2"), REST_SIGNATURE)
    assert not signing.verify("HMAC", DOC_SECRET[:-1] + "x", payload, REST_SIGNATURE)
    assert not signing.verify("HMAC", DOC_SECRET, payload, REST_SIGNATURE[:-1])
    assert not signing.verify("HMAC", DOC_SECRET, payload, "")


@given(st.text())
def test_hmac_verify_never_raises_on_odd_signatures(signature: str) -> None:
    assert signing.verify("HMAC", DOC_SECRET, b"a=1", signature) is (
        signature.lower() == signing.hmac_sha256_hex(DOC_SECRET, b"a=1")
    )


# ── Ed25519 and RSA ─────────────────────────────────────────────────────────────────────────


def test_ed25519_round_trip() -> None:
    payload = REST_PAYLOAD.encode()
    sig = signing.ed25519_sign_b64(ED_PRIVATE, payload)
    assert signing.verify("ED25519", ED_PUBLIC, payload, sig)
    assert signing.sign("ED25519", ED_PRIVATE, payload) == sig  # Ed25519 is deterministic


def test_ed25519_refuses_tampered_payload_wrong_key_and_garbage() -> None:
    payload = REST_PAYLOAD.encode()
    sig = signing.ed25519_sign_b64(ED_PRIVATE, payload)
    other = ed25519.Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)
    _, other_public = _pems(other)
    assert not signing.verify("ED25519", ED_PUBLIC, payload + b"&x=1", sig)
    assert not signing.verify("ED25519", other_public, payload, sig)
    assert not signing.verify("ED25519", ED_PUBLIC, payload, "not base64!")
    assert not signing.verify("ED25519", ED_PUBLIC, payload, "AAAA")
    assert not signing.verify("ED25519", ED_PUBLIC, payload, "é")


def test_rsa_round_trip_and_refusals() -> None:
    payload = REST_PAYLOAD.encode()
    sig = signing.rsa_sign_b64(RSA_PRIVATE, payload)
    assert signing.verify("RSA", RSA_PUBLIC, payload, sig)
    assert signing.sign("RSA", RSA_PRIVATE, payload) == sig  # PKCS#1 v1.5 is deterministic
    _, other_public = _rsa_pair()
    assert not signing.verify("RSA", RSA_PUBLIC, payload.replace(b"LTC", b"ETH"), sig)
    assert not signing.verify("RSA", other_public, payload, sig)


def test_key_type_mismatch_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="Ed25519"):
        signing.ed25519_sign_b64(RSA_PRIVATE, b"x")
    with pytest.raises(ValueError, match="RSA"):
        signing.rsa_sign_b64(ED_PRIVATE, b"x")
    with pytest.raises(ValueError, match="Ed25519 public key"):
        signing.verify("ED25519", RSA_PUBLIC, b"x", "AAAA")
    with pytest.raises(ValueError, match="unknown key kind"):
        signing.verify("DSA", "k", b"x", "AAAA")  # type: ignore[arg-type]


# ── payload builders ────────────────────────────────────────────────────────────────────────


def test_encode_params_keeps_order_and_escapes_reserved_characters() -> None:
    params = [("timestamp", "1"), ("symbol", "BTCUSDT"), ("note", "a b+c/d=e&f"), ("é", "ü")]
    assert signing.encode_params(params) == (
        "timestamp=1&symbol=BTCUSDT&note=a%20b%2Bc%2Fd%3De%26f&%C3%A9=%C3%BC"
    )
    assert signing.encode_params([]) == ""


def test_ws_payload_renders_json_scalars_and_does_not_encode() -> None:
    payload = signing.ws_payload({"b": True, "a": "x y&z", "c": 5, "signature": "s"})
    assert payload == "a=x y&z&b=true&c=5"


# ── a key made ready once ────────────────────────────────────────────────────────────────────


def test_a_ready_hmac_key_signs_binance_s_examples() -> None:
    key = signing.HmacSha256(DOC_SECRET)
    assert key.hex(REST_PAYLOAD) == REST_SIGNATURE
    assert key.hex(MIXED_PAYLOAD.encode()) == MIXED_SIGNATURE


@given(secret=st.text(min_size=1, max_size=200), payload=st.binary(max_size=300))
def test_a_ready_hmac_key_signs_as_the_one_shot_does(secret: str, payload: bytes) -> None:
    # keys shorter than SHA-256's block, as long, and longer (hashed first), any UTF-8
    assert signing.HmacSha256(secret).hex(payload) == signing.hmac_sha256_hex(secret, payload)


def test_a_ready_key_follows_a_rotation_and_never_shows_the_secret() -> None:
    from tradeguard.keys.credentials import ApiCredentials, Secret

    first = ApiCredentials(DOC_API_KEY, Secret(DOC_SECRET))
    rotated = ApiCredentials(DOC_API_KEY, Secret("another-secret-after-rotation"))
    ready = signing.ReadyKey()
    assert ready.signer(first)(REST_PAYLOAD) == REST_SIGNATURE
    assert ready.signer(rotated)(REST_PAYLOAD) == rotated.sign(REST_PAYLOAD) != REST_SIGNATURE
    ed_private, _ = _ed25519_pair()
    ed = ApiCredentials(DOC_API_KEY, Secret(ed_private), kind="ED25519")
    assert ready.signer(ed)(REST_PAYLOAD) == ed.sign(REST_PAYLOAD)
    for shown in (repr(ready), str(ready), repr(signing.HmacSha256(DOC_SECRET))):
        assert DOC_SECRET not in shown and "***" in shown
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(signing.HmacSha256(DOC_SECRET))
