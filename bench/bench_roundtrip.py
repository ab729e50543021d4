"""order_roundtrip_us_p50 / _p99: wall time of one market order, from the call to its
acknowledged reply, on loopback against one simulator process, in one run:

- the guard with `order_transport = "ws"` (orders over Binance's WebSocket API): the figure;
- the guard with `order_transport = "rest"` (its own HTTP/1.1 keep-alive client);
- the guard with `order_transport = "fix"` (Binance's FIX order entry over TLS, an Ed25519 key;
  the simulator's start line names its fix_url and the throwaway certificate, fix_ca_pem, which
  the profile trusts through fix_url and fix_ca_file as a standalone simulator's user would);
- python-binance's AsyncClient.create_order and ccxt's create_order (REST, rate limiter off):
  the baselines (target: the WebSocket API's p50 at most half ccxt's);
- a bare aiohttp WebSocket client sending signed order.place frames: the floor, what the
  simulator and the loopback cost before any client does anything.

Each runner places ORDERS orders one after the other (buy, sell, ...), after a warm-up; the
runners take turns, REPS times; p50 and p99 are taken over every order of a runner's turns.
The guard runs without its user stream (an order's fills come after its acknowledgement; what
the stream costs is bench_fills and guard_order_with_fills_cpu_us).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from figures import Figure
from spawn import server

ORDERS = 500
REPS = 3
WARM_UP = 30

Runner = Callable[[dict[str, Any], int], Awaitable[list[float]]]
OneOrder = Callable[[int], Awaitable[object]]


async def _timed(one: OneOrder, n: int) -> list[float]:
    for i in range(WARM_UP):
        await one(i)
    samples = []
    for i in range(n):
        started = time.perf_counter_ns()
        await one(i)
        samples.append((time.perf_counter_ns() - started) / 1000)
    return samples


async def _guard(target: dict[str, Any], n: int, transport: str) -> list[float]:
    from tradeguard.keys.credentials import CredentialsSpec
    from tradeguard.profile.profiles import Limits, Profile
    from tradeguard.session.connect import connect

    home = Path(tempfile.mkdtemp(prefix="tg-bench-roundtrip-"))
    os.environ["XDG_STATE_HOME"] = str(home / "state")
    fix: dict[str, Any] = {}
    if transport == "fix":  # FIX logs on with Ed25519 keys only
        os.environ["TG_BENCH_KEY"] = target["ed25519_api_key"]
        os.environ["TG_BENCH_PEM"] = target["ed25519_private_key"]
        credentials = CredentialsSpec(
            "bench", "env", "TG_BENCH_KEY", private_key="TG_BENCH_PEM", kind="ED25519"
        )
        (home / "sim-ca.pem").write_text(target["fix_ca_pem"])
        fix = {"fix_url": target["fix_url"], "fix_ca_file": home / "sim-ca.pem"}
    else:
        os.environ["TG_BENCH_KEY"] = target["api_key"]
        os.environ["TG_BENCH_SECRET"] = target["secret"]
        credentials = CredentialsSpec("bench", "env", "TG_BENCH_KEY", secret="TG_BENCH_SECRET")
    profile = Profile(
        name="bench",
        env="testnet",
        base_url=target["base_url"],
        journal=f"sqlite://{home / 'bench.db'}",
        credentials=credentials,
        limits=Limits(max_orders_per_minute=10**6, max_order_notional=Decimal(10**6),
                      max_position_notional=Decimal(10**9), daily_loss=Decimal(10**9),
                      drawdown_from_peak=Decimal(10**9)),
        order_transport=transport,  # type: ignore[arg-type]
        **fix,
    )  # fmt: skip
    tg = await connect(profile, stream=False)
    try:

        async def one(i: int) -> object:
            if i % 2 == 0:
                return await tg.market_buy("BTC/USDT", qty="0.001")
            return await tg.market_sell("BTC/USDT", qty="0.001")

        return await _timed(one, n)
    finally:
        await tg.close(cancel_open=False)


async def _guard_ws(target: dict[str, Any], n: int) -> list[float]:
    return await _guard(target, n, "ws")


async def _guard_rest(target: dict[str, Any], n: int) -> list[float]:
    return await _guard(target, n, "rest")


async def _guard_fix(target: dict[str, Any], n: int) -> list[float]:
    return await _guard(target, n, "fix")


async def _python_binance(target: dict[str, Any], n: int) -> list[float]:
    from binance.async_client import AsyncClient

    base = target["base_url"]
    local = type(
        "LocalAsyncClient",
        (AsyncClient,),
        {
            "API_URL": f"{base}/api",
            "MARGIN_API_URL": f"{base}/sapi",
            "WS_API_URL": base.replace("http", "ws", 1) + "/ws-api/v3",
        },
    )
    client = await local.create(target["api_key"], target["secret"])
    try:

        async def one(i: int) -> object:
            return await client.create_order(
                symbol="BTCUSDT", side="BUY" if i % 2 == 0 else "SELL", type="MARKET",
                quantity="0.001",
            )  # fmt: skip

        return await _timed(one, n)
    finally:
        await client.close_connection()


async def _ccxt(target: dict[str, Any], n: int) -> list[float]:
    import ccxt.async_support as ccxt_async

    ex = ccxt_async.binance(
        {
            "apiKey": target["api_key"],
            "secret": target["secret"],
            "enableRateLimit": False,
            "options": {"fetchCurrencies": False, "fetchMarkets": {"types": ["spot"]},
                        "fetchMargins": False},
        }
    )  # fmt: skip
    ex.urls["api"]["public"] = ex.urls["api"]["private"] = f"{target['base_url']}/api/v3"
    try:
        await ex.load_markets()

        async def one(i: int) -> object:
            side = "buy" if i % 2 == 0 else "sell"
            return await ex.create_order("BTC/USDT", "market", side, 0.001)

        return await _timed(one, n)
    finally:
        await ex.close()


async def _raw_ws(target: dict[str, Any], n: int) -> list[float]:
    """The floor: a bare aiohttp WebSocket client sending signed order.place frames."""
    import aiohttp

    url = target["base_url"].replace("http", "ws", 1) + "/ws-api/v3"
    secret = target["secret"].encode()
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:

        async def one(i: int) -> object:
            params: dict[str, Any] = {
                "apiKey": target["api_key"],
                "newClientOrderId": f"raw-{i}-{time.perf_counter_ns()}",
                "newOrderRespType": "RESULT",
                "quantity": "0.001",
                "side": "BUY" if i % 2 == 0 else "SELL",
                "symbol": "BTCUSDT",
                "timestamp": time.time_ns() // 1_000_000,
                "type": "MARKET",
            }
            payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
            params["signature"] = hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()
            await ws.send_str(json.dumps({"id": i, "method": "order.place", "params": params}))
            return await ws.receive_json()

        return await _timed(one, n)


def percentile(samples: list[float], pct: float) -> float:
    """The nearest-rank percentile of `samples`."""
    ordered = sorted(samples)
    rank = max(1, round(pct / 100 * len(ordered)))
    return ordered[rank - 1]


RUNNERS: dict[str, Runner] = {
    "guard_ws": _guard_ws,
    "guard_rest": _guard_rest,
    "guard_fix": _guard_fix,
    "python_binance_rest": _python_binance,
    "ccxt_rest": _ccxt,
    "raw_aiohttp_ws": _raw_ws,
}


def run() -> list[Figure]:
    samples: dict[str, list[float]] = {name: [] for name in RUNNERS}
    with server("sim") as target:
        for _ in range(REPS):
            for name, runner in RUNNERS.items():
                samples[name] += asyncio.run(runner(target, ORDERS))
    figures = []
    for pct in (50, 99):
        at = {name: percentile(values, pct) for name, values in samples.items()}
        metric = f"order_roundtrip_us_p{pct}"
        for baseline in ("ccxt_rest", "python_binance_rest", "guard_rest", "raw_aiohttp_ws"):
            figures.append(Figure(metric, at["guard_ws"], "us", baseline, at[baseline]))
        figures.append(
            Figure(f"{metric}_rest", at["guard_rest"], "us", "ccxt_rest", at["ccxt_rest"])
        )
        for baseline in ("guard_ws", "guard_rest", "ccxt_rest"):
            figures.append(Figure(f"{metric}_fix", at["guard_fix"], "us", baseline, at[baseline]))
    return figures
