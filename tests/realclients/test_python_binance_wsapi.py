"""Unmodified python-binance placing, querying, replacing and cancelling orders over the
simulator's WebSocket API (its ws_* calls), the replies read as python-binance reads them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from .conftest import SimHandle
from .test_python_binance import _resting_price, async_client

pytestmark = pytest.mark.realclient
__all__ = ["async_client"]  # the fixture, shared with the REST tests


async def test_ws_order_calls_round_trip(async_client: Any, sim: SimHandle) -> None:
    from binance.exceptions import BinanceAPIException

    price = _resting_price((await async_client.get_symbol_ticker(symbol="BTCUSDT"))["price"])
    placed = await async_client.ws_create_order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.001",
        price=price,
        newClientOrderId="pbWs1",
    )
    assert (placed["clientOrderId"], placed["status"]) == ("pbWs1", "NEW")
    got = await async_client.ws_get_order(symbol="BTCUSDT", origClientOrderId="pbWs1")
    assert got["orderId"] == placed["orderId"]
    opened = await async_client.ws_get_open_orders(symbol="BTCUSDT")
    assert [o["clientOrderId"] for o in opened] == ["pbWs1"]

    lower = str(Decimal(price) - 1)
    replaced = await async_client.ws_cancel_and_replace_order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.001",
        price=lower,
        cancelReplaceMode="STOP_ON_FAILURE",
        cancelOrigClientOrderId="pbWs1",
        newClientOrderId="pbWs2",
    )
    assert (replaced["cancelResult"], replaced["newOrderResult"]) == ("SUCCESS", "SUCCESS")
    canceled = await async_client.ws_cancel_order(symbol="BTCUSDT", origClientOrderId="pbWs2")
    assert canceled["status"] == "CANCELED"

    with pytest.raises(BinanceAPIException) as refused:
        await async_client.ws_get_order(symbol="BTCUSDT", origClientOrderId="pbWs-none")
    assert refused.value.code == -2013
