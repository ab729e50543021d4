"""`tradeguard doctor`, and the checks a session runs at connect: the I/O edge that gathers the
facts (credentials, the exchange's clock, symbols and account of the key, NTP, the host's
shared rate-limit state, the journal's rung grant and kill switch) and turns them into one list
of `Check`s.

    checks = await run_checks(profile, DoctorOptions())
    worst(checks)                     # Level.FAIL if anything must be fixed first

The judgement itself is pure and lives elsewhere: `audit.audit` (the key's rights),
`audit_probe.diagnose` (why Binance refused a key), `clocksync.SkewPolicy` (clock bounds).
Nothing here prints a secret: credentials appear as the names they are read from and the API
key's short prefix.

Doctor checks what `tradeguard run` would use and fails wherever it would refuse: the exchange
and key are the ones connect picks (`doctor.exchange`), asked through the venue connect opens
(`session.connect.open_venue`: Binance natively, Bybit, OKX and Kraken through ccxt) for its
clock, its symbols (`Venue.symbol_rules`) and its rate-limit state; the venue and the rung are
judged by connect's own `venue_refusal` and `rung_refusal`, the kill switch folded from the
journal as connect folds it (`doctor.journal`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from tradeguard.doctor.exchange import (
    clock_check,
    exchange_url,
    load_profile_credentials,
    open_doctor_venue,
    profile_exchange,
    sim_credentials,
    symbols_check,
    venue_check,
)
from tradeguard.doctor.fix import drop_copy_check, uses_drop_copy
from tradeguard.doctor.journal import kill_switch_check, read_journal, stage_check
from tradeguard.doctor.local import (
    Check,
    DoctorOptions,
    KeyRecords,
    ProfileView,
    host_of,
    ledger_check,
    ntp_check,
    rate_limit_check,
    worst,
)
from tradeguard.errors import (
    ConfigError,
    ExchangeError,
    TransportError,
)
from tradeguard.keys.audit import AuditPolicy, Finding, KeyReport, Level, audit, unknown_report
from tradeguard.keys.credentials import ApiCredentials
from tradeguard.keys.probe import KeyMemory, Probes, Step, diagnose, step_from
from tradeguard.keys.venue_reports import binance_report
from tradeguard.model import OrderType, Side, TimeInForce

if TYPE_CHECKING:
    from tradeguard.sim.server import RunningSim
    from tradeguard.venues.binance.client import BinanceTransport
    from tradeguard.venues.protocol import Venue

# ── the checks ────────────────────────────────────────────────────────────────────────────────


@dataclass(slots=True)
class Facts:
    """What the checks found, for a caller that goes on to connect (session) or to record it."""

    checks: list[Check] = field(default_factory=list)
    credentials: ApiCredentials | None = None
    report: KeyReport | None = None
    findings: list[Finding] = field(default_factory=list)
    base_url: str | None = None


async def run_checks(profile: ProfileView, options: DoctorOptions | None = None) -> list[Check]:
    """Every pre-flight check for `profile`, in table order. Never raises for what it finds."""
    return (await gather(profile, options or DoctorOptions())).checks


async def gather(profile: ProfileView, options: DoctorOptions) -> Facts:
    facts = Facts()
    add = facts.checks.append
    add(
        Check(
            "profile",
            Level.PASS,
            f"{profile.name}: {profile.venue}, env {profile.env}, mode {profile.mode}, "
            f"symbols {', '.join(str(s) for s in profile.symbols) or '(none)'}",
        )
    )
    add(venue_check(profile))
    standing = read_journal(profile)
    add(stage_check(profile, standing))
    async with profile_exchange(profile, options) as (base_url, credentials, source, sim):
        facts.base_url, facts.credentials = base_url, credentials
        add(source)
        limits = None
        if base_url is not None:
            limits = await _exchange(profile, options, base_url, credentials, sim, facts)
        if uses_drop_copy(profile):
            add(await drop_copy_check(profile, options, credentials, sim))
        if not any(c.name == "key.access" for c in facts.checks):
            why = "no credentials" if credentials is None else "the exchange did not answer"
            add(
                Check(
                    "key.access",
                    Level.UNVERIFIED,
                    f"the key's permissions were not checked ({why})",
                    "fix the failed checks above, then run `tradeguard doctor` again",
                )
            )
    add(await ntp_check(options))
    add(limits or rate_limit_check(facts.base_url, options))
    add(standing.journal)
    add(kill_switch_check(profile, standing))
    return facts


def _transport(options: DoctorOptions, base_url: str, creds: ApiCredentials | None) -> Any:
    from tradeguard.net.hoststate import HostState
    from tradeguard.venues.binance.client import BinanceTransport, TransportConfig

    return BinanceTransport(
        base_url,
        creds,
        config=TransportConfig(timeout_s=10, max_attempts=2, skew=options.skew),
        clock=options.clock,
        host_state=HostState(host_of(base_url), options.state_root() / "hosts"),
    )


async def _exchange(
    profile: ProfileView,
    options: DoctorOptions,
    base_url: str,
    creds: ApiCredentials | None,
    sim: RunningSim | None,
    facts: Facts,
) -> Check | None:
    """The exchange's clock and symbols through the venue connect opens, then the key (Binance:
    the -2015 probes and apiRestrictions; Bybit, OKX, Kraken: their key endpoints through
    ccxt). Returns the rate-limit check for a venue that keeps its own ledger (ccxt), None
    for Binance (the host's shared state is read after)."""
    add = facts.checks.append
    key_url = sim.base_url if sim is not None else options.base_url or profile.base_url
    try:
        venue = open_doctor_venue(profile, options, base_url, creds, sim)
    except ConfigError as exc:  # ccxt not installed: nothing can be asked
        for name in ("clock.exchange", "symbols"):
            add(Check(name, Level.UNVERIFIED, f"not asked: {exc.message}", exc.hint or ""))
        if profile.venue != "binance":
            await _ccxt_venue(profile, options, creds, facts, key_url)
        return None
    try:
        clock, answered = await clock_check(venue, base_url, options.skew)
        add(clock)
        if answered:
            add(await symbols_check(profile, venue))
        if profile.venue != "binance":  # its key endpoints may answer apart from the clock
            await _ccxt_venue(profile, options, creds, facts, key_url)
            calm = f"no rate limit met on {venue.name}"
            return ledger_check(venue.ledger, venue.server_now_ms(), calm)
        if answered and creds is not None:
            await key_checks(profile, options, cast("BinanceTransport", venue), facts)
        return None
    finally:
        await venue.close()


async def _binance(
    profile: ProfileView,
    options: DoctorOptions,
    base_url: str,
    creds: ApiCredentials | None,
    facts: Facts,
) -> None:
    """The Binance checks for `check_key` (`keys rotate`), on a transport of its own."""
    add = facts.checks.append
    transport: BinanceTransport = _transport(options, base_url, creds)
    try:
        clock, answered = await clock_check(transport, base_url, options.skew)
        add(clock)
        if not answered:
            return  # nothing answered: the key cannot be checked either
        add(await symbols_check(profile, transport))
        if creds is None:
            return
        await key_checks(profile, options, transport, facts)
    finally:
        await transport.close()


async def check_key(
    profile: ProfileView, creds: ApiCredentials, options: DoctorOptions | None = None
) -> Facts:
    """The exchange clock, the -2015 probes and the audit for one key: what a session runs at
    connect (then `audit.enforce(facts.findings)`) and what `keys rotate` runs on a new key.
    Uses the profile's venue URL (or `options.base_url`); not for env = "sim"."""
    options = options or DoctorOptions()
    facts = Facts(credentials=creds)
    if profile.venue != "binance" and profile.env != "sim":
        base_url = options.base_url or profile.base_url
        await _ccxt_venue(profile, options, creds, facts, base_url)  # Bybit, OKX, Kraken
        return facts
    base_url = exchange_url(profile, options)
    if profile.venue != "binance" or base_url is None:
        facts.checks.append(
            Check(
                "key.access",
                Level.UNVERIFIED,
                f"{profile.venue} keys on env {profile.env} are not checked natively yet",
                "check the key at the exchange: trading only, IP-restricted",
            )
        )
        return facts
    facts.base_url = base_url
    await _binance(profile, options, base_url, creds, facts)
    return facts


async def connect_audit(
    profile: ProfileView, transport: Venue, options: DoctorOptions | None = None
) -> Facts:
    """What a session runs at connect, on its own (clock-synced) transport: the probes and the
    audit of its key. Raises KeyAuditFailed when the key is refused (a failed finding, or the
    exchange refusing the key: the diagnosed cause is the message); returns the facts, whose
    `findings` the session journals as KeyAudited and whose warnings it shows."""
    from tradeguard.errors import KeyAuditFailed

    if transport.credentials is None:
        raise KeyAuditFailed(["this connection has no API key to audit"])
    if transport.name != "binance":  # Bybit, OKX, Kraken: their own key endpoints, via ccxt
        return await ccxt_key_audit(profile, transport.credentials, transport.base_url, options)
    facts = Facts(credentials=transport.credentials, base_url=transport.base_url)
    await key_checks(
        profile, options or DoctorOptions(), cast("BinanceTransport", transport), facts
    )
    _enforce(facts)
    return facts


async def ccxt_key_audit(
    profile: ProfileView,
    creds: ApiCredentials,
    base_url: str | None,
    options: DoctorOptions | None = None,
) -> Facts:
    """`connect_audit` for a Bybit, OKX or Kraken key (the session's, or a rotated one before
    it is used), through a ccxt venue of its own at `base_url`: the same refusals."""
    venue_options = options or DoctorOptions()
    facts = Facts(credentials=creds, base_url=base_url)
    await _ccxt_venue(profile, venue_options, creds, facts, venue_options.base_url or base_url)
    _enforce(facts)
    return facts


def _enforce(facts: Facts) -> None:
    from tradeguard.errors import KeyAuditFailed

    refused = key_refused(facts)
    if refused:
        raise KeyAuditFailed([f"{c.detail}; {c.fix}" if c.fix else c.detail for c in refused])


def key_refused(facts: Facts) -> list[Check]:
    """The checks that refuse a key: a failed audit finding or a key the exchange refused;
    an unverified `key.access` too, since a key nobody could check cannot be trusted."""
    return [
        c
        for c in facts.checks
        if c.level is Level.FAIL or (c.name == "key.access" and c.level is not Level.PASS)
    ]


async def _probe(transport: BinanceTransport, request: Any) -> tuple[Step, bytes | None]:
    try:
        return Step.OK, await transport.call(request)
    except ExchangeError as exc:
        return step_from(exc.code, exc.http_status), None
    except TransportError:
        return Step.UNREACHABLE, None


def probe_order(profile: ProfileView) -> Any:
    """A harmless order for POST /api/v3/order/test: validated by Binance, never placed."""
    from tradeguard.venues.binance import endpoints

    symbol = profile.symbols[0].binance if profile.symbols else "BTCUSDT"
    return endpoints.new_order(
        endpoints.NewOrder(
            symbol=symbol,
            side=Side.BUY,
            type=OrderType.LIMIT,
            client_order_id="tg-doctor-probe",
            quantity=Decimal("0.001"),
            price=Decimal("1"),
            time_in_force=TimeInForce.GTC,
        ),
        test=True,
    )


async def run_probes(
    profile: ProfileView, transport: BinanceTransport
) -> tuple[Probes, KeyReport | None]:
    """The -2015 probe sequence (audit_probe's docstring). The TRADE probe is skipped for a
    read-only profile whose key already authenticated: it needs nothing from it."""
    from tradeguard.venues.binance import endpoints, parse

    public, _ = await _probe(transport, endpoints.server_time())
    read, _ = await _probe(transport, endpoints.account())
    rights, body = await _probe(transport, endpoints.api_restrictions())
    report = None
    if body is not None:
        report = binance_report(parse.decode(body, parse.ApiRestrictions, "apiRestrictions"))
    trade = Step.NOT_TRIED
    if profile.mode == "trade" or Step.OK not in (read, rights):
        trade, _ = await _probe(transport, probe_order(profile))
    return Probes(public, read, rights, trade), report


async def key_checks(
    profile: ProfileView, options: DoctorOptions, transport: BinanceTransport, facts: Facts
) -> None:
    assert transport.credentials is not None
    api_key = transport.credentials.api_key
    records = KeyRecords(options.state_root() / "keys.json")
    before = records.get(profile.venue, profile.env, api_key)
    probes, report = await run_probes(profile, transport)
    now_ms = transport.server_now_ms()
    memory = KeyMemory(
        worked_before=before is not None and before.last_ok_ms is not None,
        ip_restricted=before.ip_restricted if before is not None else None,
    )
    diagnosis = diagnose(probes, memory, needs_trade=profile.mode == "trade")
    facts.checks.append(Check("key.access", diagnosis.level, diagnosis.message, diagnosis.fix))
    if not probes.authenticated:
        return
    record = records.seen(
        profile.venue,
        profile.env,
        api_key,
        options.clock.wall_ms(),
        ok=True,
        ip=report.ip_restricted if report is not None else memory.ip_restricted,
    )
    if report is None:
        why = (
            "no /sapi here"
            if probes.rights is Step.NOT_FOUND
            else f"apiRestrictions {probes.rights}"
        )
        report = unknown_report("binance", why)
    policy = AuditPolicy(
        env=profile.env,
        mode=profile.mode,
        key_age_warn_days=profile.key_age_warn_days,
        key_age_refuse_days=profile.key_age_refuse_days,
    )
    facts.report = report
    facts.findings = audit(report, policy, now_ms, first_seen_ms=record.first_seen_ms)
    facts.checks.extend(Check.of(f) for f in facts.findings)


# ── Bybit, OKX and Kraken: the key asked about through ccxt (audit_ccxt) ──────────────────────


async def _ccxt_venue(
    profile: ProfileView,
    options: DoctorOptions,
    creds: ApiCredentials | None,
    facts: Facts,
    base_url: str | None,
) -> None:
    """`key.access` and the audit for a non-Binance key at `base_url` (None: the venue's own
    host), through ccxt's read-only calls; with no credentials it adds nothing (gather's "no
    credentials" row follows)."""
    from tradeguard.keys import audit_ccxt

    sandbox = profile.env == "testnet"
    facts.base_url = base_url or audit_ccxt.venue_url(profile.venue, sandbox)
    if creds is None:
        return
    fetched = await audit_ccxt.fetch(profile.venue, creds, base_url=base_url, sandbox=sandbox)
    records = KeyRecords(options.state_root() / "keys.json")
    now_ms = options.clock.wall_ms()
    report = fetched.report
    record = (
        records.seen(
            profile.venue, profile.env, creds.api_key, now_ms, ok=True, ip=report.ip_restricted
        )
        if report is not None and report.authenticated
        else records.get(profile.venue, profile.env, creds.api_key)
    )
    policy = AuditPolicy(
        env=profile.env,
        mode=profile.mode,
        key_age_warn_days=profile.key_age_warn_days,
        key_age_refuse_days=profile.key_age_refuse_days,
    )
    findings = audit_ccxt.key_findings(
        fetched, policy, now_ms, first_seen_ms=record.first_seen_ms if record else None
    )
    facts.report = report
    facts.findings = findings[1:]
    facts.checks.extend(Check.of(f) for f in findings)


# ── end of the ccxt venues ────────────────────────────────────────────────────────────────────


__all__ = [
    "Check",
    "DoctorOptions",
    "Facts",
    "KeyRecords",
    "ProfileView",
    "check_key",
    "connect_audit",
    "exchange_url",
    "gather",
    "key_refused",
    "kill_switch_check",
    "load_profile_credentials",
    "ntp_check",
    "rate_limit_check",
    "read_journal",
    "run_checks",
    "sim_credentials",
    "stage_check",
    "symbols_check",
    "venue_check",
    "worst",
]
