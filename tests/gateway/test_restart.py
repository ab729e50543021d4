"""A SIGKILLed gateway restarts and reconciles: the order in flight at the kill is adopted from
the exchange, never sent again, and the bot's next request works.

The exchange is a simulator outside the gateway (a profile on env = "testnet" reaching it by
base_url, as a user's would), so it outlives the gateway process; the local key comes from the
environment, so the bot keeps signing with it across the restart."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from tests.scenarios.conftest import placements, watch_placements
from tradeguard.sim import server
from tradeguard.sim.config import SimConfig
from tradeguard.sim.remote import SimRemote
from tradeguard.venues.binance import signing

API_KEY, SECRET = "RestartBot1", "restart-bot-secret"
PROFILE = """
[profiles.bot]
env = "testnet"
base_url = "{base_url}"

[profiles.bot.credentials]
source = "env"
api_key = "TG_GW_EXCHANGE_KEY"
secret = "TG_GW_EXCHANGE_SECRET"
"""


@pytest.fixture
async def exchange(tmp_path: Path) -> AsyncIterator[server.RunningSim]:
    running = await server.start(SimConfig.default(seed=5))
    watch_placements(running)
    (tmp_path / "tradeguard.toml").write_text(PROFILE.format(base_url=running.base_url))
    try:
        yield running
    finally:
        await running.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _gateway(tmp_path: Path, running: server.RunningSim, port: int) -> Any:
    key = running.key("trade-only")
    env = dict(os.environ, TG_GW_EXCHANGE_KEY=key.api_key, TG_GW_EXCHANGE_SECRET=key.secret,
               TRADEGUARD_GATEWAY_API_KEY=API_KEY, TRADEGUARD_GATEWAY_SECRET=SECRET)  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tradeguard.cli.app", "gateway", "-p", "bot", "--port", str(port),
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    while True:
        line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        if not line:
            err = await proc.stderr.read() if proc.stderr else b""
            raise AssertionError(f"the gateway ended: {err.decode()}")
        if line.startswith("Ctrl-C"):
            return proc


async def _signed(
    http: aiohttp.ClientSession, method: str, url: str, **params: str
) -> tuple[int, Any]:
    params["timestamp"] = str(int(time.time() * 1000))  # noqa: TID251 (the bot's own clock)
    query = urlencode(params)
    signature = signing.hmac_sha256_hex(SECRET, query)
    async with http.request(
        method, f"{url}?{query}&signature={signature}", headers={"X-MBX-APIKEY": API_KEY}
    ) as reply:
        return reply.status, await reply.json()


@pytest.mark.realclient
async def test_a_sigkilled_gateway_restarts_and_adopts_the_order_in_flight(
    tmp_path: Path, exchange: server.RunningSim
) -> None:
    port = _free_port()
    orders = f"http://127.0.0.1:{port}/api/v3/order"
    first = await _gateway(tmp_path, exchange, port)
    async with aiohttp.ClientSession() as http:
        remote = SimRemote(exchange.control_url, http)
        price = str((exchange.engine.last_price("BTCUSDT") * 99 / 100).quantize(1))
        await remote.add_fault(
            {"kind": "hold_after_execute", "seconds": 30, "method": "POST",
             "path_prefix": "/api/v3/order", "count": 1}
        )  # fmt: skip
        new = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
               "quantity": "0.001", "price": price}  # fmt: skip
        in_flight = asyncio.ensure_future(
            _signed(http, "POST", orders, newClientOrderId="inflight1", **new)
        )
        try:
            for _ in range(1000):  # until the exchange has it (its reply is held)
                if placements(exchange)["inflight1"]:
                    break
                await asyncio.sleep(0.01)
            assert placements(exchange)["inflight1"] == 1
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        with pytest.raises(aiohttp.ClientError):
            await in_flight  # the bot lost its connection with the gateway

        second = await _gateway(tmp_path, exchange, port)
        try:
            status, adopted = await _signed(
                http, "GET", orders, symbol="BTCUSDT", origClientOrderId="inflight1"
            )
            assert (status, adopted["status"], adopted["price"]) == (
                200,
                "NEW",
                f"{price}.00000000",
            )
            status, placed = await _signed(http, "POST", orders, newClientOrderId="after1", **new)
            assert (status, placed["status"]) == (200, "NEW")
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 30)
    assert placements(exchange)["inflight1"] == 1  # adopted, never sent again
    assert placements(exchange)["after1"] == 1
