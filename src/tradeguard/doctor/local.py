"""The local half of `tradeguard doctor`: the check type and options, and the checks that need
no exchange (the key record, NTP, the host's rate-limit state; the journal's are in
`doctor_journal`). An I/O edge; `doctor` runs these beside the exchange checks and re-exports
them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
import struct
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import msgspec

from tradeguard.errors import ConfigError
from tradeguard.keys.audit import Finding, Level
from tradeguard.keys.credentials import key_prefix
from tradeguard.model import Symbol
from tradeguard.net.clock import SYSTEM, Clock
from tradeguard.net.clocksync import SkewPolicy

if TYPE_CHECKING:
    from tradeguard.keys.credentials import CredentialsSpec, KeyringBackend
    from tradeguard.net.ratelimit import RateLedger
    from tradeguard.sim.server import RunningSim
    from tradeguard.stages import Caps

NTP_SERVER = "pool.ntp.org"
NTP_WARN_MS = 1_000.0


class ProfileView(Protocol):
    """What doctor reads of a profile; `tradeguard.profile.profiles.Profile` fits."""

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
    base_url: str | None = None  # stands in for the profile's base_url (tests)
    # env = "sim" without a base_url (the embedded simulator): use this one instead of
    # starting one, and which of its built-in keys (default: trade-only, as connect's)
    sim: RunningSim | None = None
    sim_key: str | None = None
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
    """One SNTP (RFC 4330) query to `server` ("host" or "host:port"): the server's clock minus
    this host's, in ms. Raises OSError (TimeoutError included) when nothing usable answers."""
    host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "123")
    request = b"\x23" + 47 * b"\0"  # LI 0, version 4, mode 3 (client)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout_s)
        sent = clock.wall_ms()
        sock.sendto(request, (host, int(port)))
        reply, _ = sock.recvfrom(512)
        received = clock.wall_ms()
    if len(reply) < 48 or reply[0] & 0x07 not in (4, 5):  # mode: server or broadcast
        raise OSError("not an NTP server reply")
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
    async with asyncio.timeout(timeout_s):  # not wait_for: it can swallow a cancel on 3.11
        return await future


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


def host_of(base_url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(base_url).netloc or "local"


# ── local state: the host's rate limits ───────────────────────────────────────────────────


def rate_limit_check(base_url: str | None, options: DoctorOptions) -> Check:
    """Binance: the host's shared rate-limit state (every process trading from this IP)."""
    from tradeguard.net.hoststate import HostState
    from tradeguard.net.ratelimit import RateLedger

    if base_url is None:
        return Check("rate_limits", Level.UNVERIFIED, "no exchange to check", "")
    try:
        state = HostState(host_of(base_url), options.state_root() / "hosts")
    except ConfigError as exc:
        return Check("rate_limits", Level.FAIL, exc.message, exc.hint or "")
    try:
        with state.locked() as shared:
            ledger = RateLedger()
            ledger.merge(shared)
    finally:
        state.close()
    return ledger_check(ledger, options.clock.wall_ms(), "no ban or pause")


def ledger_check(ledger: RateLedger, now_ms: int, calm: str) -> Check:
    """A rate ledger judged: a ban fails, a pause warns, else what is used against what."""
    from tradeguard.keys.audit import day

    if ledger.banned_until_ms > now_ms:
        left = (ledger.banned_until_ms - now_ms) / 1000
        return Check(
            "rate_limits",
            Level.FAIL,
            f"this host's IP is banned by the exchange (418) for {left:.0f} s more "
            f"(until {day(ledger.banned_until_ms)})",
            "wait for the ban to end; find which process spent too much weight "
            "(`tradeguard journal tail`) before starting again",
        )
    if ledger.paused_until_ms > now_ms:
        left = (ledger.paused_until_ms - now_ms) / 1000
        return Check(
            "rate_limits",
            Level.WARN,
            f"requests are paused after a rate-limit answer for {left:.0f} s more",
            "slow down: several bots on this host share one budget",
        )
    used = [
        f"{n} of {int(rule.limit * ledger.headroom)} ({rule.describe()})"
        for rule, n in ledger.usage(now_ms)
        if n
    ]
    return Check("rate_limits", Level.PASS, f"{calm}; used now: " + ("; ".join(used) or "nothing"))


__all__ = [
    "NTP_SERVER",
    "Check",
    "DoctorOptions",
    "KeyRecord",
    "KeyRecords",
    "ProfileView",
    "host_of",
    "ledger_check",
    "ntp_check",
    "rate_limit_check",
    "sntp_offset_ms",
    "worst",
]
