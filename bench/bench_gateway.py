"""gateway_overhead_us and gateway_orders_per_s: what a bot pays to trade through
`tradeguard gateway` instead of straight to the exchange, in one run, against one simulator
process (its CPU is not counted: it is the exchange).

- direct: a bot (a bare aiohttp client signing POST /api/v3/order as Binance wants) places
  ORDERS market orders on the simulator, one after the other;
- through the gateway: the same bot, the same orders, signed with a local key, to a gateway
  serving a session (user stream on, journal on SQLite, the whole guard) in the same process.

- the gateway's own part: the same again, with the session's placement answered at once (a
  filled order made from the intent, nothing checked, journaled or sent), so what is left over
  the direct run is the gateway itself: aiohttp's server, the local key's checks, reading the
  request, shaping the reply.

CPU is this process's (`time.process_time`): the bot alone, then the bot and the gateway with
its session. gateway_order_cpu_us is the second per order against the first (target: a ratio of
at most 1.5); gateway_overhead_us is the difference per order; gateway_own_cpu_us is the
gateway's own part's difference per order; gateway_orders_per_s is the throughput against the
direct one. All ask for newOrderRespType=RESULT.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlencode

from bench_profile import bench_profile
from figures import Figure, median, timed_calls
from spawn import server

ORDERS = 300
REPS = 3
WARM_UP = 30


async def _bot(base_url: str, api_key: str, secret: str, n: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of `n` market orders signed with `secret`, after a warm-up."""
    import aiohttp

    key = secret.encode()
    async with aiohttp.ClientSession() as http:

        async def one(i: int) -> None:
            params = {
                "symbol": "BTCUSDT", "side": "BUY" if i % 2 == 0 else "SELL", "type": "MARKET",
                "quantity": "0.001", "newOrderRespType": "RESULT",
                "timestamp": str(time.time_ns() // 1_000_000),
            }  # fmt: skip
            query = urlencode(params)
            signature = hmac.new(key, query.encode(), hashlib.sha256).hexdigest()
            async with http.post(
                f"{base_url}/api/v3/order?{query}&signature={signature}",
                headers={"X-MBX-APIKEY": api_key},
            ) as reply:
                body = await reply.read()
                if reply.status != 200:
                    raise RuntimeError(f"order refused: {reply.status} {body[:200]!r}")

        return await timed_calls(one, n, warm_up=WARM_UP)


async def _through_gateway(target: dict[str, Any], n: int) -> tuple[float, float]:
    from tradeguard.gateway import server as gateway_server
    from tradeguard.gateway.local_keys import LocalKey, LocalKeys
    from tradeguard.session.connect import connect

    profile = bench_profile(target, "gateway")
    tg = await connect(profile)
    key = LocalKey.generate()
    running = await gateway_server.start(tg, LocalKeys([key]))
    try:
        return await _bot(running.base_url, key.api_key, key.secret.reveal(), n)
    finally:
        await running.close()
        await tg.close(cancel_open=False)


async def _gateway_alone(target: dict[str, Any], n: int) -> tuple[float, float]:
    """Through the gateway, the session's placement answered at once (see the docstring)."""
    import msgspec

    from tradeguard.gateway.routes import Gateway
    from tradeguard.model import OrderIntent, OrderStatus
    from tradeguard.orders import Order, new_order

    async def answered_at_once(self: Gateway, wanted: OrderIntent) -> Order:
        self.intents.keep(wanted)
        placed = new_order(wanted, 0)
        return msgspec.structs.replace(
            placed, status=OrderStatus.FILLED, order_id=1, executed_qty=wanted.qty or 0,
            reported_qty=wanted.qty or 0,
        )  # fmt: skip

    real = Gateway._place
    Gateway._place = answered_at_once  # type: ignore[method-assign]
    try:
        return await _through_gateway(target, n)
    finally:
        Gateway._place = real  # type: ignore[method-assign]


async def _direct(target: dict[str, Any], n: int) -> tuple[float, float]:
    return await _bot(target["base_url"], target["api_key"], target["secret"], n)


def run() -> list[Figure]:
    direct: list[tuple[float, float]] = []
    gateway: list[tuple[float, float]] = []
    alone: list[tuple[float, float]] = []
    with server("sim") as target:
        for _ in range(REPS):
            direct.append(asyncio.run(_direct(target, ORDERS)))
            gateway.append(asyncio.run(_through_gateway(target, ORDERS)))
            alone.append(asyncio.run(_gateway_alone(target, ORDERS)))
    direct_cpu_us = median([cpu for cpu, _ in direct]) / ORDERS * 1e6
    gateway_cpu_us = median([cpu for cpu, _ in gateway]) / ORDERS * 1e6
    alone_cpu_us = median([cpu for cpu, _ in alone]) / ORDERS * 1e6
    direct_rate = ORDERS / median([wall for _, wall in direct])
    gateway_rate = ORDERS / median([wall for _, wall in gateway])
    return [
        Figure("gateway_order_cpu_us", gateway_cpu_us, "us", "direct_order_cpu_us", direct_cpu_us),
        Figure("gateway_overhead_us", gateway_cpu_us - direct_cpu_us, "us",
               "direct_order_cpu_us", direct_cpu_us),
        Figure("gateway_own_cpu_us", alone_cpu_us - direct_cpu_us, "us",
               "direct_order_cpu_us", direct_cpu_us),
        Figure("gateway_orders_per_s", gateway_rate, "orders/s", "direct_orders_per_s",
               direct_rate),
    ]  # fmt: skip
