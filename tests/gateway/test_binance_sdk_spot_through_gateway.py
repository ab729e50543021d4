"""Unmodified binance-sdk-spot (Binance's own Python SDK, REST) pointed at the gateway."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from tests.gateway.conftest import Served
from tests.scenarios.conftest import placements

pytestmark = pytest.mark.realclient


def _client(served: Served) -> Any:
    from binance_common.configuration import ConfigurationRestAPI
    from binance_sdk_spot.spot import Spot

    config = ConfigurationRestAPI(
        api_key=served.key.api_key, api_secret=served.secret, base_path=served.base_url,
        timeout=15_000,
    )  # fmt: skip
    return Spot(config_rest_api=config).rest_api


def _resting(client: Any) -> float:
    last = Decimal(client.ticker_price(symbol="BTCUSDT").data().actual_instance.price)
    return float((last * Decimal("0.99")).quantize(Decimal("0.01")))


async def test_orders_cancels_and_balances(served: Served) -> None:
    from binance_sdk_spot.rest_api.models import NewOrderSideEnum, NewOrderTypeEnum
    from binance_sdk_spot.rest_api.models.enums import NewOrderTimeInForceEnum

    def scenario() -> tuple[Any, Any, Any]:
        client = _client(served)
        account = client.get_account().data()
        placed = client.new_order(
            symbol="BTCUSDT", side=NewOrderSideEnum.BUY, type=NewOrderTypeEnum.LIMIT,
            time_in_force=NewOrderTimeInForceEnum.GTC, quantity=0.001, price=_resting(client),
            new_client_order_id="sdkGw1",
        ).data()  # fmt: skip
        got = client.get_order(symbol="BTCUSDT", orig_client_order_id="sdkGw1").data()
        canceled = client.delete_order(symbol="BTCUSDT", order_id=placed.order_id).data()
        return account, got, canceled

    account, got, canceled = await asyncio.to_thread(scenario)
    assert any(b.asset == "USDT" and Decimal(b.free) > 0 for b in account.balances)
    assert account.can_withdraw is False
    assert (got.client_order_id, got.status) == ("sdkGw1", "NEW")
    assert canceled.status == "CANCELED" and canceled.orig_client_order_id == "sdkGw1"
    assert served.tg.order("sdkGw1").status.value == "CANCELED"  # type: ignore[union-attr]


async def test_a_risk_denial_and_a_dropped_reply(served: Served) -> None:
    from binance_common.errors import BadRequestError
    from binance_sdk_spot.rest_api.models import NewOrderSideEnum, NewOrderTypeEnum

    await served.remote.add_fault(
        {"kind": "drop_after_execute", "method": "POST", "path_prefix": "/api/v3/order",
         "count": 1}
    )  # fmt: skip

    def scenario() -> tuple[Any, BadRequestError]:
        client = _client(served)
        filled = client.new_order(
            symbol="BTCUSDT", side=NewOrderSideEnum.BUY, type=NewOrderTypeEnum.MARKET,
            quantity=0.001, new_client_order_id="sdkDrop1",
        ).data()  # fmt: skip
        with pytest.raises(BadRequestError) as denied:
            client.new_order(
                symbol="BTCUSDT", side=NewOrderSideEnum.BUY, type=NewOrderTypeEnum.MARKET,
                quantity=0.5,
            )  # fmt: skip
        return filled, denied.value

    filled, denied = await asyncio.to_thread(scenario)
    assert filled.status == "FILLED" and filled.client_order_id == "sdkDrop1"
    assert placements(served.tg.sim)["sdkDrop1"] == 1  # resolved, never resent
    assert denied.status_code == -2010 and denied.error_message.startswith("tradeguard: ")
