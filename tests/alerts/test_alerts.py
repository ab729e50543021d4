"""The pure side: which events are alerts, what they say, and the gate. Time is an argument."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from tradeguard.alerts.policy import (
    Alert,
    AlertGate,
    AlertKind,
    AlertPolicy,
    AlertTracker,
    Severity,
    alerts_for,
    may_alert,
)
from tradeguard.alerts.send import (
    is_telegram,
    redact_url,
    scrub,
    telegram_target,
    url_secrets,
    webhook_body,
)
from tradeguard.events import (
    AlertRaised,
    ClockSynced,
    ErrorRaised,
    KillSwitchReset,
    KillSwitchSet,
    OrderUpdated,
    RateLimitChanged,
    ReconciliationFound,
    StreamConnected,
    StreamGapLost,
)
from tradeguard.model import OrderStatus

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
S = 1000
P = "default"


def alert(key: str = "k", severity: Severity = Severity.WARNING, at: int = T0) -> Alert:
    return Alert(AlertKind.STREAM_LOST, severity, "lost", P, at, key=key)


# ── event → alert ────────────────────────────────────────────────────────────────────────────


def test_ban_pause_breaker_kill_switch_map_to_alerts() -> None:
    tracker = AlertTracker()
    ban = RateLimitChanged(at_ms=T0, profile=P, limit="ban", until_ms=T0 + 120 * S, code=418)
    (a,) = alerts_for(ban, tracker, T0)
    assert (a.kind, a.severity) == (AlertKind.BAN, Severity.CRITICAL)
    assert "418" in a.message and "2026-01-01T00:02:00Z" in a.message

    pause = RateLimitChanged(at_ms=T0, profile=P, limit="pause", until_ms=T0 + 30 * S, code=429)
    (a,) = alerts_for(pause, tracker, T0)
    assert (a.kind, a.severity) == (AlertKind.RATE_LIMIT_PAUSE, Severity.WARNING)

    breaker = RateLimitChanged(
        at_ms=T0, profile=P, limit="breaker", until_ms=T0 + 60 * S, reason="-2010 insufficient"
    )
    (a,) = alerts_for(breaker, tracker, T0)
    assert a.kind is AlertKind.BREAKER and "-2010 insufficient" in a.message

    kill = KillSwitchSet(at_ms=T0, profile=P, reason="daily loss 51 > 50")
    (a,) = alerts_for(kill, tracker, T0)
    assert (a.kind, a.severity) == (AlertKind.KILL_SWITCH, Severity.CRITICAL)
    assert "daily loss 51 > 50" in a.message and "--reset" in a.message

    (a,) = alerts_for(KillSwitchReset(at_ms=T0, profile=P), tracker, T0)
    assert a.severity is Severity.INFO


def test_lifted_ban_is_info_lifted_pause_is_nothing() -> None:
    tracker = AlertTracker()
    (a,) = alerts_for(
        RateLimitChanged(at_ms=T0, profile=P, limit="ban", until_ms=None), tracker, T0
    )
    assert (a.kind, a.severity, a.dedup_key) == (AlertKind.BAN, Severity.INFO, "ban:lifted")
    lifted = RateLimitChanged(at_ms=T0, profile=P, limit="pause", until_ms=None)
    assert alerts_for(lifted, tracker, T0) == []


def test_stream_lost_only_when_no_reconnect_within_the_bound() -> None:
    tracker = AlertTracker(stream_lost_after_s=60)
    lost = StreamGapLost(at_ms=T0, profile=P, stream="user", since_ms=T0)
    assert alerts_for(lost, tracker, T0) == []
    assert tracker.tick(T0 + 59 * S) == []
    # reconnected within the bound: never an alert, and nothing later either
    assert (
        alerts_for(StreamConnected(at_ms=T0, profile=P, stream="user"), tracker, T0 + 59 * S) == []
    )
    assert tracker.tick(T0 + 600 * S) == []

    alerts_for(StreamGapLost(at_ms=T0, profile=P, stream="user", since_ms=T0), tracker, T0)
    (a,) = tracker.tick(T0 + 60 * S)
    assert a.kind is AlertKind.STREAM_LOST and a.severity is Severity.CRITICAL
    assert "user" in a.message and "60 s" in a.message
    assert tracker.tick(T0 + 120 * S) == []  # once per loss
    back = StreamConnected(at_ms=T0 + 300 * S, profile=P, stream="user")
    (b,) = alerts_for(back, tracker, T0 + 300 * S)
    assert b.severity is Severity.INFO and "back after 5 min" in b.message


def test_stream_lost_found_by_the_next_event_too() -> None:
    tracker = AlertTracker(stream_lost_after_s=60)
    lost = StreamGapLost(at_ms=T0, profile=P, stream="trades:BTCUSDT", since_ms=T0)
    alerts_for(lost, tracker, T0)
    other = ClockSynced(at_ms=T0 + 61 * S, profile=P, offset_ms=3, rtt_ms=1.0)
    (a,) = alerts_for(other, tracker, T0 + 61 * S)
    assert a.severity is Severity.WARNING and a.dedup_key == "stream_lost:trades:BTCUSDT"


def test_a_lost_streams_alert_says_why_it_was_lost() -> None:
    # a refused FIX drop copy says which host and key to fix: the alert carries it
    tracker = AlertTracker(stream_lost_after_s=60)
    why = "drop copy refused (-1184): fix_drop_copy_url names an order-entry host"
    lost = StreamGapLost(at_ms=T0, profile=P, stream="fix_drop_copy", since_ms=T0, reason=why)
    alerts_for(lost, tracker, T0)
    (a,) = tracker.tick(T0 + 61 * S)
    assert why in a.message and "no reconnect yet" in a.message


def test_a_second_gap_report_keeps_the_earliest_start() -> None:
    tracker = AlertTracker(stream_lost_after_s=60)
    alerts_for(StreamGapLost(at_ms=T0, profile=P, stream="user", since_ms=T0), tracker, T0)
    later = StreamGapLost(at_ms=T0 + 50 * S, profile=P, stream="user", since_ms=T0 + 50 * S)
    alerts_for(later, tracker, T0 + 50 * S)
    assert len(tracker.tick(T0 + 60 * S)) == 1


def unknown(cid: str, at: int) -> OrderUpdated:
    return OrderUpdated(
        at_ms=at, profile=P, client_order_id=cid, symbol="BTCUSDT",
        status=OrderStatus.UNKNOWN, source="local",
    )  # fmt: skip


def test_repeated_unknown_outcomes_within_a_window() -> None:
    tracker = AlertTracker(unknown_outcomes=3, unknown_window_s=600)
    assert alerts_for(unknown("a", T0), tracker, T0) == []
    assert alerts_for(unknown("a", T0 + S), tracker, T0 + S) == []  # same order: counted once
    assert alerts_for(unknown("b", T0 + 2 * S), tracker, T0 + 2 * S) == []
    (a,) = alerts_for(unknown("c", T0 + 3 * S), tracker, T0 + 3 * S)
    assert a.kind is AlertKind.UNKNOWN_OUTCOMES and "3 order outcomes" in a.message
    assert "never resent" in a.message
    # spread out beyond the window: no alert
    spread = AlertTracker(unknown_outcomes=3, unknown_window_s=600)
    for i, cid in enumerate("xyz"):
        assert alerts_for(unknown(cid, T0 + i * 601 * S), spread, T0 + i * 601 * S) == []


def test_other_order_states_are_not_alerts() -> None:
    new = OrderUpdated(
        at_ms=T0, profile=P, client_order_id="a", symbol="BTCUSDT",
        status=OrderStatus.NEW, source="stream",
    )  # fmt: skip
    assert alerts_for(new, AlertTracker(), T0) == []


def test_reconciliation_mismatch_is_critical() -> None:
    found = ReconciliationFound(
        at_ms=T0, profile=P, kind="balance_mismatch", detail="BTC differs", asset="BTC",
        expected=Decimal("0.010"), actual=Decimal("0.020"),
    )  # fmt: skip
    (a,) = alerts_for(found, AlertTracker(), T0)
    assert (a.kind, a.severity) == (AlertKind.RECONCILIATION, Severity.CRITICAL)
    assert "journal 0.010, exchange 0.020" in a.message
    missing = ReconciliationFound(
        at_ms=T0, profile=P, kind="missing_order", detail="resolved by query", client_order_id="x"
    )
    (b,) = alerts_for(missing, AlertTracker(), T0)
    assert b.severity is Severity.WARNING


def test_clock_skew_refusal_and_not_other_errors() -> None:
    skew = ErrorRaised(at_ms=T0, profile=P, error="ClockSkewError", message="host 7.0 s behind")
    (a,) = alerts_for(skew, AlertTracker(), T0)
    assert (a.kind, a.severity) == (AlertKind.CLOCK_SKEW, Severity.CRITICAL)
    other = ErrorRaised(at_ms=T0, profile=P, error="OrderRejected", message="-2010")
    assert alerts_for(other, AlertTracker(), T0) == []


def test_an_alert_raised_event_fed_back_is_not_sent_again() -> None:
    raised = AlertRaised(at_ms=T0, profile=P, kind="ban", message="x", severity="critical")
    assert alerts_for(raised, AlertTracker(), T0) == []


def test_to_event_is_the_journal_record() -> None:
    a = Alert(AlertKind.KILL_SWITCH, Severity.CRITICAL, "tripped", P, T0)
    event = a.to_event()
    assert isinstance(event, AlertRaised)
    assert (event.kind, event.severity, event.at_ms) == ("kill_switch", "critical", T0)
    assert event.message == "tradeguard [critical] default: tripped"


# ── the gate ─────────────────────────────────────────────────────────────────────────────────


def test_burst_of_identical_alerts_sends_one_then_reports_the_suppressed() -> None:
    gate = AlertGate()
    sent = [gate.admit(alert(at=T0 + i), T0 + i) for i in range(100)]
    assert sum(a is not None for a in sent) == 1
    assert gate.suppressed == 99
    assert gate.admit(alert(), T0 + 299 * S) is None  # still within the interval
    nxt = gate.admit(alert(), T0 + 300 * S)
    assert nxt is not None and nxt.suppressed == 100
    assert "… and 100 more suppressed (stream_lost 100)" in nxt.text()
    assert gate.suppressed == 0


def test_different_keys_are_not_duplicates() -> None:
    gate = AlertGate()
    assert gate.admit(alert("a"), T0) is not None
    assert gate.admit(alert("b"), T0) is not None


def test_hourly_cap_overall_with_a_reserve_for_critical() -> None:
    gate = AlertGate(AlertPolicy(min_interval_s=300, max_per_hour=10, critical_reserve=2))
    out = [gate.admit(alert(f"k{i}"), T0 + i * S) for i in range(20)]
    assert sum(a is not None for a in out) == 8  # 10 minus the 2 kept for critical alerts
    crit = [gate.admit(alert(f"c{i}", Severity.CRITICAL), T0 + 30 * S) for i in range(5)]
    assert sum(a is not None for a in crit) == 2  # 10 in all, whatever the severity
    first_crit = next(a for a in crit if a is not None)
    assert first_crit.suppressed == 12
    assert gate.admit(alert("late"), T0 + 3599 * S) is None
    assert gate.admit(alert("late"), T0 + 3600 * S) is None  # 9 in the hour: still no room
    after = gate.admit(alert("late"), T0 + 3602 * S)  # k0..k2 left the hour: 7 in it
    assert after is not None and after.suppressed == 5  # c2..c4 and "late" twice


def test_tick_reports_what_was_held_back_once_the_flood_is_over() -> None:
    gate = AlertGate()
    assert gate.tick(T0) is None
    gate.admit(alert(), T0)
    for i in range(12):
        gate.admit(alert(), T0 + i * S)
    assert gate.tick(T0 + 200 * S) is None  # still flooding recently
    summary = gate.tick(T0 + 311 * S)
    assert summary is not None and summary.kind is AlertKind.SUPPRESSED
    assert "… and 12 more suppressed" in summary.text()
    assert gate.tick(T0 + 900 * S) is None


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        AlertPolicy(max_per_hour=2, critical_reserve=2)
    with pytest.raises(ValueError):
        AlertPolicy(min_interval_s=-1)


# ── bodies and URLs ──────────────────────────────────────────────────────────────────────────

SLACK = "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/sEcReTtOkEnXyZ123"
TELEGRAM = "https://api.telegram.org/bot123456:AAHsecretTOKENvalue_xyz/sendMessage?chat_id=-10042"


def test_one_body_for_slack_and_discord_telegram_its_own() -> None:
    a = alert()
    assert webhook_body(a) == {"text": a.text(), "content": a.text(), "username": "tradeguard"}
    assert webhook_body(a, telegram_chat_id="-100") == {
        "chat_id": "-100",
        "text": a.text(),
        "disable_web_page_preview": True,
    }


def test_text_fits_discord() -> None:
    long = Alert(AlertKind.RECONCILIATION, Severity.WARNING, "x" * 5000, P, T0)
    assert len(long.text()) <= 2000


def test_telegram_url_detected_and_chat_id_taken_from_the_query() -> None:
    assert is_telegram(TELEGRAM)
    assert not is_telegram(SLACK)
    assert not is_telegram("https://discord.com/api/webhooks/1/abc")
    url, chat = telegram_target(TELEGRAM, None)
    assert chat == "-10042" and "chat_id" not in url and url.endswith("/sendMessage")
    assert telegram_target(TELEGRAM.split("?")[0], "77") == (TELEGRAM.split("?")[0], "77")


def test_redact_url_keeps_scheme_and_host_only() -> None:
    assert redact_url(SLACK) == "https://hooks.slack.com/…"
    assert redact_url(TELEGRAM) == "https://api.telegram.org/…"
    assert redact_url("not a url") == "<invalid url>"


def test_scrub_removes_every_token_piece() -> None:
    discord = "https://discord.com/api/webhooks/123456789012345678/abcDEF-token_0123456789"
    for url, token in ((SLACK, "sEcReTtOkEnXyZ123"), (TELEGRAM, "AAHsecretTOKENvalue_xyz"),
                       (discord, "abcDEF-token_0123456789")):  # fmt: skip
        said = f"failed POST {url} (path {urlsplit(url).path}; token {token})"
        clean = scrub(said, url_secrets(url))
        assert token not in clean and clean.startswith("failed POST … (path …; token …)")


def test_may_alert_lets_through_every_kind_that_can_raise_one() -> None:
    """The cheap pre-test the session runs on every event agrees with alerts_for: whatever
    raises an alert passes it; fills, clock syncs and ordinary order reports do not."""
    raising = [
        RateLimitChanged(at_ms=T0, profile=P, limit="ban", until_ms=T0 + S, code=418),
        KillSwitchSet(at_ms=T0, profile=P, reason="loss"),
        KillSwitchReset(at_ms=T0, profile=P),
        ReconciliationFound(at_ms=T0, profile=P, kind="balance_mismatch", detail="x"),
        ErrorRaised(at_ms=T0, profile=P, error="ClockSkewError", message="skew"),
        StreamGapLost(at_ms=T0, profile=P, stream="user", since_ms=T0),
        StreamConnected(at_ms=T0, profile=P, stream="user"),
        unknown("a", T0),
    ]
    for event in raising:
        assert may_alert(event), event
    tracker = AlertTracker(unknown_outcomes=1)
    assert any(alerts_for(e, tracker, T0 + 3600 * S) for e in raising)
    quiet = [
        ClockSynced(at_ms=T0, profile=P, offset_ms=1, rtt_ms=1.0),
        OrderUpdated(at_ms=T0, profile=P, client_order_id="b", symbol="BTCUSDT",
                     status=OrderStatus.NEW, source="stream"),
    ]  # fmt: skip
    for event in quiet:
        assert not may_alert(event)
        assert alerts_for(event, AlertTracker(), T0) == []
