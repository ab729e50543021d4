"""OKX's rate limits: so many requests per endpoint per 2 seconds, per user (private
endpoints) or per IP (public ones). Going over answers HTTP 429 `{"code":"50011"}`; there is no
ban ladder as Binance has. Windows are fixed and aligned to even seconds.

The numbers are OKX's published ones [D okx.com/docs-v5, each endpoint's "Rate Limit"], kept
per endpoint rather than per instrument. `set_limit` lowers one (tests do); `reset` forgets the
counts (a simulator reset does).
"""

from __future__ import annotations

from typing import Final

from tradeguard.sim.okx.errors import OkxReject

WINDOW_MS: Final = 2_000

DEFAULT_PER_2S: Final[dict[str, int]] = {
    "GET /api/v5/public/time": 10,
    "GET /api/v5/public/instruments": 20,
    "GET /api/v5/account/balance": 10,
    "GET /api/v5/account/config": 5,
    "POST /api/v5/trade/order": 60,
    "POST /api/v5/trade/batch-orders": 300,  # counted per order in the batch
    "POST /api/v5/trade/cancel-order": 60,
    "GET /api/v5/trade/order": 60,
    "GET /api/v5/trade/orders-pending": 60,
    "GET /api/v5/trade/orders-history": 40,
    "GET /api/v5/trade/fills": 60,
    "GET /api/v5/trade/fills-history": 10,
    "POST /api/v5/trade/order-algo": 20,
    "POST /api/v5/trade/cancel-algos": 20,
    "GET /api/v5/trade/order-algo": 20,
    "GET /api/v5/trade/orders-algo-pending": 20,
    "GET /api/v5/trade/orders-algo-history": 20,
}


class Limiter:
    def __init__(self) -> None:
        self.per_2s = dict(DEFAULT_PER_2S)
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}  # -> (window start, used)

    def set_limit(self, route: str, per_2s: int) -> None:
        """Change one endpoint's allowance ("POST /api/v5/trade/batch-orders")."""
        if route not in self.per_2s:
            raise ValueError(f"no rate limit named {route!r}; known: {', '.join(self.per_2s)}")
        if per_2s < 1:
            raise ValueError(f"a rate limit is at least 1 per 2 s, got {per_2s}")
        self.per_2s[route] = per_2s

    def reset(self) -> None:
        self._counts.clear()

    def admit(self, who: str, route: str, now_ms: int, n: int = 1) -> None:
        """Count `n` uses of `route` by `who`, or raise 429 50011 (counting nothing)."""
        limit = self.per_2s.get(route)
        if limit is None:
            return
        start = now_ms - now_ms % WINDOW_MS
        window, used = self._counts.get((who, route), (start, 0))
        if window != start:
            used = 0
        if used + n > limit:
            raise OkxReject("50011", None, 429)
        self._counts[(who, route)] = (start, used + n)
