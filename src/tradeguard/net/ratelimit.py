"""The rate-limit ledger: what a request may spend now, and how long to wait if not.

Pure: time arrives as milliseconds of exchange time. The ledger starts from exchangeInfo's
`rateLimits`, counts each request's weight and each order in fixed windows aligned as Binance
aligns them (a minute window resets at the minute), reconciles with the exchange's
`X-MBX-USED-WEIGHT-*` / `X-MBX-ORDER-COUNT-*` headers (the exchange sees other processes and
other tools on the same IP; we never count below what it reports), and answers *before* a
request would cross the headroom, rather than after an error. A 429 pauses everything for its
Retry-After; a 418 stops everything until the ban ends.

Several processes share one host budget through a small file (see hoststate.py). Going to that
file for every request costs more than the rest of the request path together, so a process
*leases* a slice of each window from the shared budget (`reserve`: the slice is counted as used
by everyone at once) and spends from its lease without touching the file (`take`) until the
lease runs out, the window rolls, or the file changes (another process saw a 429 or a 418).
A lease never lets the host pass the headroom: it is granted only from what is left; it is
topped up to one slice, never given a slice more, and a process that closes gives back what it
leased and did not spend (`release`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradeguard.errors import ConfigError

_INTERVAL_MS = {"SECOND": 1_000, "MINUTE": 60_000, "HOUR": 3_600_000, "DAY": 86_400_000}
_INTERVAL_LETTER = {"SECOND": "S", "MINUTE": "M", "HOUR": "H", "DAY": "D"}


class LimitKind(enum.StrEnum):
    REQUEST_WEIGHT = "REQUEST_WEIGHT"
    ORDERS = "ORDERS"
    RAW_REQUESTS = "RAW_REQUESTS"


@dataclass(frozen=True, slots=True)
class RateRule:
    kind: LimitKind
    interval: str  # SECOND | MINUTE | HOUR | DAY
    interval_num: int
    limit: int

    @property
    def interval_ms(self) -> int:
        return _INTERVAL_MS[self.interval] * self.interval_num

    @property
    def header(self) -> str | None:
        """The response header that reports this rule's usage, lower-cased."""
        suffix = f"{self.interval_num}{_INTERVAL_LETTER[self.interval]}".lower()
        if self.kind is LimitKind.REQUEST_WEIGHT:
            return f"x-mbx-used-weight-{suffix}"
        if self.kind is LimitKind.ORDERS:
            return f"x-mbx-order-count-{suffix}"
        return None

    def describe(self) -> str:
        unit = "orders" if self.kind is LimitKind.ORDERS else "weight"
        if self.kind is LimitKind.RAW_REQUESTS:
            unit = "requests"
        span = self.interval.lower()
        if self.interval_num != 1:  # "per 5 minutes", "per minute": read as a trader says it
            span = f"{self.interval_num} {span}s"
        return f"{self.limit} {unit} per {span}"


def rules_from_exchange_info(rate_limits: Iterable[Mapping[str, Any]]) -> list[RateRule]:
    """exchangeInfo's `rateLimits` entries as rules; an entry we cannot read is an error."""
    rules = []
    for entry in rate_limits:
        try:
            rules.append(
                RateRule(
                    kind=LimitKind(entry["rateLimitType"]),
                    interval=str(entry["interval"]),
                    interval_num=int(entry["intervalNum"]),
                    limit=int(entry["limit"]),
                )
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"exchangeInfo has a rate limit tradeguard cannot read: {entry!r}"
            ) from exc
        if rules[-1].interval not in _INTERVAL_MS or rules[-1].interval_num <= 0:
            raise ConfigError(f"exchangeInfo has a rate limit with a bad interval: {entry!r}")
    return rules


# Binance Spot's published limits, used until exchangeInfo has been read.
BINANCE_SPOT_DEFAULTS = (
    RateRule(LimitKind.REQUEST_WEIGHT, "MINUTE", 1, 6000),
    RateRule(LimitKind.ORDERS, "SECOND", 10, 50),
    RateRule(LimitKind.ORDERS, "DAY", 1, 160_000),
    RateRule(LimitKind.RAW_REQUESTS, "MINUTE", 5, 61_000),
)


@dataclass(slots=True)
class _Window:
    rule: RateRule
    interval_ms: int = 0
    allowed: int = 0  # the limit times the headroom
    start_ms: int = 0
    used: int = 0  # the host's count in this window: spent and leased, or what the exchange saw
    lease: int = 0  # units this process reserved in `used` and has not spent yet
    spent: int = 0  # what this process actually sent in this window (for peaks)
    label: str = ""
    header: str | None = None

    def roll(self, now_ms: int) -> None:
        start = now_ms - now_ms % self.interval_ms
        if start != self.start_ms:
            self.start_ms = start
            self.used = self.lease = self.spent = 0

    def cost(self, weight: int, orders: int) -> int:
        if self.rule.kind is LimitKind.REQUEST_WEIGHT:
            return weight
        if self.rule.kind is LimitKind.ORDERS:
            return orders
        return 1


@dataclass(slots=True)
class Wait:
    """Why and how long a request must wait; `seconds == 0` means go now."""

    seconds: float
    reason: str = ""
    banned: bool = False  # the wait is a 418 ban's (else a 429 pause's, or the budget's)


@dataclass(slots=True)
class RateLedger:
    rules: Sequence[RateRule] = BINANCE_SPOT_DEFAULTS
    headroom: Decimal = Decimal("0.8")  # the share of each limit this process lets itself use
    paused_until_ms: int = 0  # after a 429
    banned_until_ms: int = 0  # after a 418
    _windows: list[_Window] = field(default_factory=list)
    # Leases only once the exchange's own rules are known: a slice of Binance's published
    # defaults could be far more than a smaller real limit allows.
    _leasing: bool = False
    peak_used: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not Decimal("0") < self.headroom <= Decimal("1"):
            raise ConfigError(f"rate-limit headroom must be in (0, 1], got {self.headroom}")
        self._windows = [self._window(rule) for rule in self.rules]

    def _window(self, rule: RateRule) -> _Window:
        return _Window(
            rule, rule.interval_ms, int(rule.limit * self.headroom),
            label=_label(rule), header=rule.header,
        )  # fmt: skip

    def replace_rules(self, rules: Sequence[RateRule]) -> None:
        """Adopt exchangeInfo's rules, keeping the usage counted so far for matching rules."""
        old = {_key(w.rule): w for w in self._windows}
        self.rules = tuple(rules)
        self._leasing = True
        self._windows = []
        for rule in rules:
            previous = old.get(_key(rule))
            window = self._window(rule)
            if previous is not None:
                window.start_ms, window.used = previous.start_ms, previous.used
                window.lease, window.spent = previous.lease, previous.spent
            self._windows.append(window)

    def held(self, now_ms: int) -> Wait:
        """How long nothing at all may leave for the host: a ban (Binance's 418, Bybit's 403,
        Kraken's lockout), then a pause after a rate-limit answer (a 429, or its venue's kin)."""
        if now_ms < self.banned_until_ms:
            seconds = (self.banned_until_ms - now_ms) / 1000
            return Wait(seconds, "banned by the exchange for exceeding its rate limit", banned=True)
        if now_ms < self.paused_until_ms:
            return Wait((self.paused_until_ms - now_ms) / 1000, "paused after a rate-limit answer")
        return Wait(0.0)

    def wait(self, weight: int, orders: int, now_ms: int) -> Wait:
        """How long to wait before a request of this weight (and order count) may leave."""
        held = self.held(now_ms)
        if held.seconds > 0:
            return held
        longest = Wait(0.0)
        for window in self._windows:
            window.roll(now_ms)
            need = window.cost(weight, orders) - window.lease
            if need <= 0:
                continue
            allowed = window.allowed
            # A request larger than the whole allowance may still go into an empty window.
            if window.used + need > allowed and window.used > 0:
                seconds = (window.start_ms + window.interval_ms - now_ms) / 1000
                if seconds > longest.seconds:
                    longest = Wait(seconds, f"would pass {allowed} of {window.rule.describe()}")
        return longest

    def spend(self, weight: int, orders: int, now_ms: int) -> None:
        """Count a request that is about to leave (from the lease first)."""
        self.reserve(weight, orders, now_ms, lease_share=0)

    def reserve(self, weight: int, orders: int, now_ms: int, lease_share: int = 20) -> None:
        """Count a request that is about to leave, and top this process's lease in each window
        up to 1/`lease_share` of its allowance beyond it, from what the host has left (call
        after `wait` said 0). Topped up, never added to: one window's lease running out sends
        the process here while the others still hold theirs, and a slice more each time would
        hoard the host's budget (the day's orders) from every other process."""
        for window in self._windows:
            window.roll(now_ms)
            cost = window.cost(weight, orders)
            if cost == 0:
                continue
            need = max(0, cost - window.lease)
            left = window.lease + need - cost  # this process's lease once the request is paid
            spare = window.allowed - window.used - need
            share = window.allowed // lease_share if lease_share and self._leasing else 0
            extra = max(0, min(spare, share - left))
            window.used += need + extra
            window.lease = left + extra
            window.spent += cost
            self._note_peak(window)

    def release(self, now_ms: int) -> None:
        """Give back the lease this process holds and will not spend (it is closing): the
        host's count drops by it in each window that has not rolled, so bots started one after
        another do not each leave a slice of the day's budget behind."""
        for window in self._windows:
            if now_ms - window.start_ms < window.interval_ms:
                window.used = max(0, window.used - window.lease)
            window.lease = 0

    def refund(self, weight: int, orders: int, now_ms: int) -> None:
        """A request counted by `reserve` or `take` that never left (the connection did not
        open): its cost goes back to this process's lease, and out of the peak it raised, in
        each window that has not rolled since."""
        for window in self._windows:
            if now_ms - window.start_ms >= window.interval_ms:
                continue  # rolled: that window's count is gone anyway
            cost = min(window.cost(weight, orders), window.spent)
            if cost == 0:
                continue
            if self.peak_used.get(window.label) == window.spent:
                self.peak_used[window.label] = window.spent - cost
            window.lease += cost
            window.spent -= cost

    def take(self, weight: int, orders: int, now_ms: int) -> bool:
        """Spend from this process's lease if it covers the request in every window; no
        shared state is read. False means: go through `wait`/`reserve` under the host lock."""
        if now_ms < self.paused_until_ms or now_ms < self.banned_until_ms:
            return False
        windows = self._windows
        for window in windows:
            if now_ms - window.start_ms >= window.interval_ms:
                return False  # the window rolled: the lease is gone
            if window.lease < window.cost(weight, orders):
                return False
        for window in windows:
            cost = window.cost(weight, orders)
            window.lease -= cost
            window.spent += cost
            if window.spent > self.peak_used.get(window.label, 0):
                self.peak_used[window.label] = window.spent
        return True

    def observe_headers(self, headers: Mapping[str, str], now_ms: int) -> None:
        """Take the exchange's count where it is higher than ours (others share our IP)."""
        for window in self._windows:
            name = window.header
            if name is None:
                continue
            value = headers.get(name)
            if value is None:
                continue
            try:
                reported = int(value)
            except ValueError:
                continue
            window.roll(now_ms)
            if reported > window.used - window.lease:
                # Someone else spends on this IP: what we leased may no longer be there.
                window.lease = max(0, min(window.lease, window.allowed - reported))
                window.used = reported + window.lease
            if reported > self.peak_used.get(window.label, 0):
                self.peak_used[window.label] = reported

    def observe_pause(self, retry_after_s: float, now_ms: int) -> None:
        """A 429: nothing leaves before Retry-After has passed."""
        self.paused_until_ms = max(self.paused_until_ms, now_ms + int(retry_after_s * 1000))

    def observe_ban(self, until_ms: int) -> None:
        """A 418: nothing leaves before the ban ends."""
        self.banned_until_ms = max(self.banned_until_ms, until_ms)

    def snapshot(self) -> dict[str, Any]:
        """The state other processes on this host need: windows, pause and ban."""
        return {
            "banned_until_ms": self.banned_until_ms,
            "paused_until_ms": self.paused_until_ms,
            "windows": {w.label: [w.start_ms, w.used] for w in self._windows},
        }

    def merge(self, snapshot: Mapping[str, Any]) -> None:
        """Adopt another process's view where it is stricter: later pauses and bans, and the
        higher usage of the same window (each process writes back the host's running total)."""
        self.banned_until_ms = max(self.banned_until_ms, int(snapshot.get("banned_until_ms", 0)))
        self.paused_until_ms = max(self.paused_until_ms, int(snapshot.get("paused_until_ms", 0)))
        windows = snapshot.get("windows", {})
        for window in self._windows:
            entry = windows.get(window.label)
            if not entry:
                continue
            start, used = int(entry[0]), int(entry[1])
            if start > window.start_ms:
                window.start_ms, window.used = start, used
                window.lease = window.spent = 0
            elif start == window.start_ms and used > window.used:
                window.used = used

    def usage(self, now_ms: int) -> list[tuple[RateRule, int]]:
        """Each rule and the host's count in its current window, leases excluded."""
        result = []
        for window in self._windows:
            window.roll(now_ms)
            result.append((window.rule, window.used - window.lease))
        return result

    def peaks(self) -> list[tuple[RateRule, int]]:
        """Each rule and the most this process (or the exchange's headers) saw in one window."""
        return [(w.rule, self.peak_used.get(w.label, 0)) for w in self._windows]

    def _note_peak(self, window: _Window) -> None:
        if window.spent > self.peak_used.get(window.label, 0):
            self.peak_used[window.label] = window.spent


def _label(rule: RateRule) -> str:
    return f"{rule.kind.value}/{rule.interval_num}{rule.interval}"


def _key(rule: RateRule) -> tuple[LimitKind, str, int]:
    return (rule.kind, rule.interval, rule.interval_num)
