"""A gateway that runs for weeks keeps in memory the intents of the orders used last only (the
others are read back from the journal), and forgets an ended order's user-stream state once its
fills are booked: what it holds does not grow with every order it ever placed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import pytest

from tests.gateway.conftest import Served, pb_client_class
from tests.scenarios.conftest import FAST_RESOLVE
from tradeguard.gateway import server
from tradeguard.gateway.local_keys import LocalKey, LocalKeys
from tradeguard.session.connect import connect

KEPT = 5


@pytest.fixture
async def small() -> AsyncIterator[Served]:
    """A gateway keeping 5 intents."""
    tg = await connect("gw", resolve=FAST_RESOLVE)
    key = LocalKey.generate()
    running = await server.start(tg, LocalKeys([key]), intents_kept=KEPT)
    try:
        yield Served(tg, running, key, None)  # type: ignore[arg-type]
    finally:
        await running.close()
        await tg.close()


async def test_memory_stays_bounded_over_many_orders(small: Served) -> None:
    from binance.client import Client

    gateway = small.running.gateway
    headers = {"X-MBX-APIKEY": small.key.api_key}
    ws_root = small.base_url.replace("http", "ws", 1)
    async with aiohttp.ClientSession() as http:
        async with http.post(small.base_url + "/api/v3/userDataStream", headers=headers) as made:
            listen_key = (await made.json())["listenKey"]
        async with http.ws_connect(f"{ws_root}/ws/{listen_key}"):
            for _ in range(500):
                if gateway.user_streams.subscribers:
                    break
                await asyncio.sleep(0.01)

            def orders() -> dict[str, object]:
                client = pb_client_class(Client, small.base_url)(small.key.api_key, small.secret)
                last = Decimal(client.get_symbol_ticker(symbol="BTCUSDT")["price"])
                below = str((last * Decimal("0.99")).quantize(Decimal("0.01")))
                client.create_order(
                    symbol="BTCUSDT", side="BUY", type="LIMIT_MAKER", quantity="0.001",
                    price=below, newClientOrderId="maker1",
                )  # fmt: skip
                for n in range(3 * KEPT):
                    client.create_order(
                        symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001",
                        newClientOrderId=f"mkt{n}",
                    )  # fmt: skip
                return dict(client.get_order(symbol="BTCUSDT", origClientOrderId="maker1"))

            maker = await asyncio.to_thread(orders)
            for _ in range(500):  # the last fills booked (FULL waits for them; a margin)
                if gateway.user_streams.remembered <= 1:
                    break
                await asyncio.sleep(0.01)
    assert len(gateway.intents) <= KEPT
    assert maker["type"] == "LIMIT_MAKER"  # its intent read back from the journal
    assert gateway.user_streams.remembered == 1  # the maker order, still open
