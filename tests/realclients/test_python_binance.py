"""Unmodified python-binance (sync REST, async REST and user_socket) against the simulator.

python-binance formats its URLs from templates, so the only way to point it at a local server
is a subclass whose URL attributes hold no `{}` (real-clients.md §3).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from .conftest import SimHandle

pytestmark = pytest.mark.realclient


def _client_class(base: type, sim: SimHandle) -> type:
    return type(
        f"Local{base.__name__}",
        (base,),
        {
            "API_URL": f"{sim.base_url}/api",
            "MARGIN_API_URL": f"{sim.base_url}/sapi",
            "WS_API_URL": sim.ws_api_url,
        },
    )


def _resting_price(client_price: str) -> str:
    return str((Decimal(client_price) * Decimal("0.9")).quantize(Decimal("0.01")))


async def test_sync_client_rest_round_trip(sim: SimHandle) -> None:
    from binance.client import Client
    from binance.exceptions import BinanceAPIException

    key = sim.key("trade-only")
    local_client = _client_class(Client, sim)

    def scenario() -> None:
        client = local_client(key["api_key"], key["secret"])  # pings on construction
        assert client.get_server_time()["serverTime"] > 0
        info = client.get_symbol_info("BTCUSDT")
        assert info is not None and info["status"] == "TRADING"
        account = client.get_account()
        assert any(b["asset"] == "USDT" and Decimal(b["free"]) > 0 for b in account["balances"])
        permissions = client.get_account_api_permissions()
        assert permissions["enableWithdrawals"] is False

        price = _resting_price(client.get_symbol_ticker(symbol="BTCUSDT")["price"])
        order = client.create_order(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="0.001",
            price=price,
            newClientOrderId="pbLimit1",
        )
        # python-binance sends no newOrderRespType: Binance's default for LIMIT is FULL.
        assert order["status"] == "NEW" and "fills" in order
        assert (
            client.get_order(symbol="BTCUSDT", origClientOrderId="pbLimit1")["orderId"]
            == (order["orderId"])
        )
        assert [o["orderId"] for o in client.get_open_orders(symbol="BTCUSDT")] == [
            order["orderId"]
        ]
        # python-binance puts DELETE parameters in the form body.
        canceled = client.cancel_order(symbol="BTCUSDT", orderId=order["orderId"])
        assert canceled["status"] == "CANCELED"
        assert canceled["origClientOrderId"] == "pbLimit1"

        market = client.order_market_buy(symbol="BTCUSDT", quantity="0.002")
        assert market["status"] == "FILLED"
        trades = client.get_my_trades(symbol="BTCUSDT")
        assert sum(Decimal(t["qty"]) for t in trades if t["orderId"] == market["orderId"]) == (
            Decimal("0.002")
        )
        all_orders = client.get_all_orders(symbol="BTCUSDT")
        assert {o["orderId"] for o in all_orders} >= {order["orderId"], market["orderId"]}

        with pytest.raises(BinanceAPIException) as unknown:
            client.cancel_order(symbol="BTCUSDT", orderId=987654321)
        assert unknown.value.code == -2011
        with pytest.raises(BinanceAPIException) as duplicate:
            for _ in range(2):
                client.create_order(
                    symbol="BTCUSDT",
                    side="BUY",
                    type="LIMIT",
                    timeInForce="GTC",
                    quantity="0.001",
                    price=price,
                    newClientOrderId="pbDup1",
                )
        assert duplicate.value.code == -2010
        assert duplicate.value.message == "Duplicate order sent."
        client.close_connection()

    await asyncio.to_thread(scenario)


@pytest.fixture
async def async_client(sim: SimHandle) -> AsyncIterator[Any]:
    from binance.async_client import AsyncClient

    key = sim.key("trade-only")
    client = await _client_class(AsyncClient, sim).create(key["api_key"], key["secret"])
    try:
        yield client
    finally:
        await client.close_connection()


async def test_user_socket_receives_new_partial_and_filled(
    async_client: Any, sim: SimHandle
) -> None:
    from binance import BinanceSocketManager

    manager = BinanceSocketManager(async_client)
    price = _resting_price((await async_client.get_symbol_ticker(symbol="BTCUSDT"))["price"])
    statuses: list[str] = []
    async with manager.user_socket() as stream:
        order = await async_client.create_order(
            symbol="BTCUSDT",
            side="SELL",
            type="LIMIT",
            timeInForce="GTC",
            quantity="0.004",
            price=str(Decimal(price) * 2),
            newClientOrderId="pbSocket1",
        )
        for qty in ("0.001", "0.003"):
            await sim.control(
                "fill", {"symbol": "BTCUSDT", "orderId": order["orderId"], "qty": qty}
            )
        while "FILLED" not in statuses:
            message = await asyncio.wait_for(stream.recv(), 10)
            if message.get("e") == "executionReport" and message["c"] == "pbSocket1":
                statuses.append(message["X"])
    assert statuses == ["NEW", "PARTIALLY_FILLED", "FILLED"]
