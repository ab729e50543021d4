"""The pure audit: each policy rule on its own, with the exact message a user reads."""

from __future__ import annotations

import dataclasses

import pytest

from tradeguard.errors import ConfigError, KeyAuditFailed
from tradeguard.keys.audit import (
    DAY_MS,
    AuditPolicy,
    Finding,
    KeyReport,
    Level,
    audit,
    enforce,
    unknown_report,
)

from .conftest import KEY_CHECKS

NOW = 1_767_225_600_000  # 2026-01-01

TRADE_ONLY = KeyReport(
    venue="binance",
    can_read=True,
    can_trade_spot=True,
    can_withdraw=False,
    can_transfer=False,
    margin=False,
    futures=False,
    options=False,
    ip_restricted=True,
    created_ms=NOW - 7 * DAY_MS,
    reports_expiry=True,
    source="apiRestrictions",
)


def by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


def test_trade_only_passes_everything_on_live() -> None:
    findings = audit(TRADE_ONLY, AuditPolicy(env="live"), NOW)
    assert [f.level for f in findings] == [Level.PASS] * 7
    assert [f.check for f in findings] == KEY_CHECKS[1:]  # key.access is the venue's call
    enforce(findings)  # no exception


def test_withdraw_is_refused_on_every_rung() -> None:
    report = dataclasses.replace(TRADE_ONLY, can_withdraw=True)
    for env in ("sim", "testnet", "live-small", "live"):
        f = by_check(audit(report, AuditPolicy(env=env), NOW))["key.withdraw"]
        assert f.level is Level.FAIL
        assert f.message == "this API key can withdraw funds: refused"
    with pytest.raises(KeyAuditFailed) as caught:
        enforce(audit(report, AuditPolicy(env="sim"), NOW))
    assert caught.value.findings[0].startswith("this API key can withdraw funds: refused; create")


@pytest.mark.parametrize("flag", ["can_transfer"])
def test_transfer_is_refused(flag: str) -> None:
    report = dataclasses.replace(TRADE_ONLY, **{flag: True})
    f = by_check(audit(report, AuditPolicy(), NOW))["key.transfer"]
    assert (f.level, f.message) == (
        Level.FAIL,
        "this API key can transfer funds between accounts: refused",
    )


def test_no_ip_restriction_fails_live_and_warns_below() -> None:
    report = dataclasses.replace(TRADE_ONLY, ip_restricted=False)
    for env in ("live-small", "live"):
        f = by_check(audit(report, AuditPolicy(env=env), NOW))["key.ip_whitelist"]
        assert f.level is Level.FAIL
        assert f.message == (
            f"this API key has no IP whitelist, and env '{env}' needs one: refused"
        )
    for env in ("sim", "testnet"):
        f = by_check(audit(report, AuditPolicy(env=env), NOW))["key.ip_whitelist"]
        assert f.level is Level.WARN
        assert f.message == (
            f"this API key has no IP whitelist (allowed on {env}; live rungs refuse it)"
        )


def test_egress_ip_outside_the_listed_whitelist_fails() -> None:
    report = dataclasses.replace(TRADE_ONLY, allowed_ips=("10.0.0.0/24",), authenticated=False)
    f = by_check(audit(report, AuditPolicy(env="live"), NOW, egress_ip="192.0.2.7"))
    assert f["key.ip_whitelist"].level is Level.FAIL
    assert f["key.ip_whitelist"].message == (
        "this host's IP 192.0.2.7 is not on the key's whitelist: 10.0.0.0/24"
    )
    ok = by_check(audit(report, AuditPolicy(env="live"), NOW, egress_ip="10.0.0.9"))
    assert ok["key.ip_whitelist"].level is Level.PASS


def test_wider_permissions_are_flagged() -> None:
    report = dataclasses.replace(TRADE_ONLY, margin=True, futures=True)
    f = by_check(audit(report, AuditPolicy(), NOW))["key.scope"]
    assert f.level is Level.WARN
    assert f.message == ("this key also allows margin, futures, which a spot profile does not need")


def test_read_only_profile_with_trading_key_is_flagged() -> None:
    f = by_check(audit(TRADE_ONLY, AuditPolicy(mode="read-only"), NOW))["key.mode"]
    assert f.level is Level.WARN
    assert f.message == (
        "the profile is read-only but this key can trade: tradeguard refuses every order on "
        "this profile"
    )


def test_trading_profile_with_key_that_cannot_trade_is_refused() -> None:
    report = dataclasses.replace(TRADE_ONLY, can_trade_spot=False)
    f = by_check(audit(report, AuditPolicy(mode="trade"), NOW))["key.mode"]
    assert (f.level, f.message) == (
        Level.FAIL,
        "the profile trades but this key cannot trade spot: refused",
    )
    ro = by_check(audit(report, AuditPolicy(mode="read-only"), NOW))["key.mode"]
    assert ro.level is Level.PASS


@pytest.mark.parametrize(
    ("age_days", "level", "message"),
    [
        (179, Level.PASS, "the key is 179 days old (created 2025-07-06)"),
        (
            180,
            Level.WARN,
            "this key is 180 days old (created 2025-07-05); rotate it before 365 days",
        ),
        (
            420,
            Level.FAIL,
            "this key is 420 days old (created 2024-11-07); keys older than 365 days are refused",
        ),
    ],
)
def test_key_age(age_days: int, level: Level, message: str) -> None:
    report = dataclasses.replace(TRADE_ONLY, created_ms=NOW - age_days * DAY_MS)
    f = by_check(audit(report, AuditPolicy(), NOW))["key.age"]
    assert (f.level, f.message) == (level, message)


def test_key_age_limits_are_configurable() -> None:
    report = dataclasses.replace(TRADE_ONLY, created_ms=NOW - 40 * DAY_MS)
    policy = AuditPolicy(key_age_warn_days=30, key_age_refuse_days=90)
    assert by_check(audit(report, policy, NOW))["key.age"].level is Level.WARN
    with pytest.raises(ConfigError):
        AuditPolicy(key_age_warn_days=400, key_age_refuse_days=365)


def test_key_age_from_the_local_first_seen_record() -> None:
    report = dataclasses.replace(TRADE_ONLY, created_ms=None)
    f = by_check(audit(report, AuditPolicy(), NOW, first_seen_ms=NOW - 200 * DAY_MS))["key.age"]
    assert f.level is Level.WARN
    assert f.message == (
        "this key is at least 200 days old (first seen on this host 2025-06-15); "
        "rotate it before 365 days"
    )
    unknown = by_check(audit(report, AuditPolicy(), NOW))["key.age"]
    assert unknown.level is Level.UNVERIFIED


def test_permission_expiry_is_warned_ahead_and_refused_after() -> None:
    soon = dataclasses.replace(TRADE_ONLY, trading_expiry_ms=NOW + 3 * DAY_MS)
    f = by_check(audit(soon, AuditPolicy(), NOW))["key.expiry"]
    assert (f.level, f.message) == (
        Level.WARN,
        "the key's trading permission expires on 2026-01-04 (in 3 days)",
    )
    later = dataclasses.replace(TRADE_ONLY, trading_expiry_ms=NOW + 30 * DAY_MS)
    assert by_check(audit(later, AuditPolicy(), NOW))["key.expiry"].level is Level.PASS
    gone = dataclasses.replace(TRADE_ONLY, trading_expiry_ms=NOW - 1)
    f = by_check(audit(gone, AuditPolicy(), NOW))["key.expiry"]
    assert (f.level, f.message) == (
        Level.FAIL,
        "the key's trading permission expired on 2025-12-31: refused",
    )


def test_nothing_reported_is_unverified_never_pass() -> None:
    findings = audit(
        unknown_report("binance", "testnet: no /sapi"), AuditPolicy(env="testnet"), NOW
    )
    assert {f.level for f in findings} == {Level.UNVERIFIED}
    assert by_check(findings)["key.withdraw"].message == (
        "binance did not report whether this key can withdraw (testnet: no /sapi): not checked"
    )
    enforce(findings)  # unverified is not a refusal


def test_messages_name_no_secret_or_key() -> None:
    for f in audit(dataclasses.replace(TRADE_ONLY, can_withdraw=True), AuditPolicy(), NOW):
        assert "secret" not in f.message.lower()
