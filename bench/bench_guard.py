"""guard_order_cpu_us: client CPU per order from intent to acknowledged state through the whole
guard (validation, risk, stage caps, the intent committed to the journal, the transport, the
reply folded into state, the request and reply journaled), side by side with ccxt's
create_order and a bare aiohttp signed request, against one simulator process in one run.
The session runs without its user stream here: what the stream costs per fill is
fill_events_per_s (bench_fills), and an order's fills arrive after its acknowledgement.

guard_order_with_fills_cpu_us: the same with the user stream on, as a bot runs: each order's
executionReports and balance update read off the WebSocket, decoded, folded and journaled
too (three frames per market order), against the same baselines, which do none of it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import bench_transport
from bench_profile import bench_profile
from figures import Figure, timed_calls

ORDERS = 600
REPS = 3


async def _guard(target: dict[str, Any], n: int, *, stream: bool = False) -> float:
    from tradeguard.session.connect import connect

    profile = bench_profile(target, "guard")
    tg = await connect(profile, stream=stream)
    try:

        async def one(i: int) -> None:
            if i % 2 == 0:
                await tg.market_buy("BTC/USDT", qty="0.001")
            else:
                await tg.market_sell("BTC/USDT", qty="0.001")

        async def settle() -> None:  # the warm-up's stream events in before the clock starts
            await asyncio.sleep(0.2)

        async def fills_in() -> None:
            # wait for the stream to deliver this run's fills: part of the cost per order
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                filled = sum(1 for o in tg.ledger.orders.values() if o.fills)
                if filled >= n + 30:
                    break
                await asyncio.sleep(0.01)

        then = fills_in if stream else None
        cpu, _ = await timed_calls(one, n, warm_up=30, settle=settle, then=then)
        return cpu / n * 1e6
    finally:
        await tg.close(cancel_open=False)


async def _guard_with_fills(target: dict[str, Any], n: int) -> float:
    return await _guard(target, n, stream=True)


def run() -> list[Figure]:
    return bench_transport.against_baselines(
        {"guard_order_cpu_us": _guard, "guard_order_with_fills_cpu_us": _guard_with_fills},
        ORDERS,
        REPS,
    )
