"""One bot process for the shared-budget test: reads its account until the limiter says no.

Run as `python -m tests.transport.budget_worker BASE_URL API_KEY SECRET STATE_DIR N`; prints
one JSON line: how many reads went out, how many the limiter refused locally, and the wall
clock's minute of each request sent (weight limits are windows aligned to the minute).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from tradeguard.errors import RateLimited
from tradeguard.keys.credentials import ApiCredentials, Secret
from tradeguard.net.clock import SYSTEM
from tradeguard.net.hoststate import HostState
from tradeguard.venues.binance.client import BinanceTransport, TransportConfig


def _minute() -> int:
    return SYSTEM.wall_ms() // 60_000


async def work(base_url: str, api_key: str, secret: str, state_dir: str, n: int) -> dict[str, Any]:
    sent = refused = 0
    minutes: list[int] = []  # one per request sent, exchangeInfo first
    config = TransportConfig(max_local_wait_s=0.5, max_attempts=1)
    async with BinanceTransport(
        base_url,
        ApiCredentials(api_key, Secret(secret)),
        config=config,
        host_state=HostState("shared", Path(state_dir)),
    ) as venue:
        minutes.append(_minute())
        await venue.load_rate_limits()
        for _ in range(n):
            minute = _minute()
            try:
                await venue.balances()
                sent += 1
                minutes.append(minute)
            except RateLimited as exc:
                if exc.http_status == 418 or "not sent" not in exc.msg:
                    raise  # the exchange refused: the shared budget failed
                refused += 1
    return {"sent": sent, "refused": refused, "minutes": minutes}


if __name__ == "__main__":
    base_url, api_key, secret, state_dir, n = sys.argv[1:6]
    print(json.dumps(asyncio.run(work(base_url, api_key, secret, state_dir, int(n)))))
