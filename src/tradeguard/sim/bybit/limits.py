"""Bybit's rate limits as a pure ledger (time is an argument): per IP, and per UID per endpoint.

    IP       600 requests per 5-second window on every REST path; going over answers HTTP 403
             ("access too frequent") and bans the IP for 10 minutes, every request 403 meanwhile
    UID      a per-second budget per account and endpoint (spot: order create/cancel 20/s,
             order and execution queries 10/s, wallet 50/s); going over answers retCode 10006
             "Too many visits!" and nothing is done

Every signed reply carries X-Bapi-Limit (the endpoint's budget), X-Bapi-Limit-Status (what is
left of it this second) and X-Bapi-Limit-Reset-Timestamp (when the window resets, ms).

The simulator's `[limits]` table (limits.RateLimits, Binance's names) caps these, so tests and
sim.toml can lower them: `raw_requests_per_5min` caps the IP's requests per 5 s,
`orders_per_10s` caps the trading endpoints' per-second budget, `request_weight_per_min` caps
every other budget, and `first_ban_ms` caps the IP ban. The defaults of `[limits]` are far
above Bybit's numbers, so an unchanged configuration gives Bybit's own limits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from tradeguard.sim.bybit.errors import TOO_MANY_VISITS, BybitError
from tradeguard.sim.limits import RateLimits

SECOND_MS: Final = 1_000
IP_WINDOW_MS: Final = 5_000


@dataclass(frozen=True, slots=True)
class BybitLimits:
    ip_requests_per_5s: int = 600
    ip_ban_ms: int = 600_000
    per_second: dict[str, int] = field(
        default_factory=lambda: {"trade": 20, "query": 10, "wallet": 50, "account": 10}
    )

    @classmethod
    def capped_by(cls, limits: RateLimits) -> BybitLimits:
        """Bybit's limits, each lowered to what the simulator's `[limits]` allows."""
        d = cls()
        per_second = {
            group: min(
                budget, limits.orders_per_10s if group == "trade" else limits.request_weight_per_min
            )
            for group, budget in d.per_second.items()
        }
        return cls(
            ip_requests_per_5s=min(d.ip_requests_per_5s, limits.raw_requests_per_5min),
            ip_ban_ms=min(d.ip_ban_ms, limits.first_ban_ms),
            per_second=per_second,
        )


@dataclass(slots=True)
class _Window:
    start_ms: int = -1
    count: int = 0

    def used(self, now_ms: int, length_ms: int) -> int:
        return self.count if now_ms - now_ms % length_ms == self.start_ms else 0

    def add(self, now_ms: int, length_ms: int) -> None:
        start = now_ms - now_ms % length_ms
        if start != self.start_ms:
            self.start_ms, self.count = start, 0
        self.count += 1


class IpBanned(Exception):
    """The IP went over its limit or is banned: HTTP 403, no JSON body."""


class BybitLedger:
    def __init__(self, limits: BybitLimits) -> None:
        self.limits = limits
        self._ips: dict[str, _Window] = {}
        self._banned_until: dict[str, int] = {}
        self._uids: dict[tuple[str, str], _Window] = {}

    def admit_ip(self, ip: str, now_ms: int) -> None:
        """Count one request from `ip`, or raise IpBanned."""
        if now_ms < self._banned_until.get(ip, 0):
            raise IpBanned
        window = self._ips.setdefault(ip, _Window())
        if window.used(now_ms, IP_WINDOW_MS) >= self.limits.ip_requests_per_5s:
            self._banned_until[ip] = now_ms + self.limits.ip_ban_ms
            raise IpBanned
        window.add(now_ms, IP_WINDOW_MS)

    def admit(self, account: str, path: str, group: str, now_ms: int) -> dict[str, str]:
        """Count one request of `account` on `path`; its limit headers, or BybitError 10006."""
        budget = self.limits.per_second[group]
        window = self._uids.setdefault((account, path), _Window())
        used = window.used(now_ms, SECOND_MS)
        if used >= budget:
            raise BybitError(TOO_MANY_VISITS, headers=self._headers(budget, 0, now_ms))
        window.add(now_ms, SECOND_MS)
        return self._headers(budget, budget - used - 1, now_ms)

    @staticmethod
    def _headers(budget: int, left: int, now_ms: int) -> dict[str, str]:
        return {
            "X-Bapi-Limit": str(budget),
            "X-Bapi-Limit-Status": str(left),
            "X-Bapi-Limit-Reset-Timestamp": str(now_ms - now_ms % SECOND_MS + SECOND_MS),
        }

    def lift_bans(self) -> None:
        self._banned_until.clear()

    def state_json(self, now_ms: int) -> dict[str, object]:
        return {
            "ip_requests_per_5s": self.limits.ip_requests_per_5s,
            "per_second": dict(self.limits.per_second),
            "banned_until_ms": {ip: t for ip, t in self._banned_until.items() if now_ms < t},
        }
