"""An OTO list placed through a gateway that is then SIGKILLed is still an OTO to the restarted
gateway: GET /api/v3/orderList and GET /api/v3/openOrderList answer `contingencyType: "OTO"`,
read back from the journal, even once its working order filled and its legs alone (two, of one
side, both placed) look like an OCO's."""

from __future__ import annotations

import asyncio
import signal
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from tests.gateway.test_restart import _free_port, _gateway, _signed, exchange  # noqa: F401
from tradeguard.sim import server
from tradeguard.sim.remote import SimRemote


async def _until_placed(http: aiohttp.ClientSession, orders: str) -> None:
    """Wait (a few seconds at most) until the gateway's session saw the pending leg placed."""
    for _ in range(200):
        status, leg = await _signed(
            http, "GET", orders, symbol="BTCUSDT", origClientOrderId="otoKillp"
        )
        if status == 200 and leg["status"] == "NEW":
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the pending leg is {leg}")


@pytest.mark.realclient
async def test_an_oto_is_still_an_oto_after_a_sigkill_and_restart(
    tmp_path: Path,
    exchange: server.RunningSim,  # noqa: F811
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}/api/v3"
    last = exchange.engine.last_price("BTCUSDT")

    def at(pct: str) -> str:
        return str((last * Decimal(pct)).quantize(Decimal("0.01")))

    both_buy = {  # a BUY below the market that, once filled, buys more on a breakout
        "symbol": "BTCUSDT", "listClientOrderId": "otoKill",
        "workingType": "LIMIT", "workingSide": "BUY", "workingPrice": at("0.99"),
        "workingQuantity": "0.001", "workingTimeInForce": "GTC", "workingClientOrderId": "otoKillw",
        "pendingType": "STOP_LOSS", "pendingSide": "BUY", "pendingStopPrice": at("1.03"),
        "pendingQuantity": "0.001", "pendingClientOrderId": "otoKillp",
    }  # fmt: skip
    first = await _gateway(tmp_path, exchange, port)
    async with aiohttp.ClientSession() as http:
        try:
            status, placed = await _signed(http, "POST", f"{base}/orderList/oto", **both_buy)
            assert (status, placed["contingencyType"]) == (200, "OTO"), placed
            # filled: its pending BUY works, so its legs look like an OCO's (one side, two legs)
            await SimRemote(exchange.control_url, http).fill(
                "BTCUSDT", "0.001", client_order_id="otoKillw"
            )
            await _until_placed(http, f"{base}/order")
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        second = await _gateway(tmp_path, exchange, port)
        try:
            status, read = await _signed(
                http, "GET", f"{base}/orderList", origClientOrderId="otoKill"
            )
            assert status == 200, read
            assert (read["contingencyType"], read["orderListId"]) == (
                "OTO",
                placed["orderListId"],
            )
            status, listed = await _signed(http, "GET", f"{base}/openOrderList")
            assert status == 200, listed
            assert [(x["listClientOrderId"], x["contingencyType"]) for x in listed] == [
                ("otoKill", "OTO")
            ]
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 30)
