"""sim_orders_per_s: signed orders per second through the simulator over loopback HTTP,
against a bare aiohttp handler measured in the same run with the same client.

The client is the same for both: one keep-alive connection, sequential requests, each with
Binance's parameters, a fresh timestamp, urlencoding and an HMAC-SHA256 signature, and the JSON
reply decoded. The simulator really matches each order (alternating market buys and sells
against its synthetic book), checks the signature, the timestamp and the rate limits.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

from figures import Figure, median
from spawn import server

REQUESTS = 2000
REPS = 3


async def _orders_per_s(base_url: str, api_key: str, secret: str, n: int) -> float:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector) as session:
        url = f"{base_url}/api/v3/order"
        headers = {"X-MBX-APIKEY": api_key, "Content-Type": "application/x-www-form-urlencoded"}

        async def one(i: int) -> None:
            params = {
                "symbol": "BTCUSDT",
                "side": "BUY" if i % 2 == 0 else "SELL",
                "type": "MARKET",
                "quantity": "0.001",
                "newClientOrderId": f"bench-{i}-{time.perf_counter_ns()}",
                "newOrderRespType": "ACK",
                "recvWindow": "5000",
                "timestamp": str(time.time_ns() // 1_000_000),
            }
            payload = urlencode(params)
            signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
            body = f"{payload}&signature={signature}"
            async with session.post(url, data=body, headers=headers) as reply:
                data: Any = json.loads(await reply.read())
                if reply.status != 200:
                    raise RuntimeError(f"order refused: {data}")

        for i in range(50):  # warm-up
            await one(i)
        start = time.perf_counter()
        for i in range(n):
            await one(i)
        return n / (time.perf_counter() - start)


def run() -> list[Figure]:
    sim_rates: list[float] = []
    bare_rates: list[float] = []
    with server("sim") as sim, server("bare") as bare:
        for _ in range(REPS):
            for target, rates in ((sim, sim_rates), (bare, bare_rates)):
                rate = asyncio.run(
                    _orders_per_s(target["base_url"], target["api_key"], target["secret"], REQUESTS)
                )
                rates.append(rate)
    return [
        Figure(
            "sim_orders_per_s", median(sim_rates), "orders/s", "bare_aiohttp", median(bare_rates)
        )
    ]
