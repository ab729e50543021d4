"""guard_order_cpu_us_ccxt_venue: client CPU per order through the whole guard on Bybit and OKX
(the session, CcxtVenue, ccxt underneath, and the session's user stream, as a bot runs: these
venues answer an order with its ids only, so the stream is what tells the guard the order
filled), against a simulator process speaking that venue's dialect, side by side in the same
run with:

    ccxt            ccxt's own create_order on the same dialect (same URLs and options, ccxt's
                    throttle off): the target is the guard at most 1.3x this
    ccxt_watching   create_order while ccxt.pro's watch_orders and watch_my_trades read the
                    same account's private stream: what a ccxt bot that learns its fills
                    spends, so the ratio to this one is the guard's own overhead

The dialects cap their limits at the venues' own (Bybit 20 orders/s per account, OKX 60 per
2 s), so every runner is paced at PACE orders/s; CPU, not wall time, is measured (the process's,
every thread), and the pacing sleeps cost every runner alike. Kraken is left out: its dialect's
request counter (decaying a third of a request per second, as Kraken's does) would make a run
take half an hour.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from bench_profile import bench_profile
from figures import Figure, median
from spawn import server

VENUES = ("bybit", "okx")
ORDERS = 150
REPS = 3
PACE = 8.0  # orders per second, under both dialects' order limits


async def _paced_cpu(one: Any, n: int) -> float:
    for i in range(10):  # warm-up
        await one(i)
        await asyncio.sleep(1 / PACE)
    start = time.process_time()
    due = time.monotonic()
    for i in range(n):
        due += 1 / PACE
        await one(i)
        await asyncio.sleep(max(0.0, due - time.monotonic()))
    return (time.process_time() - start) / n * 1e6


async def _guard(venue: str, target: dict[str, Any], n: int) -> float:
    from tradeguard.session.connect import connect

    profile = bench_profile(target, "venue", venue)
    tg = await connect(profile)
    try:

        async def one(i: int) -> None:
            if i % 2 == 0:
                await tg.market_buy("BTC/USDT", qty="0.001")
            else:
                await tg.market_sell("BTC/USDT", qty="0.001")

        return await _paced_cpu(one, n)
    finally:
        await tg.close(cancel_open=False)


def _exchange(venue: str, target: dict[str, Any]) -> Any:
    import ccxt.pro as ccxtpro

    from tradeguard.keys.credentials import ApiCredentials, Secret
    from tradeguard.venues.ccxt.adapters import adapter_for

    passphrase = target.get("passphrase")
    creds = ApiCredentials(
        target["api_key"],
        Secret(target["secret"]),
        passphrase=Secret(passphrase) if passphrase else None,
    )
    adapter = adapter_for(venue)
    return adapter, getattr(ccxtpro, venue)(adapter.config(target["base_url"], None, creds))


async def _ccxt(venue: str, target: dict[str, Any], n: int, *, watch: bool = False) -> float:
    adapter, ex = _exchange(venue, target)
    watchers: list[asyncio.Task[None]] = []
    try:
        await ex.load_markets()
        if watch:
            watchers = [
                asyncio.create_task(_drain(w)) for w in (ex.watch_orders, ex.watch_my_trades)
            ]
            await asyncio.sleep(1.0)  # subscribed before the first order
        stamp, ids = time.time_ns() % 10**9, itertools.count()

        async def one(i: int) -> None:
            coid = adapter.client_id(f"b{stamp}x{next(ids)}")
            side = "buy" if i % 2 == 0 else "sell"
            await ex.create_order(
                "BTC/USDT", "market", side, "0.001", None, {"clientOrderId": coid}
            )

        return await _paced_cpu(one, n)
    finally:
        for task in watchers:
            task.cancel()
        await ex.close()


async def _drain(watch: Any) -> None:
    while True:
        await watch()


async def _ccxt_watching(venue: str, target: dict[str, Any], n: int) -> float:
    return await _ccxt(venue, target, n, watch=True)


def run() -> list[Figure]:
    figures = []
    runners = {"guard": _guard, "ccxt": _ccxt, "ccxt_watching": _ccxt_watching}
    for venue in VENUES:
        results: dict[str, list[float]] = {name: [] for name in runners}
        with server("sim", venue) as target:
            for _ in range(REPS):
                for name, runner in runners.items():
                    results[name].append(asyncio.run(runner(venue, target, ORDERS)))
        guard = median(results["guard"])
        metric = f"guard_order_cpu_us_ccxt_venue_{venue}"
        figures.append(Figure(metric, guard, "us", "ccxt", median(results["ccxt"])))
        figures.append(
            Figure(metric, guard, "us", "ccxt_watching", median(results["ccxt_watching"]))
        )
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure.describe())
