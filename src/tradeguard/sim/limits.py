"""Binance's rate limits as a pure ledger: request weight and raw requests per IP, orders per
account, and the 429 → 418 ban ladder. Time is always an argument (`now_ms`).

    request weight   per IP, fixed one-minute windows aligned to the minute (as Binance's
                     X-MBX-USED-WEIGHT-1M counter resets on the minute)
    raw requests     per IP, fixed five-minute windows
    orders           per account, fixed 10-second and UTC-day windows; only successful orders
                     count (`count_order` after success; `admit_order` checks before)

Going over an IP limit gives 429 with Retry-After (seconds until the window resets) and opens a
pause until then. Any request from that IP during the pause is "continuing after a 429": it gets
418 and a ban of 2 minutes, doubling with each repeat up to 3 days. During a ban every request
from the IP gets 418 with Retry-After until the ban ends. A client that stays clean for a day
after its last ban starts again from 2 minutes. Rejected requests use no weight.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Final

from tradeguard.sim.rejects import Reject
from tradeguard.venues.binance import codes

SECOND_MS: Final = 1_000
MINUTE_MS: Final = 60 * SECOND_MS
DAY_MS: Final = 24 * 60 * MINUTE_MS


@dataclass(frozen=True, slots=True)
class RateLimits:
    request_weight_per_min: int = 6000
    orders_per_10s: int = 50
    orders_per_day: int = 160_000
    raw_requests_per_5min: int = 61_000
    first_ban_ms: int = 2 * MINUTE_MS
    max_ban_ms: int = 3 * DAY_MS
    forgive_after_ms: int = DAY_MS  # clean time after a ban that resets the ladder

    def __post_init__(self) -> None:
        for f in fields(self):
            name, value = f.name, getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"rate limit {name} must be a positive integer, got {value!r}")
        if self.first_ban_ms > self.max_ban_ms:
            raise ValueError("first_ban_ms cannot exceed max_ban_ms")


@dataclass(slots=True)
class _Window:
    """A counter over fixed windows of `length_ms`, aligned to multiples of it."""

    length_ms: int
    start_ms: int = -1
    count: int = 0

    # used and add are asked several times per order: the window's start is worked out inline.
    def used(self, now_ms: int) -> int:
        return self.count if now_ms - now_ms % self.length_ms == self.start_ms else 0

    def end(self, now_ms: int) -> int:
        return self._start(now_ms) + self.length_ms

    def add(self, now_ms: int, n: int) -> None:
        start = now_ms - now_ms % self.length_ms
        if start != self.start_ms:
            self.start_ms, self.count = start, 0
        self.count += n

    def _start(self, now_ms: int) -> int:
        return now_ms - now_ms % self.length_ms


@dataclass(slots=True)
class _IpState:
    weight: _Window = field(default_factory=lambda: _Window(MINUTE_MS))
    raw: _Window = field(default_factory=lambda: _Window(5 * MINUTE_MS))
    paused_until_ms: int = 0  # a 429 was sent; any request before this is "keeping going"
    banned_until_ms: int = 0
    bans: int = 0  # bans so far on the current ladder
    last_ban_ms: int = 0  # length of the most recent ban


@dataclass(slots=True)
class _AccountState:
    ten_s: _Window = field(default_factory=lambda: _Window(10 * SECOND_MS))
    day: _Window = field(default_factory=lambda: _Window(DAY_MS))


def _retry_after(until_ms: int, now_ms: int) -> dict[str, str]:
    # Round up: waiting the advertised seconds must always be enough.
    return {"Retry-After": str(max(1, -(-(until_ms - now_ms) // SECOND_MS)))}


class Ledger:
    def __init__(self, limits: RateLimits | None = None) -> None:
        self.limits = limits or RateLimits()
        self._ips: dict[str, _IpState] = {}
        self._accounts: dict[str, _AccountState] = {}

    # ── per IP ──────────────────────────────────────────────────────────────────────────
    # A state is made only for a new IP or account: setdefault(key, _IpState()) built one (and
    # its windows) for every request and threw it away, a few µs an order.
    def _ip_state(self, ip: str) -> _IpState:
        st = self._ips.get(ip)
        if st is None:
            st = self._ips[ip] = _IpState()
        return st

    def _account_state(self, account: str) -> _AccountState:
        st = self._accounts.get(account)
        if st is None:
            st = self._accounts[account] = _AccountState()
        return st

    def admit(self, ip: str, weight: int, now_ms: int) -> None:
        """Count one request of `weight` from `ip`, or raise Reject 429/418 (-1003)."""
        if weight < 0:
            raise ValueError(f"request weight cannot be negative, got {weight}")
        st = self._ip_state(ip)
        if now_ms < st.banned_until_ms:
            raise self._banned(st, now_ms)
        lim = self.limits
        if st.bans and now_ms - st.banned_until_ms >= lim.forgive_after_ms:
            st.bans = 0
        if now_ms < st.paused_until_ms:
            st.last_ban_ms = min(lim.first_ban_ms << min(st.bans, 40), lim.max_ban_ms)
            st.bans += 1
            st.banned_until_ms = now_ms + st.last_ban_ms
            st.paused_until_ms = 0
            raise self._banned(st, now_ms)
        if st.weight.used(now_ms) + weight > lim.request_weight_per_min:
            raise self._pause(
                st, st.weight.end(now_ms), now_ms, lim.request_weight_per_min, "1 MINUTE"
            )
        if st.raw.used(now_ms) + 1 > lim.raw_requests_per_5min:
            raise self._pause(st, st.raw.end(now_ms), now_ms, lim.raw_requests_per_5min, "5 MINUTE")
        st.weight.add(now_ms, weight)
        st.raw.add(now_ms, 1)

    def _pause(self, st: _IpState, until_ms: int, now_ms: int, limit: int, per: str) -> Reject:
        st.paused_until_ms = until_ms
        text = codes.msg(-1003, limit, per, variant=codes.WEIGHT_EXCEEDED)
        return Reject(-1003, text, 429, _retry_after(until_ms, now_ms))

    def _banned(self, st: _IpState, now_ms: int) -> Reject:
        text = codes.msg(-1003, st.banned_until_ms, variant=codes.IP_BANNED)
        return Reject(-1003, text, 418, _retry_after(st.banned_until_ms, now_ms))

    def banned_until(self, ip: str, now_ms: int) -> int | None:
        st = self._ips.get(ip)
        return st.banned_until_ms if st is not None and now_ms < st.banned_until_ms else None

    def used_weight(self, ip: str, now_ms: int) -> int:
        st = self._ips.get(ip)
        return st.weight.used(now_ms) if st is not None else 0

    # ── per account ─────────────────────────────────────────────────────────────────────
    def admit_order(self, account: str, ip: str, now_ms: int) -> None:
        """Raise Reject 429 -1015 if one more order would break an order limit; counts nothing.

        `ip` is unused: order limits are per account on Binance. It is kept for the contract.
        """
        del ip
        st = self._account_state(account)
        lim = self.limits
        for window, limit, per in (
            (st.ten_s, lim.orders_per_10s, "10 SECOND"),
            (st.day, lim.orders_per_day, "1 DAY"),
        ):
            if window.used(now_ms) + 1 > limit:
                text = codes.msg(-1015, limit, per)
                raise Reject(-1015, text, 429, _retry_after(window.end(now_ms), now_ms))

    def count_order(self, account: str, now_ms: int) -> None:
        """Count one successful order against the account's order limits."""
        st = self._account_state(account)
        st.ten_s.add(now_ms, 1)
        st.day.add(now_ms, 1)

    # ── views ───────────────────────────────────────────────────────────────────────────
    def headers(
        self, ip: str, account: str | None, now_ms: int, counted_order: bool = False
    ) -> dict[str, str]:
        """X-MBX-USED-WEIGHT-1M always; the order counts too after a successful order."""
        out = {"X-MBX-USED-WEIGHT-1M": str(self.used_weight(ip, now_ms))}
        if counted_order and account is not None:
            st = self._accounts.get(account) or _AccountState()
            out["X-MBX-ORDER-COUNT-10S"] = str(st.ten_s.used(now_ms))
            out["X-MBX-ORDER-COUNT-1D"] = str(st.day.used(now_ms))
        return out

    def rate_limits_json(self) -> list[dict[str, object]]:
        """exchangeInfo "rateLimits"."""
        lim = self.limits
        return [
            _limit("REQUEST_WEIGHT", "MINUTE", 1, lim.request_weight_per_min),
            _limit("ORDERS", "SECOND", 10, lim.orders_per_10s),
            _limit("ORDERS", "DAY", 1, lim.orders_per_day),
            _limit("RAW_REQUESTS", "MINUTE", 5, lim.raw_requests_per_5min),
        ]

    def order_usage_json(self, account: str, now_ms: int) -> list[dict[str, object]]:
        """GET /api/v3/rateLimit/order: the account's order limits with their current counts."""
        st = self._accounts.get(account) or _AccountState()
        lim = self.limits
        return [
            _limit("ORDERS", "SECOND", 10, lim.orders_per_10s, st.ten_s.used(now_ms)),
            _limit("ORDERS", "DAY", 1, lim.orders_per_day, st.day.used(now_ms)),
        ]

    def state_json(self, now_ms: int) -> dict[str, object]:
        """What the control endpoint shows: usage, pauses and bans as of `now_ms`."""
        ips: dict[str, object] = {}
        for ip, st in sorted(self._ips.items()):
            ips[ip] = {
                "used_weight_1m": st.weight.used(now_ms),
                "raw_requests_5m": st.raw.used(now_ms),
                "paused_until_ms": st.paused_until_ms if now_ms < st.paused_until_ms else None,
                "banned_until_ms": self.banned_until(ip, now_ms),
                "bans": st.bans,
                "last_ban_ms": st.last_ban_ms or None,
            }
        accounts = {
            acc: {"orders_10s": st.ten_s.used(now_ms), "orders_1d": st.day.used(now_ms)}
            for acc, st in sorted(self._accounts.items())
        }
        return {"limits": self.rate_limits_json(), "ips": ips, "accounts": accounts}

    def to_json(self, now_ms: int) -> dict[str, object]:
        """The same as state_json (the control API's name for it)."""
        return self.state_json(now_ms)

    def lift_bans(self) -> None:
        """Forget every pause, ban and ban ladder (the control API's "unban")."""
        for st in self._ips.values():
            st.paused_until_ms = st.banned_until_ms = st.bans = st.last_ban_ms = 0


def _limit(
    kind: str, interval: str, num: int, limit: int, count: int | None = None
) -> dict[str, object]:
    """One rateLimits entry; with `count`, its usage too (built at once: one dict, no merge)."""
    out: dict[str, object] = {
        "rateLimitType": kind,
        "interval": interval,
        "intervalNum": num,
        "limit": limit,
    }
    if count is not None:
        out["count"] = count
    return out
