"""Alerts for persistent trouble: what is one, what it says, and how many go out. Pure.

An alert tells a person something is wrong *and staying wrong*: a ban (418), a rate-limit pause,
the rejection breaker opening, the kill switch tripping, a stream lost for longer than a bound, a
reconciliation mismatch, repeated unknown order outcomes, trading refused for clock skew.

Three pieces, each fed time as an argument (`now_ms`, local wall ms):

- `AlertTracker` + `alerts_for(event, tracker, now_ms)`: the session feeds every journal event
  through it and gets the alerts that event qualifies for. What needs time to qualify (a stream
  that stays lost, unknown outcomes piling up) is held in the tracker; `tracker.tick(now_ms)`
  reports what became due with no event.
- `AlertGate`: the alerts themselves are rate-limited, so an outage does not flood the user. The
  same key goes out at most once per `min_interval_s`; at most `max_per_hour` go out in any hour
  (the last `critical_reserve` of those only for critical ones). What is held back is counted and
  the next alert that goes out says "… and 12 more suppressed"; `gate.tick(now_ms)` sends that
  count on its own once the flood is over.
- `Alert.text()`: the one message every hook gets (`alerts_send` wraps it for Slack, Discord
  and Telegram webhooks, and hands `Alert.to_json()` to a command).

Flow in the session::

    for alert in alerts_for(event, tracker, now_ms):      # and tracker.tick(now_ms) on a timer
        sent = gate.admit(alert, now_ms)
        if sent is not None:
            journal.append(sent.to_event())               # AlertRaised
            background(sender.send(sent))                 # alerts_send.AlertSender
"""

from __future__ import annotations

import enum
import json
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from tradeguard.events import (
    AlertRaised,
    ErrorRaised,
    EventBase,
    KillSwitchReset,
    KillSwitchSet,
    OrderUpdated,
    RateLimitChanged,
    ReconciliationFound,
    StreamConnected,
    StreamGapLost,
)
from tradeguard.model import OrderStatus

HOUR_MS = 3_600_000
MAX_TEXT = 1_900  # Discord refuses content over 2000 characters; Telegram allows 4096


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


class AlertKind(enum.StrEnum):
    """`AlertRaised.kind` values."""

    BAN = "ban"
    RATE_LIMIT_PAUSE = "rate_limit_pause"
    BREAKER = "breaker"
    KILL_SWITCH = "kill_switch"
    STREAM_LOST = "stream_lost"
    RECONCILIATION = "reconciliation"
    UNKNOWN_OUTCOMES = "unknown_outcomes"
    CLOCK_SKEW = "clock_skew"
    SUPPRESSED = "suppressed"  # the gate's own summary of what it held back


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    severity: Severity
    message: str
    profile: str
    at_ms: int
    key: str = ""  # what de-duplicates: same key within the interval is one alert; "" = kind
    suppressed: int = 0  # alerts held back before this one, set by the gate
    suppressed_kinds: tuple[tuple[str, int], ...] = ()

    @property
    def dedup_key(self) -> str:
        return self.key or self.kind.value

    def text(self) -> str:
        """The message a person reads: one line, then the suppressed count if any."""
        line = f"tradeguard [{self.severity.value}] {self.profile}: {self.message}"
        if self.suppressed:
            by_kind = ", ".join(f"{kind} {n}" for kind, n in self.suppressed_kinds)
            line += f"\n… and {self.suppressed} more suppressed ({by_kind})"
        return line if len(line) <= MAX_TEXT else line[: MAX_TEXT - 1] + "…"

    def to_event(self) -> AlertRaised:
        """The journal record of an alert that went out."""
        return AlertRaised(
            at_ms=self.at_ms,
            profile=self.profile,
            kind=self.kind.value,
            message=self.text(),
            severity=self.severity.value,
        )

    def as_dict(self) -> dict[str, Any]:
        """The JSON a command hook reads on stdin."""
        return {
            "kind": self.kind.value,
            "severity": self.severity.value,
            "profile": self.profile,
            "message": self.message,
            "text": self.text(),
            "at_ms": self.at_ms,
            "at": _iso(self.at_ms),
            "key": self.dedup_key,
            "suppressed": self.suppressed,
        }

    def to_json(self) -> bytes:
        return json.dumps(self.as_dict(), ensure_ascii=False).encode()


# ── event → alert ────────────────────────────────────────────────────────────────────────────


@dataclass(slots=True)
class AlertTracker:
    """What needs time to qualify as an alert. Fed by `alerts_for`; `tick` on a timer."""

    stream_lost_after_s: float = 60.0  # a stream down this long (no StreamConnected) is alerted
    unknown_outcomes: int = 3  # this many orders in UNKNOWN ...
    unknown_window_s: float = 600.0  # ... within this window
    profile: str = ""
    # stream -> (lost since ms, alerted)
    _lost: dict[str, tuple[int, bool]] = field(default_factory=dict)
    _why: dict[str, str] = field(default_factory=dict)  # stream -> why it was lost, if said
    _unknown: deque[tuple[int, str]] = field(default_factory=deque)

    def tick(self, now_ms: int) -> list[Alert]:
        """Streams that have now been lost for longer than the bound (each alerted once)."""
        out: list[Alert] = []
        bound_ms = round(self.stream_lost_after_s * 1000)
        for stream, (since_ms, alerted) in self._lost.items():
            if not alerted and now_ms - since_ms >= bound_ms:
                self._lost[stream] = (since_ms, True)
                out.append(
                    Alert(
                        AlertKind.STREAM_LOST,
                        Severity.WARNING if stream != "user" else Severity.CRITICAL,
                        f"stream {stream} lost for {_span(now_ms - since_ms)} "
                        f"(since {_iso(since_ms)}){_because(self._why.get(stream))}; "
                        "no reconnect yet",
                        self.profile,
                        now_ms,
                        key=f"stream_lost:{stream}",
                    )
                )
        return out

    def stream_lost(self, stream: str, since_ms: int, why: str = "") -> None:
        if why:
            self._why[stream] = why
        held = self._lost.get(stream)
        if held is None or since_ms < held[0]:
            self._lost[stream] = (since_ms, held[1] if held else False)

    def stream_connected(self, stream: str, now_ms: int, profile: str) -> list[Alert]:
        self._why.pop(stream, None)
        held = self._lost.pop(stream, None)
        if held is None or not held[1]:
            return []
        return [
            Alert(
                AlertKind.STREAM_LOST,
                Severity.INFO,
                f"stream {stream} back after {_span(now_ms - held[0])}",
                profile,
                now_ms,
                key=f"stream_back:{stream}",
            )
        ]

    def unknown_outcome(self, client_order_id: str, now_ms: int) -> int:
        """Record an order in UNKNOWN; the number of distinct ones within the window."""
        window_ms = round(self.unknown_window_s * 1000)
        while self._unknown and now_ms - self._unknown[0][0] > window_ms:
            self._unknown.popleft()
        if all(cid != client_order_id for _, cid in self._unknown):
            self._unknown.append((now_ms, client_order_id))
        return len(self._unknown)


# The kinds `_for_event` can raise an alert for (OrderUpdated only in UNKNOWN); the rest
# (fills, replies, balances: nearly every event) can skip it, the tracker ticked by a timer.
_ALERTING = frozenset({ErrorRaised, KillSwitchReset, KillSwitchSet, RateLimitChanged,
                       ReconciliationFound, StreamConnected, StreamGapLost})  # fmt: skip


def may_alert(event: EventBase) -> bool:
    """Whether `event` can raise an alert at all: a cheap test before `alerts_for`."""
    kind = type(event)
    return kind in _ALERTING or (
        kind is OrderUpdated and event.status is OrderStatus.UNKNOWN  # type: ignore[attr-defined]
    )


def alerts_for(event: EventBase, tracker: AlertTracker, now_ms: int) -> list[Alert]:
    """The alerts `event` qualifies for, plus whatever `tracker.tick(now_ms)` finds due.

    Every event may be fed; most give nothing. `AlertRaised` gives nothing: it is this module's
    own output, and feeding it back must not send it again."""
    if not tracker.profile:
        tracker.profile = event.profile
    out = _for_event(event, tracker, now_ms)
    out.extend(tracker.tick(now_ms))
    return out


def _for_event(event: EventBase, tracker: AlertTracker, now_ms: int) -> list[Alert]:
    profile = event.profile
    if isinstance(event, RateLimitChanged):
        return _rate_limit(event, now_ms)
    if isinstance(event, KillSwitchSet):
        return [
            Alert(
                AlertKind.KILL_SWITCH,
                Severity.CRITICAL,
                f"kill switch tripped by {event.by}: {event.reason}; open orders cancelled, "
                "new orders refused until `tradeguard kill --reset`",
                profile,
                now_ms,
            )
        ]
    if isinstance(event, KillSwitchReset):
        return [
            Alert(
                AlertKind.KILL_SWITCH,
                Severity.INFO,
                f"kill switch reset by {event.by}: trading allowed again",
                profile,
                now_ms,
                key="kill_switch:reset",
            )
        ]
    if isinstance(event, StreamGapLost):
        tracker.stream_lost(event.stream, event.since_ms, event.reason)
        return []
    if isinstance(event, StreamConnected):
        return tracker.stream_connected(event.stream, now_ms, profile)
    if isinstance(event, ReconciliationFound):
        mismatch = event.kind.endswith("mismatch")
        detail = event.detail
        if event.expected is not None or event.actual is not None:
            detail += f" (journal {event.expected}, exchange {event.actual})"
        subject = event.asset or event.client_order_id
        return [
            Alert(
                AlertKind.RECONCILIATION,
                Severity.CRITICAL if mismatch else Severity.WARNING,
                f"reconciliation: {event.kind}{f' {subject}' if subject else ''}: {detail}",
                profile,
                now_ms,
                key=f"reconciliation:{event.kind}",
            )
        ]
    if isinstance(event, OrderUpdated) and event.status is OrderStatus.UNKNOWN:
        n = tracker.unknown_outcome(event.client_order_id, now_ms)
        if n < tracker.unknown_outcomes:
            return []
        return [
            Alert(
                AlertKind.UNKNOWN_OUTCOMES,
                Severity.WARNING,
                f"{n} order outcomes unknown within {_span(round(tracker.unknown_window_s * 1000))}"
                f" (latest {event.client_order_id} on {event.symbol}); being resolved by query, "
                "never resent",
                profile,
                now_ms,
            )
        ]
    if isinstance(event, ErrorRaised) and event.error == "ClockSkewError":
        return [
            Alert(
                AlertKind.CLOCK_SKEW,
                Severity.CRITICAL,
                f"trading refused for clock skew: {event.message}",
                profile,
                now_ms,
            )
        ]
    return []


def _rate_limit(event: RateLimitChanged, now_ms: int) -> list[Alert]:
    reason = f": {event.reason}" if event.reason else ""
    code = f" ({event.code})" if event.code is not None else ""
    if event.until_ms is None:
        if event.limit != "ban":
            return []
        return [
            Alert(
                AlertKind.BAN, Severity.INFO, "ban lifted", event.profile, now_ms, key="ban:lifted"
            )
        ]
    until = f"until {_iso(event.until_ms)} ({_span(event.until_ms - now_ms)})"
    if event.limit == "ban":
        kind, severity = AlertKind.BAN, Severity.CRITICAL
        what = f"banned by the exchange{code or ' (418)'} {until}; no request leaves"
    elif event.limit == "pause":
        kind, severity = AlertKind.RATE_LIMIT_PAUSE, Severity.WARNING
        what = f"rate limited{code or ' (429)'}: requests paused {until}"
    else:
        kind, severity = AlertKind.BREAKER, Severity.WARNING
        what = f"rejection breaker opened{code} {until}"
    return [Alert(kind, severity, what + reason, event.profile, now_ms)]


# ── the gate ─────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    min_interval_s: float = 300.0  # the same key at most once in this long
    max_per_hour: int = 10  # all alerts together, in any 60 minutes
    critical_reserve: int = 2  # of those, the last ones only for critical alerts

    def __post_init__(self) -> None:
        if self.max_per_hour < 1 or not 0 <= self.critical_reserve < self.max_per_hour:
            raise ValueError("alerts: need max_per_hour >= 1 and 0 <= critical_reserve < it")
        if self.min_interval_s < 0:
            raise ValueError("alerts: min_interval_s must not be negative")


@dataclass(slots=True)
class AlertGate:
    """Decides which alerts go out. `admit` returns the alert to send (carrying the count of
    those held back since the last one that went out) or None."""

    policy: AlertPolicy = field(default_factory=AlertPolicy)
    _last_by_key: dict[str, int] = field(default_factory=dict)
    _sent: deque[int] = field(default_factory=deque)
    _held: dict[str, int] = field(default_factory=dict)  # kind -> count since the last sent
    _last_held_ms: int = 0
    _profile: str = ""

    @property
    def suppressed(self) -> int:
        """Alerts held back since the last one that went out."""
        return sum(self._held.values())

    def admit(self, alert: Alert, now_ms: int) -> Alert | None:
        self._profile = self._profile or alert.profile
        self._expire(now_ms)
        key = alert.dedup_key
        last = self._last_by_key.get(key)
        duplicate = last is not None and now_ms - last < self.policy.min_interval_s * 1000
        if duplicate or not self._room(alert.severity):
            self._held[alert.kind.value] = self._held.get(alert.kind.value, 0) + 1
            self._last_held_ms = now_ms
            return None
        self._last_by_key[key] = now_ms
        return self._release(alert, now_ms)

    def tick(self, now_ms: int) -> Alert | None:
        """After a flood: the count of what was held back, once nothing has been held back for
        `min_interval_s` and there is room in the hour. None otherwise."""
        self._expire(now_ms)
        if not self._held or now_ms - self._last_held_ms < self.policy.min_interval_s * 1000:
            return None
        if not self._room(Severity.INFO):
            return None
        summary = Alert(
            AlertKind.SUPPRESSED,
            Severity.INFO,
            "alerts were held back to avoid a flood; see the journal for the events",
            self._profile,
            now_ms,
        )
        return self._release(summary, now_ms)

    def _room(self, severity: Severity) -> bool:
        cap = self.policy.max_per_hour
        if severity is not Severity.CRITICAL:
            cap -= self.policy.critical_reserve
        return len(self._sent) < cap

    def _release(self, alert: Alert, now_ms: int) -> Alert:
        self._sent.append(now_ms)
        if self._held:
            held = tuple(sorted(self._held.items(), key=lambda kv: (-kv[1], kv[0])))
            alert = replace(alert, suppressed=sum(self._held.values()), suppressed_kinds=held)
            self._held = {}
        return alert

    def _expire(self, now_ms: int) -> None:
        while self._sent and now_ms - self._sent[0] >= HOUR_MS:
            self._sent.popleft()
        interval_ms = self.policy.min_interval_s * 1000
        if len(self._last_by_key) > 64:
            stale = [k for k, t in self._last_by_key.items() if now_ms - t >= interval_ms]
            for k in stale:
                del self._last_by_key[k]


# ── formatting ───────────────────────────────────────────────────────────────────────────────


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _span(ms: int) -> str:
    s = max(0, ms) // 1000
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


def _because(why: str | None) -> str:
    """`: why` for an alert's text, or nothing when no reason was given."""
    return f": {why}" if why else ""
