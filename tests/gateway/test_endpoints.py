"""The endpoints a bot uses beyond place-and-cancel, through python-binance: response types,
order tests, cancel-all, lookups of unknown orders, a reused client order id, the kill switch."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from tests.gateway.conftest import Served, pb_client_class
from tests.scenarios.conftest import placements

pytestmark = pytest.mark.realclient


def _client(served: Served) -> Any:
    from binance.client import Client

    return pb_client_class(Client, served.base_url)(served.key.api_key, served.secret)


def _below(client: Any, pct: str = "0.99") -> str:
    last = Decimal(client.get_symbol_ticker(symbol="BTCUSDT")["price"])
    return str((last * Decimal(pct)).quantize(Decimal("0.01")))


def _limit(client: Any, price: str, **extra: str) -> Any:
    return client.create_order(
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001",
        price=price, **extra,
    )  # fmt: skip


async def test_response_types_order_tests_and_cancel_all(served: Served) -> None:
    def scenario() -> None:
        client = _client(served)
        price = _below(client)
        ack = _limit(client, price, newOrderRespType="ACK", newClientOrderId="ack1")
        assert set(ack) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
        result = _limit(client, price, newOrderRespType="RESULT")
        assert result["status"] == "NEW" and "fills" not in result
        assert client.create_test_order(
            symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001",
            price=price,
        ) == {}  # fmt: skip
        cancelled = client.cancel_all_open_orders(symbol="BTCUSDT")
        assert sorted(o["origClientOrderId"] for o in cancelled) == sorted(
            ["ack1", result["clientOrderId"]]
        )
        assert {o["status"] for o in cancelled} == {"CANCELED"}

    await asyncio.to_thread(scenario)
    assert len(served.tg.ledger.orders) == 2  # the test order was checked, never placed


async def test_unknown_orders_and_a_reused_client_order_id(served: Served) -> None:
    from binance.exceptions import BinanceAPIException

    def scenario() -> dict[str, int]:
        client = _client(served)
        codes = {}
        with pytest.raises(BinanceAPIException) as missing:
            client.get_order(symbol="BTCUSDT", origClientOrderId="never")
        codes["query"] = missing.value.code
        with pytest.raises(BinanceAPIException) as gone:
            client.cancel_order(symbol="BTCUSDT", orderId=987654321)
        codes["cancel"] = gone.value.code
        price = _below(client)
        _limit(client, price, newClientOrderId="same1")
        with pytest.raises(BinanceAPIException) as twice:
            _limit(client, price, newClientOrderId="same1")
        codes["duplicate"] = twice.value.code
        assert twice.value.message == "Duplicate order sent."
        return codes

    codes = await asyncio.to_thread(scenario)
    assert codes == {"query": -2013, "cancel": -2011, "duplicate": -2010}
    assert placements(served.tg.sim)["same1"] == 1


async def test_the_kill_switch_refuses_orders_and_clears_can_trade(served: Served) -> None:
    from binance.exceptions import BinanceAPIException

    await served.tg.kill("test: halted by hand")

    def scenario() -> tuple[Any, BinanceAPIException]:
        client = _client(served)
        account = client.get_account()
        with pytest.raises(BinanceAPIException) as halted:
            client.order_market_buy(symbol="BTCUSDT", quantity="0.001")
        return account, halted.value

    account, halted = await asyncio.to_thread(scenario)
    assert account["canTrade"] is False
    assert halted.code == -2010 and "halted" in halted.message
    assert not served.tg.ledger.orders


async def test_a_filter_failure_is_binances_1013_naming_the_filter(served: Served) -> None:
    from binance.exceptions import BinanceAPIException

    def scenario() -> tuple[BinanceAPIException, BinanceAPIException]:
        client = _client(served)
        price = _below(client)
        with pytest.raises(BinanceAPIException) as lot:
            client.create_order(  # a quantity off the symbol's step
                symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                quantity="0.0010001", price=price,
            )  # fmt: skip
        with pytest.raises(BinanceAPIException) as tick:
            client.create_test_order(  # a price off the tick
                symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                quantity="0.001", price=price + "1",
            )  # fmt: skip
        return lot.value, tick.value

    lot, tick = await asyncio.to_thread(scenario)
    assert (lot.status_code, lot.code, lot.message) == (400, -1013, "Filter failure: LOT_SIZE")
    assert (tick.code, tick.message) == (-1013, "Filter failure: PRICE_FILTER")


async def test_my_trades_time_is_the_exchange_s_trade_time(served: Served) -> None:
    def scenario() -> list[dict[str, Any]]:
        client = _client(served)
        client.order_market_buy(symbol="BTCUSDT", quantity="0.001", newClientOrderId="mt1")
        trades: list[dict[str, Any]] = client.get_my_trades(symbol="BTCUSDT")
        return trades

    trades = await asyncio.to_thread(scenario)
    fills = {f.trade_id: f for f in served.tg.order("mt1").fills}  # type: ignore[union-attr]
    assert fills and all(f.exchange_ms is not None for f in fills.values())
    assert [t["time"] for t in trades] == [fills[t["id"]].exchange_ms for t in trades]
