"""`tradeguard doctor`, and the checks a session runs at connect: the I/O edge that gathers the
facts (credentials, the exchange's clock and its account of the key, NTP, the host's shared
rate-limit state, the journal) and turns them into one list of `Check`s.

    checks = await run_checks(profile, DoctorOptions())
    worst(checks)                     # Level.FAIL if anything must be fixed first

The judgement itself is pure and lives elsewhere: `audit.audit` (the key's rights),
`audit_probe.diagnose` (why Binance refused a key), `clocksync.SkewPolicy` (clock bounds).
Nothing here prints a secret: credentials appear as the names they are read from and the API
key's short prefix.

For env = "sim" the embedded simulator is started and one of its built-in keys is used
(`trade-only` unless the profile, or `DoctorOptions.sim_key`, names another).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
import struct
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from tradeguard.audit import AuditPolicy, Finding, KeyReport, Level, audit, unknown_report
from tradeguard.audit_probe import KeyMemory, Probes, Step, diagnose, step_from
from tradeguard.audit_venues import binance_report
from tradeguard.clock import SYSTEM, Clock
from tradeguard.clocksync import SkewPolicy
from tradeguard.credentials import ApiCredentials, Secret, key_prefix
from tradeguard.errors import (
    ClockSkewError,
    ConfigError,
    CredentialsError,
    ExchangeError,
    RateLimited,
    TradeguardError,
    TransportError,
)
from tradeguard.model import OrderType, Side, Symbol, TimeInForce

if TYPE_CHECKING:
    from tradeguard.credentials import CredentialsSpec, KeyringBackend
    from tradeguard.sim.server import RunningSim
    from tradeguard.stages import Caps
    from tradeguard.venues.binance.client import BinanceTransport

BINANCE_URLS: Mapping[str, str] = {
    "testnet": "https://testnet.binance.vision",
    "live-small": "https://api.binance.com",
    "live": "https://api.binance.com",
}
DEFAULT_SIM_KEY = "trade-only"
NTP_SERVER = "pool.ntp.org"
NTP_WARN_MS = 1_000.0


class ProfileView(Protocol):
    """What doctor reads of a profile; `tradeguard.profile.Profile` fits."""

    @property
    def name(self) -> str: ...
    @property
    def venue(self) -> str: ...
    @property
    def env(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def symbols(self) -> Sequence[Symbol]: ...
    @property
    def journal(self) -> str: ...
    @property
    def base_url(self) -> str | None: ...
    @property
    def credentials(self) -> CredentialsSpec | None: ...
    @property
    def caps(self) -> Caps: ...
    @property
    def key_age_warn_days(self) -> int: ...
    @property
    def key_age_refuse_days(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Check:
    """One row of the doctor's table."""

    name: str
    level: Level
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "check": self.name,
            "level": self.level.value,
            "detail": self.detail,
            "fix": self.fix,
        }

    @classmethod
    def of(cls, finding: Finding) -> Check:
        return cls(finding.check, finding.level, finding.message, finding.fix)


def worst(checks: Sequence[Check]) -> Level:
    for level in (Level.FAIL, Level.WARN, Level.UNVERIFIED):
        if any(c.level is level for c in checks):
            return level
    return Level.PASS


@dataclass(slots=True)
class DoctorOptions:
    clock: Clock = SYSTEM
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    state_dir: Path | None = None  # default: $XDG_STATE_HOME/tradeguard
    keyring_backend: KeyringBackend | None = None
    ntp_server: str | None = NTP_SERVER  # None: do not ask (the check is unverified)
    ntp_timeout_s: float = 1.0
    base_url: str | None = None  # override the venue's URL
    sim: RunningSim | None = None  # env = "sim": use this simulator instead of starting one
    sim_key: str | None = (
        None  # env = "sim": which built-in key (default: the profile's, else trade-only)
    )
    skew: SkewPolicy = field(default_factory=SkewPolicy)

    def state_root(self) -> Path:
        if self.state_dir is not None:
            return self.state_dir
        base = self.env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        return Path(base) / "tradeguard"


# ── the local key record ──────────────────────────────────────────────────────────────────────


class KeyRecord(msgspec.Struct, kw_only=True):
    venue: str
    env: str
    key: str  # key_prefix() only
    first_seen_ms: int
    last_ok_ms: int | None = None
    ip_restricted: bool | None = None


class KeyRecords:
    """When this host first saw each API key, and whether it last authenticated IP-restricted:
    a small JSON file (mode 0600) under the state directory. Keys are stored by a hash of
    venue, env and API key; only the key's short prefix is kept in the clear."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @staticmethod
    def ident(venue: str, env: str, api_key: str) -> str:
        return hashlib.sha256(f"{venue}|{env}|{api_key}".encode()).hexdigest()[:24]

    def _read(self) -> dict[str, KeyRecord]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            return msgspec.json.decode(raw, type=dict[str, KeyRecord])
        except msgspec.DecodeError:
            return {}  # a torn or foreign file: start over rather than trust it

    def get(self, venue: str, env: str, api_key: str) -> KeyRecord | None:
        return self._read().get(self.ident(venue, env, api_key))

    def seen(
        self, venue: str, env: str, api_key: str, now_ms: int, *, ok: bool, ip: bool | None
    ) -> KeyRecord:
        records = self._read()
        ident = self.ident(venue, env, api_key)
        record = records.get(ident) or KeyRecord(
            venue=venue, env=env, key=key_prefix(api_key), first_seen_ms=now_ms
        )
        if ok:
            record.last_ok_ms = now_ms
            record.ip_restricted = ip
        records[ident] = record
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(msgspec.json.encode(records))
        tmp.replace(self.path)
        return record


# ── SNTP ──────────────────────────────────────────────────────────────────────────────────────

_NTP_EPOCH_S = 2_208_988_800  # 1900-01-01 to 1970-01-01


def _ntp_ms(seconds: int, fraction: int) -> float:
    return (seconds - _NTP_EPOCH_S) * 1000 + fraction * 1000 / 2**32


def sntp_offset_ms(server: str, timeout_s: float, clock: Clock) -> float:
    """One SNTP (RFC 4330) query: the server's clock minus this host's, in ms. Raises OSError."""
    request = b"\x23" + 47 * b"\0"  # LI 0, version 4, mode 3 (client)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout_s)
        sent = clock.wall_ms()
        sock.sendto(request, (server, 123))
        reply, _ = sock.recvfrom(512)
        received = clock.wall_ms()
    if len(reply) < 48:
        raise OSError("short NTP reply")
    rx_s, rx_f, tx_s, tx_f = struct.unpack("!4I", reply[32:48])
    t2, t3 = _ntp_ms(rx_s, rx_f), _ntp_ms(tx_s, tx_f)
    return ((t2 - sent) + (t3 - received)) / 2


async def _in_daemon_thread(func: Callable[[], float], timeout_s: float) -> float:
    """Run a blocking call (DNS has no timeout of its own) where it cannot hold up the exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[float] = loop.create_future()

    def settle(result: float | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result or 0.0)

    def run() -> None:
        try:
            value = func()
        except BaseException as exc:  # handed to the waiting coroutine
            with contextlib.suppress(RuntimeError):  # the loop may be gone already
                loop.call_soon_threadsafe(settle, None, exc)
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, value, None)

    threading.Thread(target=run, name="tradeguard-sntp", daemon=True).start()
    return await asyncio.wait_for(future, timeout_s)


async def ntp_check(options: DoctorOptions) -> Check:
    if options.ntp_server is None:
        return Check(
            "clock.ntp",
            Level.UNVERIFIED,
            "NTP not queried",
            "make sure the host keeps time with NTP (`timedatectl status`)",
        )
    try:
        offset = await _in_daemon_thread(
            lambda: sntp_offset_ms(options.ntp_server or "", options.ntp_timeout_s, options.clock),
            timeout_s=options.ntp_timeout_s * 2,
        )
    except (OSError, TimeoutError) as exc:
        return Check(
            "clock.ntp",
            Level.UNVERIFIED,
            f"NTP server {options.ntp_server} did not answer ({type(exc).__name__})",
            "allow UDP port 123 out, or check the host's time service (`timedatectl status`)",
        )
    detail = f"host clock {abs(offset):.0f} ms {'behind' if offset > 0 else 'ahead of'} NTP"
    fix = "sync the host with NTP (`sudo timedatectl set-ntp true` or `sudo chronyc makestep`)"
    if abs(offset) > options.skew.max_skew_ms:
        return Check("clock.ntp", Level.FAIL, detail, fix)
    if abs(offset) > NTP_WARN_MS:
        return Check("clock.ntp", Level.WARN, detail, fix)
    return Check("clock.ntp", Level.PASS, detail + f" ({options.ntp_server})")


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
    add(stage_check(profile))
    async with _exchange(profile, options) as (base_url, credentials, source):
        facts.base_url, facts.credentials = base_url, credentials
        add(source)
        if profile.venue != "binance":
            add(
                Check(
                    "key.access",
                    Level.UNVERIFIED,
                    f"doctor checks Binance keys natively; {profile.venue} keys are not "
                    "checked yet",
                    "check the key's permissions at the exchange: trading only, IP-restricted",
                )
            )
        elif base_url is not None:
            await _binance(profile, options, base_url, credentials, facts)
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
    add(rate_limit_check(facts.base_url, options))
    add(journal_check(profile))
    return facts


@contextlib.asynccontextmanager
async def _exchange(
    profile: ProfileView, options: DoctorOptions
) -> AsyncIterator[tuple[str | None, ApiCredentials | None, Check]]:
    """(base URL, credentials, the credentials check); for sim, a simulator runs meanwhile."""
    if profile.env != "sim":
        creds, check = load_profile_credentials(profile, options)
        yield options.base_url or profile.base_url or BINANCE_URLS.get(profile.env), creds, check
        return
    running = options.sim
    started = None
    if running is None:
        from tradeguard.sim import server
        from tradeguard.sim.config import SimConfig

        running = started = await server.start(SimConfig.default(seed=1))
    try:
        name = options.sim_key or getattr(profile, "sim_key", None) or DEFAULT_SIM_KEY
        creds, check = sim_credentials(running, name)
        yield options.base_url or running.base_url, creds, check
    finally:
        if started is not None:
            await started.close()


def sim_credentials(running: RunningSim, name: str) -> tuple[ApiCredentials | None, Check]:
    listing = {str(k["name"]): k for k in running.key_listing}
    key = listing.get(name)
    if key is None:
        return None, Check(
            "credentials",
            Level.FAIL,
            f"the simulator has no built-in key {name!r}",
            f"use one of {', '.join(sorted(listing))}",
        )
    creds = ApiCredentials(str(key["api_key"]), Secret(str(key["secret"])), kind=key["kind"])  # type: ignore[arg-type]
    return creds, Check(
        "credentials",
        Level.PASS,
        f"the simulator's built-in key {name!r} ({key_prefix(creds.api_key)}, {creds.kind})",
    )


def load_profile_credentials(
    profile: ProfileView, options: DoctorOptions
) -> tuple[ApiCredentials | None, Check]:
    from tradeguard.credentials import load_credentials

    spec = profile.credentials
    if spec is None:
        return None, Check(
            "credentials",
            Level.FAIL,
            f"profile {profile.name} has no credentials, and env {profile.env!r} needs them",
            f'add [profiles.{profile.name}.credentials] with source = "env", '
            'api_key = "BINANCE_API_KEY", secret = "BINANCE_API_SECRET", then export both',
        )
    try:
        creds = load_credentials(spec, options.env, keyring_backend=options.keyring_backend)
    except CredentialsError as exc:
        return None, Check("credentials", Level.FAIL, exc.message, exc.hint or "")
    from tradeguard.credentials_shape import shown

    names = ", ".join(f"{k} from {shown(v)}" for k, v in spec.names().items())
    where = {"env": "environment", "keyring": "OS keyring", "file": "0600 file"}[spec.source]
    return creds, Check(
        "credentials",
        Level.PASS,
        f"{where}: {names} (key {key_prefix(creds.api_key)}, {creds.kind})",
    )


def _transport(options: DoctorOptions, base_url: str, creds: ApiCredentials | None) -> Any:
    from tradeguard.hoststate import HostState
    from tradeguard.venues.binance.client import BinanceTransport, TransportConfig

    return BinanceTransport(
        base_url,
        creds,
        config=TransportConfig(timeout_s=10, max_attempts=2, skew=options.skew),
        clock=options.clock,
        host_state=HostState(_host(base_url), options.state_root() / "hosts"),
    )


def _host(base_url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(base_url).netloc or "local"


async def _binance(
    profile: ProfileView,
    options: DoctorOptions,
    base_url: str,
    creds: ApiCredentials | None,
    facts: Facts,
) -> None:
    add = facts.checks.append
    transport: BinanceTransport = _transport(options, base_url, creds)
    try:
        clock = await clock_check(transport, base_url)
        add(clock)
        if clock.level is Level.FAIL and transport.clock_estimate is None:
            return  # nothing answered: the key cannot be checked either
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
    base_url = options.base_url or profile.base_url or BINANCE_URLS.get(profile.env)
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
    profile: ProfileView, transport: BinanceTransport, options: DoctorOptions | None = None
) -> Facts:
    """What a session runs at connect, on its own (clock-synced) transport: the probes and the
    audit of its key. Raises KeyAuditFailed when the key is refused (a failed finding, or the
    exchange refusing the key: the diagnosed cause is the message); returns the facts, whose
    `findings` the session journals as KeyAudited and whose warnings it shows."""
    from tradeguard.errors import KeyAuditFailed

    facts = Facts(credentials=transport.credentials, base_url=transport.base_url)
    if transport.credentials is None:
        raise KeyAuditFailed(["this connection has no API key to audit"])
    await key_checks(profile, options or DoctorOptions(), transport, facts)
    refused = key_refused(facts)
    if refused:
        raise KeyAuditFailed([f"{c.detail}; {c.fix}" if c.fix else c.detail for c in refused])
    return facts


def key_refused(facts: Facts) -> list[Check]:
    """The checks that refuse a key: a failed audit finding or a key the exchange refused;
    an unverified `key.access` too, since a key nobody could check cannot be trusted."""
    return [
        c
        for c in facts.checks
        if c.level is Level.FAIL or (c.name == "key.access" and c.level is not Level.PASS)
    ]


async def clock_check(transport: BinanceTransport, base_url: str) -> Check:
    try:
        est = await transport.sync_clock()
    except ClockSkewError as exc:
        return Check("clock.exchange", Level.FAIL, exc.msg, exc.hint or "")
    except RateLimited as exc:
        return Check("clock.exchange", Level.FAIL, str(exc), "wait for the pause or ban to end")
    except (TransportError, ExchangeError) as exc:
        return Check(
            "clock.exchange",
            Level.FAIL,
            f"the exchange at {base_url} did not answer: {_text(exc)}",
            exc.hint or "check the network and the profile's env",
        )
    direction = "behind" if est.skew_ms > 0 else "ahead of"
    return Check(
        "clock.exchange",
        Level.PASS,
        f"host clock {abs(est.skew_ms):.0f} ms {direction} the exchange "
        f"(round trip {est.rtt_ms:.0f} ms; allowed {transport.config.skew.max_skew_ms:.0f} ms)",
    )


def _text(exc: TradeguardError) -> str:
    """An error's own words, without the code prefix ExchangeError adds to its message."""
    return exc.msg if isinstance(exc, ExchangeError) else exc.message


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


# ── local state: rate limits, rung, journal ───────────────────────────────────────────────────


def rate_limit_check(base_url: str | None, options: DoctorOptions) -> Check:
    from tradeguard.audit import day
    from tradeguard.hoststate import HostState
    from tradeguard.ratelimit import RateLedger

    if base_url is None:
        return Check("rate_limits", Level.UNVERIFIED, "no exchange to check", "")
    try:
        state = HostState(_host(base_url), options.state_root() / "hosts")
    except ConfigError as exc:
        return Check("rate_limits", Level.FAIL, exc.message, exc.hint or "")
    try:
        with state.locked() as shared:
            ledger = RateLedger()
            ledger.merge(shared)
    finally:
        state.close()
    now = options.clock.wall_ms()
    if ledger.banned_until_ms > now:
        left = (ledger.banned_until_ms - now) / 1000
        return Check(
            "rate_limits",
            Level.FAIL,
            f"this host's IP is banned by the exchange (418) for {left:.0f} s more "
            f"(until {day(ledger.banned_until_ms)})",
            "wait for the ban to end; find which process spent too much weight "
            "(`tradeguard journal tail`) before starting again",
        )
    if ledger.paused_until_ms > now:
        left = (ledger.paused_until_ms - now) / 1000
        return Check(
            "rate_limits",
            Level.WARN,
            f"requests are paused after a 429 for {left:.0f} s more",
            "slow down: several bots on this host share one budget",
        )
    used = [
        f"{n} of {int(rule.limit * ledger.headroom)} ({rule.describe()})"
        for rule, n in ledger.usage(now)
        if n
    ]
    detail = "no ban or pause; used now: " + ("; ".join(used) if used else "nothing")
    return Check("rate_limits", Level.PASS, detail)


def stage_check(profile: ProfileView) -> Check:
    """The rung and its caps. Whether the rung was reached by promotion is `tradeguard
    promote`'s question; here the caps in force are shown."""
    caps = profile.caps
    money = "real money" if profile.env in ("live-small", "live") else "no real money"
    return Check(
        "stage",
        Level.PASS,
        f"rung {profile.env} ({money}): at most {caps.max_order_notional} per order and "
        f"{caps.daily_notional} per UTC day",
    )


def journal_check(profile: ProfileView) -> Check:
    from tradeguard.journal import open_journal

    target = profile.journal
    try:
        store = open_journal(target, profile=profile.name)
    except (TradeguardError, OSError) as exc:
        message = exc.message if isinstance(exc, TradeguardError) else str(exc)
        return Check(
            "journal",
            Level.FAIL,
            f"cannot open the journal: {message}",
            "point journal = in the profile at a writable place",
        )
    try:
        report = store.verify()
        location = store.location
    except TradeguardError as exc:
        return Check("journal", Level.FAIL, exc.message, exc.hint or "")
    finally:
        store.close()
    if not report.ok:
        first = report.problems[0]
        return Check(
            "journal",
            Level.FAIL,
            f"journal {location} fails verification at record {first.position}: {first.what}",
            "run `tradeguard journal verify` and restore from a backup",
        )
    return Check(
        "journal", Level.PASS, f"{location}: writable, {report.records} records, chain verified"
    )


__all__ = [
    "Check",
    "DoctorOptions",
    "Facts",
    "KeyRecords",
    "ProfileView",
    "check_key",
    "connect_audit",
    "gather",
    "key_refused",
    "run_checks",
    "sntp_offset_ms",
    "worst",
]
