"""Request parsing and authentication, in Binance's order of checks."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeguard.sim import keys
from tradeguard.sim.auth import (
    Authed,
    AuthReject,
    Reason,
    Security,
    authenticate,
    authenticate_ws,
    parse_params,
    signed_payload,
)
from tradeguard.sim.rejects import Reject
from tradeguard.venues.binance import signing

NOW = 1_767_225_600_000
LOCAL = "127.0.0.1"
DOC_API_KEY = (
    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"  # tradeguard: allow
)
DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"  # tradeguard: allow


@pytest.fixture(scope="module")
def store() -> keys.KeyStore:
    extra = keys.keys_from_config(
        [
            {"name": "doc", "api_key": DOC_API_KEY, "secret": DOC_SECRET, "allowed_ips": []},
            {"name": "spot-no-read", "permissions": ["SPOT"]},
            {"name": "lapsed", "trading_authority_expiration_ms": NOW - 1},
        ],
        seed=1,
        now_ms=NOW,
    )
    return keys.KeyStore([*keys.builtin_keys(1, NOW), *extra])


def _key(store: keys.KeyStore, name: str) -> keys.ApiKey:
    k = store.by_name(name)
    assert k is not None
    return k


def _signed(k: keys.ApiKey, params: list[tuple[str, str]]) -> bytes:
    payload = signing.encode_params(params)
    sig = signing.sign(k.kind, k.secret, payload)
    return f"{payload}&signature={quote(sig, safe='')}".encode()


def _auth(
    store: keys.KeyStore,
    *,
    query: bytes = b"",
    body: bytes = b"",
    api_key: str | None = None,
    ip: str = LOCAL,
    security: Security = Security.TRADE,
    needs: str = "trade",
    now: int = NOW,
) -> Authed:
    return authenticate("POST", query, body, api_key, ip, security, needs, now, store)


def _refusal(store: keys.KeyStore, **kw: object) -> AuthReject:
    with pytest.raises(AuthReject) as caught:
        _auth(store, **kw)  # type: ignore[arg-type]
    return caught.value


# ── parse_params ────────────────────────────────────────────────────────────────────────────


def test_parse_query_wins_over_body_and_decodes() -> None:
    params = parse_params(b"a=1&b=x%2By&c=a+b", b"a=2&d=%C3%A9&e")
    assert params == {"a": "1", "b": "x+y", "c": "a b", "d": "é", "e": ""}


def test_parse_skips_empty_segments() -> None:
    assert parse_params(b"&a=1&&b=2&", b"") == {"a": "1", "b": "2"}


def test_parse_refuses_a_name_twice_in_one_source() -> None:
    with pytest.raises(Reject) as caught:
        parse_params(b"a=1&a=2", b"")
    assert (caught.value.code, caught.value.msg, caught.value.http_status) == (
        -1101,
        "Duplicate values for a parameter detected.",
        400,
    )
    with pytest.raises(Reject):
        parse_params(b"", b"a=1&a=1")


def test_parse_refuses_bytes_that_are_not_utf8() -> None:
    for query in (b"a=%FF", b"%C3=1", b"a=\xff"):
        with pytest.raises(Reject) as caught:
            parse_params(query, b"")
        assert caught.value.code == -1100
        assert caught.value.msg == "Illegal characters found in a parameter."


def test_parse_refuses_an_empty_name() -> None:
    with pytest.raises(Reject) as caught:
        parse_params(b"=1", b"")
    assert caught.value.code == -1100


@given(st.binary(max_size=200), st.binary(max_size=200))
def test_parse_never_raises_anything_but_reject(query: bytes, body: bytes) -> None:
    try:
        params = parse_params(query, body)
    except Reject as exc:
        assert exc.code in (-1100, -1101)
    else:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())


@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=10), st.text(max_size=20)),
        max_size=8,
        unique_by=lambda kv: kv[0],
    )
)
def test_encode_params_then_parse_params_round_trips(pairs: list[tuple[str, str]]) -> None:
    assert parse_params(signing.encode_params(pairs).encode(), b"") == dict(pairs)


def test_signed_payload_drops_only_the_signature_pair() -> None:
    assert signed_payload(b"a=1&signature=x&b=2", b"") == b"a=1&b=2"
    assert signed_payload(b"symbol=X", b"q=1&signature=abc") == b"symbol=Xq=1"
    assert signed_payload(b"", b"%73ignature=abc&q=%20") == b"q=%20"


# ── the API key ─────────────────────────────────────────────────────────────────────────────


def test_none_security_needs_no_key(store: keys.KeyStore) -> None:
    authed = _auth(store, query=b"symbol=BTCUSDT", security=Security.NONE, api_key="bad key!")
    assert authed.params == {"symbol": "BTCUSDT"} and authed.key is None


@pytest.mark.parametrize("header", [None, "", "has space", "x" * 129, "ключ"])
def test_missing_or_malformed_key_is_2014(store: keys.KeyStore, header: str | None) -> None:
    rej = _refusal(store, api_key=header)
    assert (rej.code, rej.msg, rej.http_status) == (-2014, "API-key format invalid.", 401)
    assert rej.reason is Reason.KEY_FORMAT


def test_the_three_causes_of_2015_are_told_apart(store: keys.KeyStore) -> None:
    trade_only = _key(store, "trade-only").api_key
    cases: list[tuple[dict[str, object], Reason]] = [
        ({"api_key": "A" * 64}, Reason.UNKNOWN_KEY),
        ({"api_key": trade_only, "ip": "10.0.0.1"}, Reason.IP_NOT_ALLOWED),
        ({"api_key": _key(store, "read-only").api_key}, Reason.NO_PERMISSION),
        ({"api_key": _key(store, "lapsed").api_key}, Reason.NO_PERMISSION),
        (
            {
                "api_key": _key(store, "spot-no-read").api_key,
                "security": Security.USER_DATA,
                "needs": "read",
            },
            Reason.NO_PERMISSION,
        ),
    ]
    for kw, reason in cases:
        rej = _refusal(store, **kw)
        assert (rej.code, rej.http_status) == (-2015, 401)
        assert rej.msg == "Invalid API-key, IP, or permissions for action."
        assert rej.reason is reason


def test_key_checks_come_before_timing(store: keys.KeyStore) -> None:
    # No timestamp at all, yet the refusal is about the key.
    rej = _refusal(store, api_key=_key(store, "read-only").api_key, query=b"symbol=X")
    assert rej.code == -2015


def test_user_stream_and_market_data_need_only_a_key(store: keys.KeyStore) -> None:
    k = _key(store, "read-only")
    for security in (Security.USER_STREAM, Security.MARKET_DATA):
        authed = _auth(store, api_key=k.api_key, security=security, needs="read")
        assert authed.key is k and authed.timestamp_us is None
    rej = _refusal(store, api_key="A" * 64, security=Security.USER_STREAM, needs="read")
    assert rej.reason is Reason.UNKNOWN_KEY


# ── timing ──────────────────────────────────────────────────────────────────────────────────


def _timed(store: keys.KeyStore, query: str, name: str = "trade-only", **kw: object) -> Authed:
    k = _key(store, name)
    pairs = [tuple(p.split("=", 1)) for p in query.split("&") if p]
    return _auth(store, query=_signed(k, pairs), api_key=k.api_key, **kw)  # type: ignore[arg-type]


def _timing_refusal(store: keys.KeyStore, query: str) -> AuthReject:
    with pytest.raises(AuthReject) as caught:
        _timed(store, query)
    return caught.value


def test_missing_or_malformed_timestamp_is_1102(store: keys.KeyStore) -> None:
    for query in ("symbol=X", "timestamp=", "timestamp=12a", "timestamp=-5"):
        rej = _timing_refusal(store, query)
        assert rej.code == -1102 and rej.reason is Reason.TIMESTAMP_MISSING
        assert (
            rej.msg == "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."
        )


def test_recv_window_bounds(store: keys.KeyStore) -> None:
    rej = _timing_refusal(store, f"timestamp={NOW}&recvWindow=60001")
    assert (rej.code, rej.msg) == (-1131, "recvWindow must be less than 60000")
    assert _timed(store, f"timestamp={NOW - 60_000}&recvWindow=60000").recv_window_us == 60_000_000
    assert _timed(store, f"timestamp={NOW}&recvWindow=5000.125").recv_window_us == 5_000_125
    for bad in ("1.2345", "abc", "-1", ""):
        rej = _timing_refusal(store, f"timestamp={NOW}&recvWindow={bad}")
        assert rej.code == -1102 and "'recvWindow'" in rej.msg


def test_timestamp_ahead_of_the_server(store: keys.KeyStore) -> None:
    assert _timed(store, f"timestamp={NOW + 999}").timestamp_us == (NOW + 999) * 1000
    rej = _timing_refusal(store, f"timestamp={NOW + 1000}")
    assert (rej.code, rej.http_status, rej.reason) == (-1021, 400, Reason.TIMESTAMP_AHEAD)
    assert rej.msg == "Timestamp for this request was 1000ms ahead of the server's time."


def test_timestamp_outside_the_recv_window(store: keys.KeyStore) -> None:
    assert _timed(store, f"timestamp={NOW - 5000}")  # default recvWindow 5000, inclusive
    rej = _timing_refusal(store, f"timestamp={NOW - 5001}")
    assert (rej.code, rej.reason) == (-1021, Reason.TIMESTAMP_EXPIRED)
    assert rej.msg == "Timestamp for this request is outside of the recvWindow."
    assert _timed(store, f"timestamp={NOW - 9000}&recvWindow=10000")


def test_microsecond_timestamps(store: keys.KeyStore) -> None:
    assert _timed(store, f"timestamp={NOW * 1000 + 999_999}").timestamp_us == NOW * 1000 + 999_999
    rej = _timing_refusal(store, f"timestamp={(NOW + 1000) * 1000}")
    assert rej.reason is Reason.TIMESTAMP_AHEAD
    rej = _timing_refusal(store, f"timestamp={(NOW - 5000) * 1000 - 1}")
    assert rej.reason is Reason.TIMESTAMP_EXPIRED


# ── signature ───────────────────────────────────────────────────────────────────────────────


def test_missing_signature_is_1102(store: keys.KeyStore) -> None:
    k = _key(store, "trade-only")
    for query in (f"timestamp={NOW}", f"timestamp={NOW}&signature="):
        rej = _refusal(store, query=query.encode(), api_key=k.api_key)
        assert (rej.code, rej.reason) == (-1102, Reason.SIGNATURE_MISSING)
        assert "'signature'" in rej.msg


def test_wrong_signature_is_1022(store: keys.KeyStore) -> None:
    k = _key(store, "trade-only")
    good = _signed(k, [("symbol", "BTCUSDT"), ("timestamp", str(NOW))])
    flipped = good[:-1] + (b"1" if good.endswith(b"0") else b"0")
    for bad in (good.replace(b"BTCUSDT", b"ETHUSDT"), flipped, good + b"0"):
        rej = _refusal(store, query=bad, api_key=k.api_key)
        assert (rej.code, rej.http_status, rej.reason) == (-1022, 400, Reason.SIGNATURE_INVALID)
        assert rej.msg == "Signature for this request is not valid."
    # A signature made with another key's secret.
    other = _signed(_key(store, "old"), [("timestamp", str(NOW))])
    assert _refusal(store, query=other, api_key=k.api_key).code == -1022


def test_binance_documented_requests_verify(store: keys.KeyStore) -> None:
    ts = 1499827319559
    fields = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
    rest = f"quantity=1&price=0.1&recvWindow=5000&timestamp={ts}"
    sig = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    mixed = "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
    for query, body in [
        (b"", f"{fields}&{rest}&signature={sig}".encode()),  # example 1: body
        (f"{fields}&{rest}&signature={sig}".encode(), b""),  # example 2: query
        (fields.encode(), f"{rest}&signature={mixed}".encode()),  # example 3: mixed
    ]:
        authed = _auth(store, query=query, body=body, api_key=DOC_API_KEY, now=ts + 10)
        assert authed.params["price"] == "0.1" and authed.key is not None
        assert authed.key.name == "doc"


def test_ccxt_and_python_binance_orders_both_verify(store: keys.KeyStore) -> None:
    k = _key(store, "trade-only")
    ccxt_style = [
        ("timestamp", str(NOW)),
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("newClientOrderId", "x-TKT5PX2Fabc"),
        ("type", "LIMIT"),
        ("price", "40000.12"),
        ("recvWindow", "10000"),
    ]
    for pairs in (ccxt_style, sorted(ccxt_style)):
        authed = _auth(store, body=_signed(k, pairs), api_key=k.api_key)
        assert authed.params["newClientOrderId"] == "x-TKT5PX2Fabc"


def test_signature_in_the_query_with_params_in_the_body(store: keys.KeyStore) -> None:
    k = _key(store, "trade-only")
    body = f"symbol=BTCUSDT&timestamp={NOW}".encode()
    sig = signing.hmac_sha256_hex(k.secret, body)
    authed = _auth(store, query=f"signature={sig}".encode(), body=body, api_key=k.api_key)
    assert authed.params["signature"] == sig


def test_percent_encoded_values_verify_as_sent(store: keys.KeyStore) -> None:
    k = _key(store, "trade-only")
    pairs = [("newClientOrderId", "a b/c+d"), ("timestamp", str(NOW))]
    authed = _auth(store, body=_signed(k, pairs), api_key=k.api_key)
    assert authed.params["newClientOrderId"] == "a b/c+d"


@pytest.mark.parametrize("name", ["trade-only-ed25519", "trade-only-rsa"])
def test_asymmetric_signatures_percent_encoded_or_not(store: keys.KeyStore, name: str) -> None:
    k = _key(store, name)
    # Find a payload whose base64 signature has a '+', to show both spellings verify.
    for n in range(200):
        payload = signing.encode_params([("symbol", f"S{n}"), ("timestamp", str(NOW))])
        sig = signing.sign(k.kind, k.secret, payload)
        if "+" in sig:
            break
    else:
        pytest.fail("no signature with '+' found")
    for sent in (quote(sig, safe=""), sig):
        query = f"{payload}&signature={sent}".encode()
        assert _auth(store, query=query, api_key=k.api_key).key is k
    tampered = f"{payload.replace('=S', '=T')}&signature={quote(sig, safe='')}".encode()
    assert _refusal(store, query=tampered, api_key=k.api_key).code == -1022


def test_parse_errors_come_back_as_auth_rejects(store: keys.KeyStore) -> None:
    rej = _refusal(store, query=b"a=1&a=2", api_key=_key(store, "trade-only").api_key)
    assert (rej.code, rej.reason) == (-1101, Reason.MALFORMED_PARAMS)


# ── WebSocket API ───────────────────────────────────────────────────────────────────────────


def _ws_doc_params() -> dict[str, object]:
    return {
        "apiKey": DOC_API_KEY,
        "price": "52000.00",
        "quantity": "0.01000000",
        "recvWindow": 100,
        "side": "SELL",
        "symbol": "BTCUSDT",
        "timeInForce": "GTC",
        "timestamp": 1645423376532,
        "type": "LIMIT",
        "signature": "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24",
    }


def test_ws_api_documented_request_verifies(store: keys.KeyStore) -> None:
    now = 1645423376532 + 50
    authed = authenticate_ws(_ws_doc_params(), LOCAL, Security.TRADE, "trade", now, store)
    assert authed.params["recvWindow"] == "100" and authed.key is not None
    tampered = _ws_doc_params() | {"price": "52000.01"}
    with pytest.raises(AuthReject) as caught:
        authenticate_ws(tampered, LOCAL, Security.TRADE, "trade", now, store)
    assert caught.value.code == -1022
    with pytest.raises(AuthReject) as caught:
        authenticate_ws(_ws_doc_params(), LOCAL, Security.TRADE, "trade", now + 100, store)
    assert caught.value.code == -1021


def test_ws_api_key_checks(store: keys.KeyStore) -> None:
    params = _ws_doc_params()
    del params["apiKey"]
    with pytest.raises(AuthReject) as caught:
        authenticate_ws(params, LOCAL, Security.USER_DATA, "read", NOW, store)
    assert caught.value.code == -1102 and "'apiKey'" in caught.value.msg
    with pytest.raises(AuthReject) as caught:
        authenticate_ws({"apiKey": 5}, LOCAL, Security.USER_DATA, "read", NOW, store)
    assert caught.value.code == -2014
    k = _key(store, "trade-only-ed25519")
    params = {"apiKey": k.api_key, "timestamp": NOW}
    params["signature"] = signing.sign(k.kind, k.secret, signing.ws_payload(params))
    authed = authenticate_ws(params, LOCAL, Security.USER_DATA, "read", NOW, store)
    assert authed.key is k


@given(
    query=st.binary(max_size=120),
    body=st.binary(max_size=120),
    header=st.none()
    | st.text(max_size=70)
    | st.sampled_from([k.api_key for k in keys.builtin_keys(1, NOW)]),
    security=st.sampled_from(list(Security)),
)
def test_authenticate_never_raises_anything_but_reject(
    store: keys.KeyStore, query: bytes, body: bytes, header: str | None, security: Security
) -> None:
    try:
        _auth(store, query=query, body=body, api_key=header, security=security)
    except AuthReject as exc:
        assert isinstance(exc.reason, Reason)
