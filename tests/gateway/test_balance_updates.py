"""A deposit while the bot runs (Binance's `balanceUpdate`, sent with an
`outboundAccountPosition`): the session journals it (`BalanceMoved`), the gateway relays it to
the bot's user stream as Binance does, and the next start does not stop trading on a balance
mismatch.

The exchange is a simulator outside the session (a profile on env = "testnet" reaching it by
base_url), so the deposit and the balances outlive the session that saw them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import exchange_as_testnet
from tests.gateway.conftest import Served
from tests.scenarios.conftest import FAST_RESOLVE, eventually
from tradeguard.events import BalanceMoved, ReconciliationFound
from tradeguard.gateway import server as gateway
from tradeguard.gateway.local_keys import LocalKey, LocalKeys
from tradeguard.session.connect import connect
from tradeguard.sim import server
from tradeguard.sim.config import SimConfig
from tradeguard.venues.binance import signing

ACCOUNT = "main"


@pytest.fixture
async def exchange(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[server.RunningSim]:
    async with exchange_as_testnet(tmp_path, monkeypatch, SimConfig.default(seed=9)) as running:
        yield running


async def _next_event(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    while True:
        event: dict[str, Any] = await ws.receive_json(timeout=10)
        if event.get("e") == kind:
            return event


async def test_a_deposit_is_relayed_journaled_and_does_not_halt_the_next_start(
    exchange: server.RunningSim,
) -> None:
    tg = await connect("bot", resolve=FAST_RESOLVE)
    key = LocalKey.generate()
    running = await gateway.start(tg, LocalKeys([key]))
    engine = exchange.sim.engine
    held = engine.balances(ACCOUNT)["USDT"].free
    try:
        async with aiohttp.ClientSession() as http:
            made = await http.post(
                f"{running.base_url}/api/v3/userDataStream",
                headers={"X-MBX-APIKEY": key.api_key},
            )
            listen_key = (await made.json())["listenKey"]
            url = running.base_url.replace("http", "ws", 1) + f"/ws/{listen_key}"
            async with http.ws_connect(url) as ws:
                engine.set_balance(ACCOUNT, "USDT", held + 500, exchange.sim.clock.now_ms())
                relayed = await asyncio.wait_for(_next_event(ws, "balanceUpdate"), 10)
        assert (relayed["a"], Decimal(relayed["d"])) == ("USDT", Decimal(500))
        assert isinstance(relayed["E"], int) and isinstance(relayed["T"], int)

        def deposit_booked() -> None:
            balance = tg.balance("USDT")
            assert balance is not None and balance.free == held + 500

        await eventually(deposit_booked)
    finally:
        await running.close()
        await tg.close()

    again = await connect("bot", resolve=FAST_RESOLVE)
    try:
        events = list(again.recorder.journal.events())
        moved = [e for e in events if isinstance(e, BalanceMoved)]
        assert [(e.asset, e.delta) for e in moved] == [("USDT", Decimal(500))]
        mismatches = [
            e for e in events if isinstance(e, ReconciliationFound) and e.kind == "balance_mismatch"
        ]
        assert mismatches == []
        assert again.can_trade
    finally:
        await again.close()


async def test_a_withdrawal_reaches_a_ws_api_subscription(served: Served) -> None:
    """userDataStream.subscribe.signature (ccxt.pro's and python-binance's door): the
    balanceUpdate comes framed as its subscription's event, a withdrawal with a negative d."""
    sim = served.tg.sim
    assert sim is not None
    held = sim.sim.engine.balances(ACCOUNT)["USDT"].free
    params: dict[str, Any] = {"apiKey": served.key.api_key, "timestamp": served.tg.server_now_ms()}
    params["signature"] = signing.hmac_sha256_hex(served.secret, signing.ws_payload(params))
    url = served.base_url.replace("http", "ws", 1) + "/ws-api/v3"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        await ws.send_json(
            {"id": 1, "method": "userDataStream.subscribe.signature", "params": params}
        )
        subscribed = await ws.receive_json(timeout=10)
        sim.sim.engine.set_balance(ACCOUNT, "USDT", held - 100, sim.sim.clock.now_ms())

        async def balance_update() -> dict[str, Any]:
            while True:
                frame: dict[str, Any] = await ws.receive_json(timeout=10)
                if frame.get("event", {}).get("e") == "balanceUpdate":
                    return frame

        frame = await asyncio.wait_for(balance_update(), 10)
    sid = subscribed["result"]["subscriptionId"]
    assert frame["subscriptionId"] == sid
    assert (frame["event"]["a"], Decimal(frame["event"]["d"])) == ("USDT", Decimal(-100))
