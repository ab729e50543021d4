"""transport_order_cpu_us: client CPU per signed order round trip against the simulator, for
tradeguard's transport, a bare aiohttp signed request, and ccxt's create_order (rate limiter
off), all against one simulator process in one run.

transport_order_cpu_us_ws: the same transport with `order_transport = "ws"` (the order over
Binance's WebSocket API: ledger, frame signed, reply matched, report parsed), against a bare
aiohttp WebSocket client sending signed order.place frames; the session's work is not in it
(bench_roundtrip measures the whole guard).

CPU, not wall time: the server's share of the machine is the same for all three, and what the
transport adds (limiter, clock, signing, parsing, error classification) is client CPU.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from figures import Figure, median
from spawn import server

ORDERS = 1000
REPS = 3

Runner = Callable[[dict[str, Any], int], Awaitable[float]]


async def _raw(target: dict[str, Any], n: int) -> float:
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        url = f"{target['base_url']}/api/v3/order"
        headers = {"X-MBX-APIKEY": target["api_key"],
                   "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
        secret = target["secret"].encode()

        async def one(i: int) -> None:
            params = {
                "symbol": "BTCUSDT",
                "side": "BUY" if i % 2 == 0 else "SELL",
                "type": "MARKET",
                "quantity": "0.001",
                "newClientOrderId": f"raw-{i}-{time.perf_counter_ns()}",
                "newOrderRespType": "RESULT",
                "recvWindow": "5000",
                "timestamp": str(time.time_ns() // 1_000_000),
            }
            payload = urlencode(params)
            signature = hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()
            async with session.post(
                url, data=f"{payload}&signature={signature}", headers=headers
            ) as reply:
                json.loads(await reply.read())

        return await _cpu_per_call(one, n)


async def _tradeguard(target: dict[str, Any], n: int) -> float:
    from tradeguard.keys.credentials import ApiCredentials, Secret
    from tradeguard.model import OrderType, Side
    from tradeguard.net.hoststate import HostState
    from tradeguard.venues.binance.client import BinanceTransport
    from tradeguard.venues.binance.endpoints import NewOrder

    creds = ApiCredentials(target["api_key"], Secret(target["secret"]))
    state = HostState("bench", Path(tempfile.mkdtemp()))
    async with BinanceTransport(target["base_url"], creds, host_state=state) as venue:
        await venue.sync_clock()
        await venue.load_rate_limits()

        async def one(i: int) -> None:
            side = Side.BUY if i % 2 == 0 else Side.SELL
            await venue.place_order(
                NewOrder("BTCUSDT", side, OrderType.MARKET, f"tg-{i}-{time.perf_counter_ns()}",
                         Decimal("0.001"))
            )  # fmt: skip

        return await _cpu_per_call(one, n)


async def _tradeguard_ws(target: dict[str, Any], n: int) -> float:
    from tradeguard.keys.credentials import ApiCredentials, Secret
    from tradeguard.model import OrderType, Side
    from tradeguard.net.hoststate import HostState
    from tradeguard.venues.binance.client import BinanceTransport
    from tradeguard.venues.binance.endpoints import NewOrder
    from tradeguard.venues.binance.wsapi import WsOrderWire

    creds = ApiCredentials(target["api_key"], Secret(target["secret"]))
    state = HostState("bench-ws", Path(tempfile.mkdtemp()))
    async with BinanceTransport(target["base_url"], creds, host_state=state) as venue:
        venue.order_wire = WsOrderWire(_ws_api_url(target))
        await venue.sync_clock()
        await venue.load_rate_limits()

        async def one(i: int) -> None:
            side = Side.BUY if i % 2 == 0 else Side.SELL
            await venue.place_order(
                NewOrder("BTCUSDT", side, OrderType.MARKET, f"tgw-{i}-{time.perf_counter_ns()}",
                         Decimal("0.001"))
            )  # fmt: skip

        return await _cpu_per_call(one, n)


async def _raw_ws(target: dict[str, Any], n: int) -> float:
    import aiohttp

    secret = target["secret"].encode()
    async with aiohttp.ClientSession() as session, session.ws_connect(_ws_api_url(target)) as ws:

        async def one(i: int) -> None:
            params: dict[str, Any] = {
                "apiKey": target["api_key"],
                "newClientOrderId": f"raw-{i}-{time.perf_counter_ns()}",
                "newOrderRespType": "RESULT",
                "quantity": "0.001",
                "recvWindow": 5000,
                "side": "BUY" if i % 2 == 0 else "SELL",
                "symbol": "BTCUSDT",
                "timestamp": time.time_ns() // 1_000_000,
                "type": "MARKET",
            }
            payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
            params["signature"] = hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()
            await ws.send_str(json.dumps({"id": i, "method": "order.place", "params": params}))
            await ws.receive_json()

        return await _cpu_per_call(one, n)


def _ws_api_url(target: dict[str, Any]) -> str:
    return str(target["base_url"]).replace("http", "ws", 1) + "/ws-api/v3"


async def _ccxt(target: dict[str, Any], n: int) -> float:
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

        async def one(i: int) -> None:
            await ex.create_order("BTC/USDT", "market", "buy" if i % 2 == 0 else "sell", 0.001)

        return await _cpu_per_call(one, n)
    finally:
        await ex.close()


async def _cpu_per_call(one: Any, n: int) -> float:
    for i in range(30):  # warm-up
        await one(i)
    start = time.process_time()
    for i in range(n):
        await one(i)
    return (time.process_time() - start) / n * 1e6


def against_baselines(ours: dict[str, Runner], orders: int, reps: int) -> list[Figure]:
    """CPU per order for each of `ours` (metric name: runner), a bare aiohttp signed request
    and ccxt's create_order, interleaved against one simulator process, `reps` times each;
    the medians as figures, each of ours against both baselines."""
    runners: dict[str, Runner] = {**ours, "raw": _raw, "ccxt": _ccxt}
    results: dict[str, list[float]] = {name: [] for name in runners}
    with server("sim") as target:
        for _ in range(reps):
            for name, runner in runners.items():
                results[name].append(asyncio.run(runner(target, orders)))
    raw, ccxt = median(results["raw"]), median(results["ccxt"])
    figures = []
    for metric in ours:
        value = median(results[metric])
        figures.append(Figure(metric, value, "us", "raw_aiohttp", raw))
        figures.append(Figure(metric, value, "us", "ccxt", ccxt))
    return figures


def run() -> list[Figure]:
    figures = against_baselines({"transport_order_cpu_us": _tradeguard}, ORDERS, REPS)
    results: dict[str, list[float]] = {"ws": [], "raw_ws": []}
    with server("sim") as target:
        for _ in range(REPS):
            results["ws"].append(asyncio.run(_tradeguard_ws(target, ORDERS)))
            results["raw_ws"].append(asyncio.run(_raw_ws(target, ORDERS)))
    ws, raw_ws = median(results["ws"]), median(results["raw_ws"])
    figures.append(Figure("transport_order_cpu_us_ws", ws, "us", "raw_aiohttp_ws", raw_ws))
    return figures
