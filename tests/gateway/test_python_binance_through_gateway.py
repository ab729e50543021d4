"""Unmodified python-binance (sync Client, in a thread) pointed at the gateway."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tests.gateway.conftest import Served, pb_client_class

pytestmark = pytest.mark.realclient


def _client(served: Served) -> object:
    from binance.client import Client

    local = pb_client_class(Client, served.base_url)
    return local(served.key.api_key, served.secret)  # pings on construction


def _resting(price: str) -> str:
    return str((Decimal(price) * Decimal("0.99")).quantize(Decimal("0.01")))


async def test_orders_cancels_and_balances(served: Served) -> None:
    def scenario() -> None:
        client = _client(served)
        assert client.get_server_time()["serverTime"] > 0  # type: ignore[attr-defined]
        account = client.get_account()  # type: ignore[attr-defined]
        assert any(b["asset"] == "USDT" and Decimal(b["free"]) > 0 for b in account["balances"])
        assert account["canTrade"] is True and account["canWithdraw"] is False
        price = _resting(client.get_symbol_ticker(symbol="BTCUSDT")["price"])  # type: ignore[attr-defined]
        order = client.create_order(  # type: ignore[attr-defined]
            symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
            quantity="0.001", price=price, newClientOrderId="pbGw1",
        )  # fmt: skip
        # no newOrderRespType: Binance's default for LIMIT is FULL
        assert order["status"] == "NEW" and order["fills"] == []
        assert order["clientOrderId"] == "pbGw1"
        got = client.get_order(symbol="BTCUSDT", origClientOrderId="pbGw1")  # type: ignore[attr-defined]
        assert got["orderId"] == order["orderId"]
        listed = client.get_open_orders(symbol="BTCUSDT")  # type: ignore[attr-defined]
        assert [o["orderId"] for o in listed] == [order["orderId"]]
        # python-binance puts a DELETE's parameters in the form body
        canceled = client.cancel_order(symbol="BTCUSDT", orderId=order["orderId"])  # type: ignore[attr-defined]
        assert canceled["status"] == "CANCELED" and canceled["origClientOrderId"] == "pbGw1"
        assert client.get_open_orders(symbol="BTCUSDT") == []  # type: ignore[attr-defined]

    await asyncio.to_thread(scenario)
    assert served.tg.order("pbGw1") is not None


async def test_withdraw_and_risk_denial_are_binance_errors(served: Served) -> None:
    from binance.exceptions import BinanceAPIException

    def scenario() -> tuple[BinanceAPIException, BinanceAPIException]:
        client = _client(served)
        with pytest.raises(BinanceAPIException) as withdraw:
            client.withdraw(coin="USDT", address="TXyz00000000000000000000000000ab", amount="10")  # type: ignore[attr-defined]
        price = _resting(client.get_symbol_ticker(symbol="BTCUSDT")["price"])  # type: ignore[attr-defined]
        with pytest.raises(BinanceAPIException) as denied:
            client.create_order(  # type: ignore[attr-defined]
                symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                quantity="0.5", price=price,
            )  # fmt: skip
        return withdraw.value, denied.value

    withdraw, denied = await asyncio.to_thread(scenario)
    assert (withdraw.status_code, withdraw.code) == (401, -2015)
    assert (denied.status_code, denied.code) == (400, -2010)
    assert denied.message.startswith("tradeguard: ") and "1000" in denied.message


async def test_a_ban_is_held_locally_and_never_forwarded(served: Served) -> None:
    from binance.exceptions import BinanceAPIException

    await served.remote.add_fault(
        {"kind": "error", "method": "GET", "path_prefix": "/api/v3/ticker/price", "count": 1,
         "http_status": 418, "code": -1003, "msg": "Way too many requests; IP banned.",
         "retry_after_s": 120}
    )  # fmt: skip
    client = await asyncio.to_thread(_client, served)

    def ticker() -> BinanceAPIException:
        with pytest.raises(BinanceAPIException) as banned:
            client.get_symbol_ticker(symbol="BTCUSDT")  # type: ignore[attr-defined]
        return banned.value

    first = await asyncio.to_thread(ticker)  # the exchange's 418, passed on
    assert first.status_code == 418
    before = (await served.remote.requests())["requests"]
    again = await asyncio.to_thread(ticker)  # held here: nothing leaves during the ban
    assert (again.status_code, again.code) == (418, -1003)
    assert 0 < int(again.response.headers["Retry-After"]) <= 120
    assert (await served.remote.requests())["requests"] == before
