"""Servers the benchmarks run in their own process: `python bench/servers.py sim [VENUE]|bare`.

Each prints one line with its base URL (and, for the simulator, the trade-only key) and serves
until killed, so that client and server do not share one event loop or one core's time slices.
"""

from __future__ import annotations

import asyncio
import json
import sys


async def bare() -> None:
    """The baseline: a bare aiohttp handler that reads the form and answers like an ACK."""
    from aiohttp import web

    async def order(request: web.Request) -> web.Response:
        form = await request.post()
        return web.json_response(
            {
                "symbol": form.get("symbol"),
                "orderId": 1,
                "orderListId": -1,
                "clientOrderId": form.get("newClientOrderId"),
                "transactTime": 1,
                "status": "FILLED",
            }
        )

    app = web.Application()
    app.router.add_post("/api/v3/order", order)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(json.dumps({"base_url": f"http://127.0.0.1:{port}", "api_key": "k", "secret": "s"}))
    sys.stdout.flush()
    await asyncio.Event().wait()


async def sim(venue: str = "binance") -> None:
    """The simulator (in `venue`'s dialect) with limits as high as it allows: Binance's never
    met by a benchmark; the other dialects' only lowered by them, never raised, so a benchmark
    paces itself under those venues' own limits."""
    from tradeguard.sim import server
    from tradeguard.sim.config import RateLimitSpec, SimConfig

    limits = RateLimitSpec(
        request_weight_per_min=10**9,
        orders_per_10s=10**9,
        orders_per_day=10**9,
        raw_requests_per_5min=10**9,
    )
    running = await server.start(SimConfig.default(seed=3, limits=limits, venue=venue))
    key = next(k for k in running.key_listing if k["name"] == "trade-only")
    ed25519 = next((k for k in running.key_listing if k["name"] == "trade-only-ed25519"), {})
    print(json.dumps({"base_url": running.base_url, "control_url": running.control_url,
                      "api_key": key["api_key"], "secret": key["secret"],
                      "passphrase": key.get("passphrase"),
                      # FIX order entry (Binance's dialect): its host, certificate and key
                      "fix_url": running.urls.get("fix_url"),
                      "fix_ca_pem": running.urls.get("fix_ca_pem"),
                      "ed25519_api_key": ed25519.get("api_key"),
                      "ed25519_private_key": ed25519.get("secret")}))  # fmt: skip
    sys.stdout.flush()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run({"bare": bare, "sim": sim}[sys.argv[1]](*sys.argv[2:]))
