"""guard_order_cpu_us: client CPU per order from intent to acknowledged state through the whole
guard (validation, risk, stage caps, the durable intent in the journal, the transport, the
reply folded into state, the request and reply journaled, and the user stream's
executionReports for the same order decoded, folded and journaled), side by side with ccxt's
create_order and a bare aiohttp signed request, against one simulator process in one run.

The guard does more than either baseline on purpose (a durable journal commit per intent is
most of it); the figure says what that safety costs.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import bench_transport
from figures import Figure

ORDERS = 600
REPS = 3


async def _guard(target: dict[str, Any], n: int) -> float:
    from tradeguard.connect import connect
    from tradeguard.credentials import CredentialsSpec
    from tradeguard.profile import Limits, Profile

    os.environ["TG_BENCH_KEY"] = target["api_key"]
    os.environ["TG_BENCH_SECRET"] = target["secret"]
    home = Path(tempfile.mkdtemp(prefix="tg-bench-guard-"))
    os.environ["XDG_STATE_HOME"] = str(home / "state")
    profile = Profile(
        name="bench",
        env="testnet",
        base_url=target["base_url"],
        journal=f"sqlite://{home / 'bench.db'}",
        credentials=CredentialsSpec("bench", "env", "TG_BENCH_KEY", secret="TG_BENCH_SECRET"),
        limits=Limits(max_orders_per_minute=10**6, max_order_notional=Decimal(10**6),
                      max_position_notional=Decimal(10**9), daily_loss=Decimal(10**9),
                      drawdown_from_peak=Decimal(10**9)),
    )  # fmt: skip
    tg = await connect(profile)
    try:

        async def one(i: int) -> None:
            if i % 2 == 0:
                await tg.market_buy("BTC/USDT", qty="0.001")
            else:
                await tg.market_sell("BTC/USDT", qty="0.001")

        for i in range(30):
            await one(i)
        await asyncio.sleep(0.2)  # the warm-up's stream events in before the clock starts
        start = time.process_time()
        for i in range(n):
            await one(i)
        # wait for the stream to deliver this run's fills: part of the cost per order
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            filled = sum(1 for o in tg.ledger.orders.values() if o.fills)
            if filled >= n + 30:
                break
            await asyncio.sleep(0.01)
        return (time.process_time() - start) / n * 1e6
    finally:
        await tg.close(cancel_open=False)


def run() -> list[Figure]:
    return bench_transport.against_baselines("guard_order_cpu_us", _guard, ORDERS, REPS)
