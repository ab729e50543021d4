"""session_idle_cpu_ms_per_s: the CPU a connected session spends each second while the bot
places nothing (its timers, the journal's group-commit tick, the kill-switch watch, the user
stream's watchdog and pings), on Binance and on Bybit, each against a simulator process in that
venue's dialect, side by side in the same run with its baseline:

    ccxt_watching   (Bybit) a ccxt.pro exchange on the same dialect with watch_orders running:
                    what a ccxt bot pays just to stay connected and hear its orders
    idle_loop       (Binance, which tradeguard does not reach through ccxt) an asyncio loop
                    that only sleeps: the floor of any asyncio bot

Why it matters: bench_venues paces orders at 8/s, so each ms of idle CPU per second adds
125 us to every order there; and an idle bot on a small VPS pays it all day.
CPU is the process's (every thread), over IDLE_S seconds after SETTLE_S to settle.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench_profile import bench_profile
from figures import Figure
from spawn import server

VENUES = ("binance", "bybit")
SETTLE_S = 3.0
IDLE_S = 20.0


async def _idle_cpu_ms_per_s() -> float:
    await asyncio.sleep(SETTLE_S)
    start = time.process_time()
    await asyncio.sleep(IDLE_S)
    return (time.process_time() - start) / IDLE_S * 1e3


async def _session(venue: str, target: dict[str, Any]) -> float:
    from tradeguard.session.connect import connect

    profile = bench_profile(target, "idle", venue)
    tg = await connect(profile)
    try:
        return await _idle_cpu_ms_per_s()
    finally:
        await tg.close(cancel_open=False)


async def _ccxt_watching(venue: str, target: dict[str, Any]) -> float:
    from bench_venues import _exchange

    _, ex = _exchange(venue, target)
    try:
        await ex.load_markets()
        watcher = asyncio.create_task(_drain(ex.watch_orders))
        try:
            return await _idle_cpu_ms_per_s()
        finally:
            watcher.cancel()
    finally:
        await ex.close()


async def _drain(watch: Any) -> None:
    while True:
        await watch()


async def _idle_loop(venue: str, target: dict[str, Any]) -> float:
    return await _idle_cpu_ms_per_s()


def run() -> list[Figure]:
    figures = []
    for venue in VENUES:
        name, baseline = ("idle_loop", _idle_loop) if venue == "binance" else (
            "ccxt_watching", _ccxt_watching)  # fmt: skip
        with server("sim", venue) as target:
            session = asyncio.run(_session(venue, target))
            base = asyncio.run(baseline(venue, target))
        metric = f"session_idle_cpu_ms_per_s_{venue}"
        figures.append(Figure(metric, session, "ms/s", name, base))
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure.describe())
