"""The API-key audit: what a key may do (a venue-neutral `KeyReport`) judged against what the
profile needs (`AuditPolicy`), as a list of `Finding`s a person can act on. Pure: no I/O, and
time arrives as an argument.

    report = audit_venues.binance_report(restrictions)       # or bybit_/okx_/kraken_report
    findings = audit(report, AuditPolicy(env="live", mode="trade"), now_ms)
    enforce(findings)                                         # KeyAuditFailed on any fail

The policy (DESIGN.md, safety invariants 1 and 2):

- a key that can withdraw, or transfer funds (internal or universal transfer), is refused;
- live rungs (live-small, live) need an IP-restricted key; on sim and testnet a missing
  restriction is a warning;
- permissions wider than a spot profile needs (margin, futures, options) are flagged;
- a read-only profile with a trading key is flagged (the session refuses its orders anyway);
  a trading profile whose key cannot trade is refused;
- key age warns at 180 days and refuses at 365 (configurable), from the venue's creation time
  or, where the venue does not say, from the first time tradeguard saw the key on this host;
- a permission expiry is warned `expiry_warn_days` ahead and refused once passed.

Anything the venue did not report is `unverified`, never `pass`.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from tradeguard.errors import ConfigError, KeyAuditFailed

DAY_MS: Final = 86_400_000
LIVE_RUNGS: Final = ("live-small", "live")
ENVS: Final = ("sim", "testnet", "live-small", "live")
MODES: Final = ("trade", "read-only")


class Level(enum.StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    UNVERIFIED = "unverified"


@dataclass(frozen=True, slots=True)
class Finding:
    """One audit result: `check` is a stable id (e.g. "key.withdraw"), `message` what a user
    reads, `fix` what to do about it ("" when nothing needs doing)."""

    check: str
    level: Level
    message: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class KeyReport:
    """What a venue says one API key may do. None everywhere means "the venue did not say".

    `authenticated` is True when the report came back from a signed call made with this key from
    this host: then this host's IP is, by construction, on the key's whitelist (if it has one).
    """

    venue: str
    can_read: bool | None = None
    can_trade_spot: bool | None = None
    can_withdraw: bool | None = None
    can_transfer: bool | None = None  # internal or universal transfer between accounts
    margin: bool | None = None
    futures: bool | None = None
    options: bool | None = None
    ip_restricted: bool | None = None
    allowed_ips: tuple[str, ...] | None = None  # None: the venue does not list them
    created_ms: int | None = None
    trading_expiry_ms: int | None = None
    reports_expiry: bool = False  # the venue would have said if the key's rights expire
    authenticated: bool = True
    source: str = ""  # the call it came from, for messages: "apiRestrictions", "query-api", ...

    def permissions(self) -> tuple[str, ...]:
        """The rights the key has, as short names for the journal (KeyAudited.permissions)."""
        named = (
            ("READ", self.can_read),
            ("SPOT", self.can_trade_spot),
            ("WITHDRAW", self.can_withdraw),
            ("TRANSFER", self.can_transfer),
            ("MARGIN", self.margin),
            ("FUTURES", self.futures),
            ("OPTIONS", self.options),
        )
        return tuple(name for name, on in named if on)


def unknown_report(venue: str, source: str) -> KeyReport:
    """A key the venue told nothing about (e.g. Binance testnet: no /sapi): all unverified."""
    return KeyReport(venue=venue, authenticated=False, source=source)


@dataclass(frozen=True, slots=True)
class AuditPolicy:
    env: str = "sim"  # sim | testnet | live-small | live
    mode: str = "trade"  # trade | read-only
    key_age_warn_days: int = 180
    key_age_refuse_days: int = 365
    expiry_warn_days: int = 7

    def __post_init__(self) -> None:
        if self.env not in ENVS:
            raise ConfigError(f"unknown env {self.env!r}", hint=f"use one of {', '.join(ENVS)}")
        if self.mode not in MODES:
            raise ConfigError(f"unknown mode {self.mode!r}", hint=f"use one of {', '.join(MODES)}")
        if not 0 < self.key_age_warn_days <= self.key_age_refuse_days:
            raise ConfigError(
                "key age limits must satisfy 0 < warn days <= refuse days, got "
                f"{self.key_age_warn_days} and {self.key_age_refuse_days}",
                hint="e.g. key_age_warn_days = 180, key_age_refuse_days = 365",
            )

    @property
    def live(self) -> bool:
        return self.env in LIVE_RUNGS


def day(ms: int) -> str:
    """A date for messages: 2026-01-01."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d")


# ── the checks ──────────────────────────────────────────────────────────────────────────────


def audit(
    report: KeyReport,
    policy: AuditPolicy,
    now_ms: int,
    *,
    first_seen_ms: int | None = None,
    egress_ip: str | None = None,
) -> list[Finding]:
    """Every key check, in a fixed order. `first_seen_ms` is the local record of when this key
    was first seen (used only where the venue gives no creation time); `egress_ip` is this
    host's public address if known (checked against `allowed_ips` where the venue lists them)."""
    return [
        _withdraw(report),
        _transfer(report),
        _ip_restriction(report, policy, egress_ip),
        _scope(report),
        _mode(report, policy),
        _age(report, policy, now_ms, first_seen_ms),
        _expiry(report, policy, now_ms),
    ]


def failures(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.level is Level.FAIL]


def enforce(findings: Sequence[Finding]) -> None:
    """Refuse the key (KeyAuditFailed, each fail's message and fix) if any finding failed."""
    failed = failures(findings)
    if failed:
        raise KeyAuditFailed([f"{f.message}; {f.fix}" if f.fix else f.message for f in failed])


def _unverified(check: str, what: str, report: KeyReport, fix: str) -> Finding:
    where = f" ({report.source})" if report.source else ""
    return Finding(
        check, Level.UNVERIFIED, f"{report.venue} did not report {what}{where}: not checked", fix
    )


def _withdraw(r: KeyReport) -> Finding:
    check = "key.withdraw"
    if r.can_withdraw is None:
        return _unverified(
            check,
            "whether this key can withdraw",
            r,
            "check in the exchange's API key settings that withdrawals are off",
        )
    if r.can_withdraw:
        return Finding(
            check,
            Level.FAIL,
            "this API key can withdraw funds: refused",
            "create a new key with withdrawals disabled (trading only), then "
            "`tradeguard keys rotate`; delete this one at the exchange",
        )
    return Finding(check, Level.PASS, "withdrawals are disabled on this key")


def _transfer(r: KeyReport) -> Finding:
    check = "key.transfer"
    if r.can_transfer is None:
        return _unverified(
            check,
            "whether this key can transfer funds",
            r,
            "check in the exchange's API key "
            "settings that internal and universal transfers are off",
        )
    if r.can_transfer:
        return Finding(
            check,
            Level.FAIL,
            "this API key can transfer funds between accounts: refused",
            "turn off internal and universal transfer on the key (or create a trading-only key "
            "and `tradeguard keys rotate`)",
        )
    return Finding(check, Level.PASS, "transfers are disabled on this key")


def _ip_restriction(r: KeyReport, p: AuditPolicy, egress_ip: str | None) -> Finding:
    check = "key.ip_whitelist"
    if r.ip_restricted is None:
        return Finding(
            check,
            Level.UNVERIFIED,
            f"{r.venue} does not report whether this key is IP-restricted: not checked",
            "restrict the key to this host's IP in the exchange's API key settings",
        )
    if not r.ip_restricted:
        if p.live:
            return Finding(
                check,
                Level.FAIL,
                f"this API key has no IP whitelist, and env {p.env!r} needs one: refused",
                "restrict the key to this host's public IP in the exchange's API key settings",
            )
        return Finding(
            check,
            Level.WARN,
            f"this API key has no IP whitelist (allowed on {p.env}; live rungs refuse it)",
            "restrict the key to this host's public IP before going live",
        )
    listed = f": {', '.join(r.allowed_ips)}" if r.allowed_ips else ""
    if r.allowed_ips and egress_ip is not None and not _ip_in(egress_ip, r.allowed_ips):
        return Finding(
            check,
            Level.FAIL,
            f"this host's IP {egress_ip} is not on the key's whitelist{listed}",
            f"add {egress_ip} to the key's IP whitelist at the exchange",
        )
    if r.authenticated:
        return Finding(check, Level.PASS, f"the key is IP-restricted{listed}; this host is on it")
    return Finding(check, Level.PASS, f"the key is IP-restricted{listed}")


def _ip_in(ip: str, allowed: Sequence[str]) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _scope(r: KeyReport) -> Finding:
    check = "key.scope"
    named = {"margin": r.margin, "futures": r.futures, "options": r.options}
    wider = [name for name, on in named.items() if on]
    unknown = [name for name, on in named.items() if on is None]
    if wider:
        return Finding(
            check,
            Level.WARN,
            f"this key also allows {', '.join(wider)}, which a spot profile does not need",
            f"turn off {', '.join(wider)} on the key at the exchange",
        )
    if unknown:
        return _unverified(
            check,
            f"the key's {', '.join(unknown)} permissions",
            r,
            "check at the exchange that the key allows spot trading only",
        )
    return Finding(check, Level.PASS, "no margin, futures or options permission")


def _mode(r: KeyReport, p: AuditPolicy) -> Finding:
    check = "key.mode"
    if r.can_read is False:
        return Finding(
            check,
            Level.FAIL,
            "this key cannot read the account, which tradeguard needs to reconcile: refused",
            "enable reading on the key at the exchange",
        )
    if r.can_trade_spot is None:
        return _unverified(
            check, "whether this key can trade spot", r, f"check the key matches mode = {p.mode!r}"
        )
    if p.mode == "read-only":
        if r.can_trade_spot:
            return Finding(
                check,
                Level.WARN,
                "the profile is read-only but this key can trade: tradeguard refuses every "
                "order on this profile",
                "use a read-only key for a read-only profile",
            )
        return Finding(check, Level.PASS, "read-only profile, read-only key")
    if not r.can_trade_spot:
        return Finding(
            check,
            Level.FAIL,
            "the profile trades but this key cannot trade spot: refused",
            'enable spot trading on the key, or set mode = "read-only" in the profile',
        )
    return Finding(check, Level.PASS, "the key can trade spot, as the profile needs")


def _age(r: KeyReport, p: AuditPolicy, now_ms: int, first_seen_ms: int | None) -> Finding:
    check = "key.age"
    if r.created_ms is not None:
        since, what = r.created_ms, f"created {day(r.created_ms)}"
    elif first_seen_ms is not None:
        since, what = first_seen_ms, f"first seen on this host {day(first_seen_ms)}"
    else:
        return _unverified(
            check,
            "when this key was created",
            r,
            "rotate keys at least yearly: `tradeguard keys rotate`",
        )
    age_days = max(0, now_ms - since) // DAY_MS
    at_least = "" if r.created_ms is not None else "at least "
    rotate = "create a new trading-only key, `tradeguard keys rotate`, then delete this one"
    if age_days >= p.key_age_refuse_days:
        return Finding(
            check,
            Level.FAIL,
            f"this key is {at_least}{age_days} days old ({what}); keys older than "
            f"{p.key_age_refuse_days} days are refused",
            rotate,
        )
    if age_days >= p.key_age_warn_days:
        return Finding(
            check,
            Level.WARN,
            f"this key is {at_least}{age_days} days old ({what}); rotate it before "
            f"{p.key_age_refuse_days} days",
            rotate,
        )
    return Finding(check, Level.PASS, f"the key is {at_least}{age_days} days old ({what})")


def _expiry(r: KeyReport, p: AuditPolicy, now_ms: int) -> Finding:
    check = "key.expiry"
    if r.trading_expiry_ms is None:
        if r.reports_expiry:
            return Finding(check, Level.PASS, "the key's permissions do not expire")
        return _unverified(
            check,
            "whether the key's permissions expire",
            r,
            "check the key's expiry at the exchange",
        )
    left_ms = r.trading_expiry_ms - now_ms
    when = day(r.trading_expiry_ms)
    renew = "renew the key's trading permission at the exchange, or rotate to a new key"
    if left_ms <= 0:
        return Finding(
            check, Level.FAIL, f"the key's trading permission expired on {when}: refused", renew
        )
    if left_ms <= p.expiry_warn_days * DAY_MS:
        days_left = -(-left_ms // DAY_MS)
        return Finding(
            check,
            Level.WARN,
            f"the key's trading permission expires on {when} (in {days_left} days)",
            renew,
        )
    return Finding(check, Level.PASS, f"the key's trading permission runs until {when}")


__all__ = [
    "DAY_MS",
    "LIVE_RUNGS",
    "AuditPolicy",
    "Finding",
    "KeyReport",
    "Level",
    "audit",
    "day",
    "enforce",
    "failures",
    "unknown_report",
]
