"""Bybit, OKX and Kraken keys audited through ccxt against a local server that answers the
documented bodies of exchange-wire.md §5-§7 and checks each venue's documented signature.
The server also records every request: only the read-only audit calls may reach it."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import logging
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiohttp import web

from tradeguard.doctor.checks import Check, DoctorOptions, check_key, run_checks, worst
from tradeguard.keys import audit_ccxt
from tradeguard.keys.audit import DAY_MS, AuditPolicy, Finding, Level
from tradeguard.keys.credentials import ApiCredentials, CredentialsSpec, Secret
from tradeguard.net.clock import FakeClock

from .conftest import KEY_CHECKS, FakeProfile

NOW = 1_767_225_600_000  # 2026-01-01T00:00:00Z
LIVE = AuditPolicy(env="live", mode="trade")
TESTNET = AuditPolicy(env="testnet", mode="trade")
HOST_IP = "203.0.113.7"
SECRET = "s3cr3t-HMAC-value-0123456789abcdef"  # tradeguard: allow
PASSPHRASE = "Pass-Phrase-42!"  # tradeguard: allow
KRAKEN_SECRET = base64.b64encode(bytes(range(64))).decode()  # tradeguard: allow


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ── the venues' documented answers ─────────────────────────────────────────────────────────


def bybit_result(
    *,
    wallet: tuple[str, ...] = (),
    ips: tuple[str, ...] = (HOST_IP,),
    created_ms: int = NOW - 30 * DAY_MS,
    expired: str = "1970-01-01T00:00:00Z",
    read_only: int = 0,
) -> dict[str, Any]:
    """`result` of GET /v5/user/query-api (exchange-wire.md §5)."""
    return {
        "id": "13770661",
        "note": "bot",
        "apiKey": "ignored",
        "readOnly": read_only,
        "secret": "",
        "permissions": {
            "ContractTrade": [],
            "Spot": ["SpotTrade"],
            "Wallet": list(wallet),
            "Options": [],
            "Derivatives": [],
            "Exchange": [],
            "Earn": [],
            "CopyTrading": [],
            "BlockTrade": [],
            "NFT": [],
            "Affiliate": [],
        },
        "ips": list(ips),
        "type": 1,
        "deadlineDay": 66,
        "expiredAt": expired,
        "createdAt": iso(created_ms),
        "uta": 1,
        "userID": 24600000,
        "isMaster": True,
        "parentUid": "0",
    }


def okx_config(*, perm: str, ip: str) -> dict[str, Any]:
    """`data[0]` of GET /api/v5/account/config (exchange-wire.md §6)."""
    return {
        "uid": "44705892343619584",
        "mainUid": "44705892343619584",
        "label": "bot",
        "type": "0",
        "kycLv": "2",
        "ip": ip,
        "perm": perm,
    }


KRAKEN_RESULTS: dict[str, Any] = {
    "Balance": {"ZUSD": "171288.6158", "XXBT": "0.0011"},
    "OpenOrders": {"open": {}},
    "WithdrawMethods": [
        {"asset": "XXBT", "method": "Bitcoin", "network": "Bitcoin", "minimum": "0.0004"}
    ],
}


def kraken_sign(secret: str, path: str, nonce: str, postdata: str) -> str:
    """exchange-wire.md §7: base64(HMAC-SHA512(b64decode(secret), path + SHA256(nonce+data)))."""
    digest = hashlib.sha256((nonce + postdata).encode()).digest()
    mac = hmac.new(base64.b64decode(secret), path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


def test_kraken_sign_matches_the_documented_vector() -> None:
    secret = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="  # tradeguard: allow
    postdata = "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
    assert (
        kraken_sign(secret, "/0/private/AddOrder", "1616492376594", postdata)
        == "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
    )


@dataclass
class Key:
    secret: str
    bybit: dict[str, Any] | None = None  # query-api result
    bybit_error: tuple[int, str] | None = None  # e.g. (10010, "Unmatched IP ...")
    okx: dict[str, Any] | None = None  # account/config data[0]
    passphrase: str | None = None
    kraken_allowed: frozenset[str] = frozenset()  # the private calls the key may make


@dataclass
class FakeVenues:
    """One loopback server speaking the three venues' key-information calls."""

    keys: dict[str, Key] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)  # "METHOD /path", every request
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def app(self) -> web.Application:
        @web.middleware
        async def record(request: web.Request, handler: Any) -> web.StreamResponse:
            self.seen.append(f"{request.method} {request.path}")
            self.headers.append(dict(request.headers))
            return await handler(request)  # type: ignore[no-any-return]

        app = web.Application(middlewares=[record])
        app.router.add_get("/v5/user/query-api", self.bybit)
        app.router.add_get("/api/v5/account/config", self.okx)
        app.router.add_post("/0/private/{call}", self.kraken)
        return app

    # Bybit: X-BAPI-* headers, hex HMAC-SHA256 of ts + key + recvWindow + query string.
    async def bybit(self, request: web.Request) -> web.Response:
        h = request.headers
        api_key = h.get("X-BAPI-API-KEY", "")
        key = self.keys.get(api_key)
        if key is None or key.bybit is None:
            return self._bybit_error(10003, "API key is invalid.")
        payload = h["X-BAPI-TIMESTAMP"] + api_key + h["X-BAPI-RECV-WINDOW"] + request.query_string
        expected = hmac.new(key.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if h.get("X-BAPI-SIGN") != expected:
            return self._bybit_error(10004, "error sign! origin_string[...]")
        if key.bybit_error is not None:
            return self._bybit_error(*key.bybit_error)
        body = {"retCode": 0, "retMsg": "", "result": key.bybit, "retExtInfo": {}, "time": NOW}
        return web.json_response(body)

    @staticmethod
    def _bybit_error(code: int, msg: str) -> web.Response:
        body = {"retCode": code, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": NOW}
        return web.json_response(body)

    # OKX: OK-ACCESS-* headers, base64 HMAC-SHA256 of ts + METHOD + requestPath; 401 errors.
    async def okx(self, request: web.Request) -> web.Response:
        h = request.headers
        key = self.keys.get(h.get("OK-ACCESS-KEY", ""))
        if key is None or key.okx is None:
            return self._okx_error("50111", "Invalid OK-ACCESS-KEY")
        if h.get("OK-ACCESS-PASSPHRASE") != key.passphrase:
            return self._okx_error("50105", "OK-ACCESS-PASSPHRASE incorrect")
        auth = h["OK-ACCESS-TIMESTAMP"] + request.method + request.path_qs
        mac = hmac.new(key.secret.encode(), auth.encode(), hashlib.sha256).digest()
        if h.get("OK-ACCESS-SIGN") != base64.b64encode(mac).decode():
            return self._okx_error("50113", "Invalid Sign")
        return web.json_response({"code": "0", "msg": "", "data": [key.okx]})

    @staticmethod
    def _okx_error(code: str, msg: str) -> web.Response:
        return web.json_response({"code": code, "msg": msg, "data": []}, status=401)

    # Kraken: API-Key / API-Sign headers over a form body with a nonce; errors as a list.
    async def kraken(self, request: web.Request) -> web.Response:
        postdata = (await request.read()).decode()
        nonce = parse_qs(postdata).get("nonce", [""])[0]
        key = self.keys.get(request.headers.get("API-Key", ""))
        if key is None:
            return web.json_response({"error": ["EAPI:Invalid key"]})
        expected = kraken_sign(key.secret, request.path, nonce, postdata)
        if request.headers.get("API-Sign") != expected:
            return web.json_response({"error": ["EAPI:Invalid signature"]})
        call = request.match_info["call"]
        if call not in key.kraken_allowed:
            return web.json_response({"error": ["EGeneral:Permission denied"]})
        return web.json_response({"error": [], "result": KRAKEN_RESULTS[call]})


@pytest.fixture
async def venues() -> AsyncIterator[FakeVenues]:
    fake = FakeVenues()
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    fake.url = f"http://{host}:{port}"
    yield fake
    await runner.cleanup()


def creds(api_key: str, secret: str = SECRET, passphrase: str | None = None) -> ApiCredentials:
    return ApiCredentials(
        api_key, Secret(secret), passphrase=None if passphrase is None else Secret(passphrase)
    )


async def findings(
    fake: FakeVenues,
    venue: str,
    credentials: ApiCredentials,
    policy: AuditPolicy = LIVE,
    **kw: Any,
) -> dict[str, Finding]:
    fetched = await audit_ccxt.fetch(venue, credentials, base_url=fake.url, timeout_s=5)
    found = audit_ccxt.key_findings(fetched, policy, NOW, **kw)
    assert_no_secret(found, credentials)
    return {f.check: f for f in found}


def assert_no_secret(found: list[Finding], credentials: ApiCredentials) -> None:
    text = repr(found)
    assert credentials.secret.reveal() not in text
    if credentials.passphrase is not None:
        assert credentials.passphrase.reveal() not in text


def levels(by: dict[str, Finding]) -> dict[str, str]:
    return {name: f.level.value for name, f in by.items()}


READ_ONLY_CALLS = {
    "bybit": ["GET /v5/user/query-api"],
    "okx": ["GET /api/v5/account/config"],
    "kraken": [
        "POST /0/private/Balance",
        "POST /0/private/OpenOrders",
        "POST /0/private/WithdrawMethods",
    ],
}


def test_the_documented_call_list_is_the_one_tested() -> None:
    assert {v: list(c) for v, c in audit_ccxt.CALLS.items()} == READ_ONLY_CALLS


# ── Bybit ──────────────────────────────────────────────────────────────────────────────────


async def test_bybit_trade_only_key(venues: FakeVenues) -> None:
    venues.keys["by-trade"] = Key(SECRET, bybit=bybit_result())
    by = await findings(venues, "bybit", creds("by-trade"))
    assert list(by) == KEY_CHECKS
    assert by["key.access"] == Finding(
        "key.access", Level.PASS, "bybit accepted the key (GET /v5/user/query-api)"
    )
    assert levels(by) == {
        "key.access": "pass",
        "key.withdraw": "pass",
        "key.transfer": "pass",
        "key.ip_whitelist": "pass",
        "key.scope": "unverified",  # unified-account margin is not a key right on Bybit
        "key.mode": "pass",
        "key.age": "pass",
        "key.expiry": "pass",
    }
    assert by["key.ip_whitelist"].message == (
        f"the key is IP-restricted: {HOST_IP}; this host is on it"
    )
    assert by["key.age"].message == "the key is 30 days old (created 2025-12-02)"
    assert by["key.expiry"].message == "the key's permissions do not expire"
    assert (
        by["key.scope"].message
        == "bybit did not report the key's margin permissions (query-api): not checked"
    )
    assert venues.seen == READ_ONLY_CALLS["bybit"]


async def test_bybit_withdraw_enabled_key_is_refused(venues: FakeVenues) -> None:
    wallet = ("AccountTransfer", "SubMemberTransfer", "SubMemberTransferList", "Withdraw")
    venues.keys["by-wd"] = Key(SECRET, bybit=bybit_result(wallet=wallet))
    by = await findings(venues, "bybit", creds("by-wd"))
    assert by["key.withdraw"].level is Level.FAIL
    assert by["key.withdraw"].message == "this API key can withdraw funds: refused"
    assert by["key.transfer"].level is Level.FAIL
    assert venues.seen == READ_ONLY_CALLS["bybit"]


async def test_bybit_ip_unrestricted_key(venues: FakeVenues) -> None:
    venues.keys["by-any-ip"] = Key(SECRET, bybit=bybit_result(ips=("*",)))
    live = await findings(venues, "bybit", creds("by-any-ip"), LIVE)
    assert live["key.ip_whitelist"] == Finding(
        "key.ip_whitelist",
        Level.FAIL,
        "this API key has no IP whitelist, and env 'live' needs one: refused",
        "restrict the key to this host's public IP in the exchange's API key settings",
    )
    testnet = await findings(venues, "bybit", creds("by-any-ip"), TESTNET)
    assert testnet["key.ip_whitelist"].level is Level.WARN


async def test_bybit_old_and_expiring_keys(venues: FakeVenues) -> None:
    venues.keys["by-old"] = Key(SECRET, bybit=bybit_result(created_ms=NOW - 400 * DAY_MS))
    venues.keys["by-expired"] = Key(SECRET, bybit=bybit_result(expired=iso(NOW - DAY_MS)))
    venues.keys["by-expiring"] = Key(SECRET, bybit=bybit_result(expired=iso(NOW + 3 * DAY_MS)))
    old = await findings(venues, "bybit", creds("by-old"))
    assert old["key.age"].level is Level.FAIL
    assert old["key.age"].message == (
        "this key is 400 days old (created 2024-11-27); keys older than 365 days are refused"
    )
    expired = await findings(venues, "bybit", creds("by-expired"))
    assert expired["key.expiry"].level is Level.FAIL
    assert expired["key.expiry"].message == (
        "the key's trading permission expired on 2025-12-31: refused"
    )
    expiring = await findings(venues, "bybit", creds("by-expiring"))
    assert expiring["key.expiry"].level is Level.WARN
    assert "(in 3 days)" in expiring["key.expiry"].message


async def test_bybit_read_only_key_on_a_read_only_profile(venues: FakeVenues) -> None:
    venues.keys["by-ro"] = Key(SECRET, bybit=bybit_result(read_only=1))
    by = await findings(venues, "bybit", creds("by-ro"), AuditPolicy(env="live", mode="read-only"))
    assert by["key.mode"] == Finding("key.mode", Level.PASS, "read-only profile, read-only key")
    trading = await findings(venues, "bybit", creds("by-ro"), LIVE)
    assert trading["key.mode"].level is Level.FAIL


async def test_bybit_refusals_are_told_apart(venues: FakeVenues) -> None:
    venues.keys["by-trade"] = Key(SECRET, bybit=bybit_result())
    venues.keys["by-elsewhere"] = Key(
        SECRET,
        bybit=bybit_result(),
        bybit_error=(10010, "Unmatched IP, please check your API key's bound IP addresses."),
    )
    invalid = await findings(venues, "bybit", creds("nobody"))
    assert list(invalid.values()) == [
        Finding(
            "key.access",
            Level.FAIL,
            "bybit refused the API key: the API key is invalid, or belongs to the other "
            "environment (10003: API key is invalid.)",
            "check the API key and secret, and that the key was made for this environment "
            "(testnet and live keys differ)",
        )
    ]
    wrong_secret = await findings(venues, "bybit", creds("by-trade", secret="not-the-secret"))
    assert wrong_secret["key.access"].level is Level.FAIL
    assert "signature did not match (10004" in wrong_secret["key.access"].message
    ip = await findings(venues, "bybit", creds("by-elsewhere"))
    assert ip["key.access"].level is Level.FAIL
    assert ip["key.access"].message.startswith(
        "bybit refused the API key: this host's IP is not on the key's whitelist (10010"
    )
    assert ip["key.access"].fix.startswith("add this host's public IP")
    assert set(venues.seen) == set(READ_ONLY_CALLS["bybit"])


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_unreachable_exchange_leaves_every_check_unverified() -> None:
    for venue in audit_ccxt.VENUES:
        credentials = creds("k", KRAKEN_SECRET, PASSPHRASE if venue == "okx" else None)
        fetched = await audit_ccxt.fetch(venue, credentials, base_url=closed_port_url())
        found = audit_ccxt.key_findings(fetched, LIVE, NOW)
        assert [f.check for f in found] == KEY_CHECKS
        assert {f.level for f in found} == {Level.UNVERIFIED}, venue
        assert found[0].message == (
            f"the key's permissions were not checked: {venue} could not be reached "
            "(ExchangeNotAvailable)"
        )


async def test_fetch_report_raises_typed_errors(venues: FakeVenues) -> None:
    with pytest.raises(audit_ccxt.KeyRejected) as rejected:
        await audit_ccxt.fetch_report("bybit", creds("nobody"), base_url=venues.url)
    assert rejected.value.code == 10003
    venues.keys["by-trade"] = Key(SECRET, bybit=bybit_result())
    report = await audit_ccxt.fetch_report("bybit", creds("by-trade"), base_url=venues.url)
    assert report.allowed_ips == (HOST_IP,)
    assert report.can_withdraw is False


# ── OKX ────────────────────────────────────────────────────────────────────────────────────


async def test_okx_trade_only_key(venues: FakeVenues) -> None:
    venues.keys["okx-trade"] = Key(
        SECRET, okx=okx_config(perm="read_only,trade", ip=HOST_IP), passphrase=PASSPHRASE
    )
    by = await findings(venues, "okx", creds("okx-trade", passphrase=PASSPHRASE))
    assert levels(by) == {
        "key.access": "pass",
        "key.withdraw": "pass",
        "key.transfer": "unverified",
        "key.ip_whitelist": "pass",
        "key.scope": "unverified",
        "key.mode": "pass",
        "key.age": "unverified",  # OKX gives no creation time
        "key.expiry": "unverified",
    }
    assert by["key.age"].message == (
        "okx did not report when this key was created (account/config): not checked"
    )
    seen = await findings(
        venues, "okx", creds("okx-trade", passphrase=PASSPHRASE), first_seen_ms=NOW - 200 * DAY_MS
    )
    assert seen["key.age"].level is Level.WARN
    assert seen["key.age"].message.startswith("this key is at least 200 days old (first seen")
    assert venues.seen == READ_ONLY_CALLS["okx"] * 2
    assert all("x-simulated-trading" not in h for h in venues.headers)


async def test_okx_withdraw_enabled_and_unrestricted_key(venues: FakeVenues) -> None:
    venues.keys["okx-wd"] = Key(
        SECRET, okx=okx_config(perm="read_only,withdraw,trade", ip=""), passphrase=PASSPHRASE
    )
    by = await findings(venues, "okx", creds("okx-wd", passphrase=PASSPHRASE))
    assert by["key.withdraw"].level is Level.FAIL
    assert by["key.ip_whitelist"].level is Level.FAIL


async def test_okx_refusals_never_show_the_passphrase(venues: FakeVenues) -> None:
    venues.keys["okx-trade"] = Key(
        SECRET, okx=okx_config(perm="read_only,trade", ip=HOST_IP), passphrase=PASSPHRASE
    )
    invalid = await findings(venues, "okx", creds("nobody", passphrase=PASSPHRASE))
    assert invalid["key.access"].message == (
        "okx refused the API key: the API key is invalid (50111: Invalid OK-ACCESS-KEY)"
    )
    wrong = await findings(venues, "okx", creds("okx-trade", passphrase="Wrong-" + PASSPHRASE))
    assert list(wrong) == ["key.access"]
    assert wrong["key.access"].level is Level.FAIL
    assert wrong["key.access"].message == (
        "okx refused the API key: the API passphrase is wrong "
        "(50105: OK-ACCESS-PASSPHRASE incorrect)"
    )
    bad_sign = await findings(venues, "okx", creds("okx-trade", "other", PASSPHRASE))
    assert "signature did not match (50113" in bad_sign["key.access"].message
    missing = await findings(venues, "okx", creds("okx-trade"))
    assert missing["key.access"] == Finding(
        "key.access",
        Level.FAIL,
        "okx needs the key's API passphrase",
        'add passphrase = "OKX_PASSPHRASE" to the profile\'s credentials',
    )
    assert set(venues.seen) == set(READ_ONLY_CALLS["okx"])
    assert len(venues.seen) == 3  # the missing passphrase sent nothing


async def test_okx_demo_sends_the_simulated_trading_header(venues: FakeVenues) -> None:
    venues.keys["okx-trade"] = Key(
        SECRET, okx=okx_config(perm="read_only,trade", ip=HOST_IP), passphrase=PASSPHRASE
    )
    credentials = creds("okx-trade", passphrase=PASSPHRASE)
    report = await audit_ccxt.fetch_report("okx", credentials, base_url=venues.url, sandbox=True)
    assert report.can_trade_spot is True
    assert venues.headers[-1].get("x-simulated-trading") == "1"


# ── Kraken ─────────────────────────────────────────────────────────────────────────────────


def kraken_key(*allowed: str) -> Key:
    return Key(KRAKEN_SECRET, kraken_allowed=frozenset(allowed))


async def test_kraken_trade_only_key(venues: FakeVenues) -> None:
    venues.keys["kr-trade"] = kraken_key("Balance", "OpenOrders")
    by = await findings(venues, "kraken", creds("kr-trade", KRAKEN_SECRET))
    assert levels(by) == {
        "key.access": "pass",
        "key.withdraw": "pass",  # WithdrawMethods refused while Balance was allowed
        "key.transfer": "pass",
        "key.ip_whitelist": "unverified",
        "key.scope": "unverified",
        "key.mode": "unverified",  # no order call is made, so the trading right is not known
        "key.age": "unverified",
        "key.expiry": "unverified",
    }
    assert venues.seen == READ_ONLY_CALLS["kraken"]


async def test_kraken_withdraw_enabled_key_is_refused(venues: FakeVenues) -> None:
    venues.keys["kr-wd"] = kraken_key("Balance", "OpenOrders", "WithdrawMethods")
    by = await findings(venues, "kraken", creds("kr-wd", KRAKEN_SECRET))
    assert by["key.withdraw"].level is Level.FAIL
    assert by["key.transfer"].level is Level.FAIL
    assert venues.seen == READ_ONLY_CALLS["kraken"]


async def test_kraken_denial_without_funds_query_says_nothing_of_withdraw(
    venues: FakeVenues,
) -> None:
    venues.keys["kr-orders"] = kraken_key("OpenOrders")
    by = await findings(venues, "kraken", creds("kr-orders", KRAKEN_SECRET))
    assert by["key.access"].level is Level.PASS
    assert by["key.withdraw"].level is Level.UNVERIFIED
    venues.keys["kr-none"] = kraken_key()
    none = await findings(venues, "kraken", creds("kr-none", KRAKEN_SECRET))
    assert none["key.access"].message == (
        "kraken knows the key but refused it Balance and OpenOrders"
    )
    assert none["key.mode"].level is Level.FAIL  # cannot read the account


async def test_kraken_bad_key_and_bad_secret(venues: FakeVenues) -> None:
    invalid = await findings(venues, "kraken", creds("nobody", KRAKEN_SECRET))
    assert list(invalid.values()) == [
        Finding(
            "key.access",
            Level.FAIL,
            "kraken refused the API key: the API key is invalid (EAPI:Invalid key)",
            "check the API key and secret, and that the key was made for this environment "
            "(testnet and live keys differ)",
        )
    ]
    assert venues.seen == ["POST /0/private/Balance"]  # stopped at the first refusal
    venues.keys["kr-trade"] = kraken_key("Balance", "OpenOrders")
    other = base64.b64encode(b"x" * 64).decode()
    wrong = await findings(venues, "kraken", creds("kr-trade", other))
    assert "signature did not match (EAPI:Invalid signature)" in wrong["key.access"].message
    not_base64 = await findings(venues, "kraken", creds("kr-trade", "not base64 at all!"))
    assert not_base64["key.access"] == Finding(
        "key.access",
        Level.FAIL,
        "the kraken secret could not be used to sign",
        "copy the secret again from the exchange's API key page",
    )


async def test_kraken_has_no_testnet() -> None:
    fetched = await audit_ccxt.fetch("kraken", creds("k", KRAKEN_SECRET), sandbox=True)
    assert fetched.access.level is Level.UNVERIFIED
    assert "kraken has no spot testnet" in fetched.access.message


# ── nothing else is called, nothing secret is logged ───────────────────────────────────────


async def test_only_read_only_calls_and_no_secret_in_logs(
    venues: FakeVenues, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    venues.keys["by"] = Key(SECRET, bybit=bybit_result(wallet=("Withdraw",)))
    venues.keys["okx"] = Key(
        SECRET, okx=okx_config(perm="read_only,withdraw,trade", ip=""), passphrase=PASSPHRASE
    )
    venues.keys["kr"] = kraken_key("Balance", "OpenOrders", "WithdrawMethods")
    await findings(venues, "bybit", creds("by"))
    await findings(venues, "okx", creds("okx", passphrase=PASSPHRASE))
    await findings(venues, "kraken", creds("kr", KRAKEN_SECRET))
    assert venues.seen == [c for v in ("bybit", "okx", "kraken") for c in READ_ONLY_CALLS[v]]
    for call in venues.seen:  # nothing that places, cancels, withdraws or transfers
        path = call.split(" ", 1)[1].removesuffix("/WithdrawMethods").lower()
        for word in ("addorder", "cancel", "/order", "/trade/", "withdraw", "transfer"):
            assert word not in path, call
    logged = caplog.text
    for secret in (SECRET, PASSPHRASE, KRAKEN_SECRET):
        assert secret not in logged


# ── doctor on a Bybit profile ──────────────────────────────────────────────────────────────


def bybit_profile(profile: FakeProfile, url: str) -> FakeProfile:
    spec = CredentialsSpec("bybit-test", "env", api_key="BYBIT_API_KEY", secret="BYBIT_API_SECRET")
    return dataclasses.replace(
        profile, name="bybit-test", venue="bybit", env="testnet", base_url=url, credentials=spec
    )


def bybit_options(options: DoctorOptions, api_key: str) -> DoctorOptions:
    env = {"BYBIT_API_KEY": api_key, "BYBIT_API_SECRET": SECRET}
    return dataclasses.replace(options, env=env, clock=FakeClock(NOW))


async def test_doctor_on_a_bybit_profile(
    venues: FakeVenues, profile: FakeProfile, options: DoctorOptions
) -> None:
    venues.keys["by-doctor-key"] = Key(SECRET, bybit=bybit_result())
    checks = await run_checks(
        bybit_profile(profile, venues.url), bybit_options(options, "by-doctor-key")
    )
    by = {c.name: c for c in checks}
    assert [c.name for c in checks] == [
        "profile",
        "venue",
        "stage",
        "credentials",
        "clock.exchange",
        *KEY_CHECKS,
        "clock.ntp",
        "rate_limits",
        "journal",
        "kill_switch",
    ]
    assert by["key.access"] == Check(
        "key.access", Level.PASS, "bybit accepted the key (GET /v5/user/query-api)"
    )
    # the key is audited, and the venue passes: `connect` trades Bybit through ccxt; this
    # fake serves only the key endpoints, so the exchange's clock (asked first) is a failure
    assert [c.name for c in checks if c.level is not Level.PASS] == [
        "clock.exchange",
        "key.scope",
        "clock.ntp",
    ]
    assert by["venue"].level is Level.PASS
    assert venues.seen[0] == "GET /v5/market/time"
    assert [s for s in venues.seen if s != "GET /v5/market/time"] == READ_ONLY_CALLS["bybit"]
    text = repr(checks)
    assert SECRET not in text


async def test_doctor_refuses_a_withdraw_enabled_bybit_key(
    venues: FakeVenues, profile: FakeProfile, options: DoctorOptions
) -> None:
    venues.keys["by-doctor-wd"] = Key(SECRET, bybit=bybit_result(wallet=("Withdraw",)))
    checks = await run_checks(
        bybit_profile(profile, venues.url), bybit_options(options, "by-doctor-wd")
    )
    by = {c.name: c for c in checks}
    assert by["key.withdraw"].level is Level.FAIL
    assert worst(checks) is Level.FAIL


async def test_check_key_runs_the_ccxt_audit_for_bybit(
    venues: FakeVenues, profile: FakeProfile, options: DoctorOptions
) -> None:
    venues.keys["by-rotate"] = Key(SECRET, bybit=bybit_result(ips=("*",)))
    facts = await check_key(
        bybit_profile(profile, venues.url),
        creds("by-rotate"),
        bybit_options(options, "by-rotate"),
    )
    assert facts.report is not None and facts.report.ip_restricted is False
    by = {c.name: c for c in facts.checks}
    assert by["key.ip_whitelist"].level is Level.WARN  # testnet: allowed, with a warning
    assert [f.check for f in facts.findings] == KEY_CHECKS[1:]


async def test_doctor_without_ccxt_says_how_to_install_it(
    venues: FakeVenues,
    profile: FakeProfile,
    options: DoctorOptions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "ccxt.async_support", None)
    monkeypatch.setitem(sys.modules, "ccxt.pro", None)
    checks = await run_checks(bybit_profile(profile, venues.url), bybit_options(options, "by-any"))
    by = {c.name: c for c in checks}
    assert by["clock.exchange"] == Check(
        "clock.exchange",
        Level.UNVERIFIED,
        "not asked: venue 'bybit' trades through ccxt, which is not installed",
        'pip install "tradeguard[ccxt]"',
    )
    assert by["key.access"] == Check(
        "key.access",
        Level.UNVERIFIED,
        "bybit keys are checked through ccxt, which is not installed",
        "pip install 'tradeguard[ccxt]'",
    )
    assert by["key.withdraw"].level is Level.UNVERIFIED
    assert venues.seen == []


def test_state_stays_in_tmp(tmp_path: Path, options: DoctorOptions) -> None:
    assert options.state_root().is_relative_to(tmp_path)
