"""Each venue's documented key-information reply, read into a KeyReport (exchange-wire.md)."""

from __future__ import annotations

import msgspec
import pytest

from tradeguard.keys.audit import AuditPolicy, Level, audit
from tradeguard.keys.venue_reports import (
    KrakenProbe,
    ProbeOutcome,
    UnreadableReport,
    binance_report,
    bybit_report,
    kraken_outcome,
    kraken_report,
    okx_report,
)
from tradeguard.venues.binance.parse import ApiRestrictions

NOW = 1_767_225_600_000

BINANCE = b"""{"ipRestrict":false,"createTime":1698645219000,"enableReading":true,
"enableWithdrawals":false,"enableInternalTransfer":true,"enableMargin":false,
"enableFutures":false,"permitsUniversalTransfer":false,"enableVanillaOptions":false,
"enableFixApiTrade":false,"enableFixReadOnly":false,"enableSpotAndMarginTrading":true,
"enablePortfolioMarginTrading":false}"""

BYBIT = {
    "retCode": 0,
    "retMsg": "",
    "result": {
        "id": "13770661",
        "note": "bot",
        "apiKey": "XXXXXXXXXXXXXXXXXX",
        "readOnly": 0,
        "secret": "",
        "permissions": {
            "ContractTrade": [],
            "Spot": ["SpotTrade"],
            "Wallet": ["AccountTransfer", "SubMemberTransfer", "SubMemberTransferList", "Withdraw"],
            "Options": [],
            "Derivatives": [],
            "Exchange": [],
            "Earn": [],
            "CopyTrading": [],
            "BlockTrade": [],
            "NFT": [],
            "Affiliate": [],
        },
        "ips": ["*"],
        "type": 1,
        "deadlineDay": 66,
        "expiredAt": "2026-03-08T08:16:20Z",
        "createdAt": "2025-12-08T08:16:20Z",
        "uta": 1,
        "userID": 24600000,
        "isMaster": True,
        "parentUid": "0",
    },
    "retExtInfo": {},
    "time": 1767225600000,
}

OKX = {
    "code": "0",
    "msg": "",
    "data": [
        {
            "uid": "44705892343619584",
            "mainUid": "44705892343619584",
            "label": "bot",
            "type": "0",
            "kycLv": "3",
            "ip": "203.0.113.5,203.0.113.6",
            "perm": "read_only,trade",
        }
    ],
}


def test_binance_api_restrictions() -> None:
    r = binance_report(msgspec.json.decode(BINANCE, type=ApiRestrictions))
    assert (r.can_read, r.can_trade_spot, r.can_withdraw, r.can_transfer) == (
        True,
        True,
        False,
        True,
    )
    assert (r.ip_restricted, r.created_ms, r.trading_expiry_ms) == (False, 1698645219000, None)
    findings = {f.check: f.level for f in audit(r, AuditPolicy(env="live"), NOW)}
    assert findings["key.transfer"] is Level.FAIL
    assert findings["key.ip_whitelist"] is Level.FAIL
    assert findings["key.age"] is Level.FAIL  # created 2023-10-30
    assert findings["key.expiry"] is Level.PASS


def test_bybit_query_api() -> None:
    r = bybit_report(BYBIT)
    assert r.venue == "bybit"
    assert (r.can_trade_spot, r.can_withdraw, r.can_transfer) == (True, True, True)
    assert (r.futures, r.options, r.margin) == (False, False, None)
    assert (r.ip_restricted, r.allowed_ips) == (False, None)  # "*" is no restriction
    assert r.created_ms == 1765181780000
    assert r.trading_expiry_ms == 1772957780000
    levels = {f.check: f.level for f in audit(r, AuditPolicy(env="live"), NOW)}
    assert levels["key.withdraw"] is Level.FAIL
    assert levels["key.scope"] is Level.UNVERIFIED  # margin is not a key right on Bybit


def test_bybit_ip_list_and_read_only() -> None:
    body = {**BYBIT, "result": {**BYBIT["result"], "ips": ["203.0.113.5"], "readOnly": 1}}  # type: ignore[dict-item]
    r = bybit_report(body)
    assert (r.ip_restricted, r.allowed_ips, r.can_trade_spot) == (True, ("203.0.113.5",), False)


def test_bybit_error_envelope_is_unreadable() -> None:
    with pytest.raises(UnreadableReport, match="retCode 10003"):
        bybit_report({"retCode": 10003, "retMsg": "API key is invalid."})


def test_okx_account_config() -> None:
    r = okx_report(OKX)
    assert (r.can_trade_spot, r.can_withdraw, r.can_transfer) == (True, False, None)
    assert r.allowed_ips == ("203.0.113.5", "203.0.113.6")
    findings = {f.check: f for f in audit(r, AuditPolicy(env="live"), NOW, egress_ip="203.0.113.6")}
    assert findings["key.ip_whitelist"].level is Level.PASS
    assert findings["key.transfer"].level is Level.UNVERIFIED
    assert findings["key.age"].level is Level.UNVERIFIED  # OKX gives no creation time
    assert findings["key.expiry"].level is Level.UNVERIFIED


def test_okx_no_ip_and_withdraw() -> None:
    body = {"code": "0", "data": [{"ip": "", "perm": "read_only,withdraw,trade"}]}
    r = okx_report(body)
    assert (r.ip_restricted, r.can_withdraw) == (False, True)


def test_kraken_probe() -> None:
    probe = KrakenProbe(
        balance=kraken_outcome([]),
        withdraw_methods=kraken_outcome(["EGeneral:Permission denied"]),
        add_order_validate=ProbeOutcome.OK,
    )
    r = kraken_report(probe)
    assert (r.can_read, r.can_trade_spot, r.can_withdraw, r.can_transfer) == (
        True,
        True,
        False,
        False,
    )
    levels = {f.check: f.level for f in audit(r, AuditPolicy(env="live"), NOW)}
    assert levels["key.withdraw"] is Level.PASS
    assert levels["key.ip_whitelist"] is Level.UNVERIFIED  # Kraken does not report it
    assert levels["key.age"] is Level.UNVERIFIED


def test_kraken_failed_probe_says_nothing() -> None:
    r = kraken_report(KrakenProbe(withdraw_methods=kraken_outcome(["EAPI:Rate limit exceeded"])))
    assert r.can_withdraw is None
    assert not r.authenticated
