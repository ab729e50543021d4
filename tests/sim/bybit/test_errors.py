"""Bybit's refusals for what the engine refuses: each with the retCode ccxt maps to its class
(InsufficientFunds, InvalidOrder, OrderNotFound, BadSymbol, BadRequest)."""

from __future__ import annotations

import pytest

from .bybit_client import BybitClient


async def test_insufficient_balance_is_170131(bybit: BybitClient) -> None:
    reply = await bybit.create(side="Buy", orderType="Limit", qty="100", price="50000")
    assert (reply.status, reply.code, reply.body["retMsg"]) == (
        200,
        170131,
        "Insufficient balance.",
    )


@pytest.mark.parametrize(
    ("qty", "price", "code"),
    [
        ("0.000001", "50000", 170136),  # below minOrderQty
        ("9001", "50000", 170135),  # above maxOrderQty
        ("0.0010001", "50000", 170137),  # more decimals than basePrecision
        ("0.001", "50000.001", 170134),  # off the tick
        ("0.0001", "100", 170140),  # below minOrderAmt
    ],
)
async def test_filters_name_the_bound_broken(
    bybit: BybitClient, qty: str, price: str, code: int
) -> None:
    reply = await bybit.create(side="Buy", orderType="Limit", qty=qty, price=price)
    assert reply.code == code


async def test_cancel_of_an_unknown_order_is_170213(bybit: BybitClient) -> None:
    reply = await bybit.post(
        "/v5/order/cancel", {"category": "spot", "symbol": "BTCUSDT", "orderId": "4242"}
    )
    assert (reply.code, reply.body["retMsg"]) == (170213, "Order does not exist.")


async def test_a_reused_order_link_id_is_refused_even_after_the_order_closed(
    bybit: BybitClient,
) -> None:
    first = await bybit.create(
        side="Buy", orderType="Limit", qty="0.001", price="50000", orderLinkId="c-1"
    )
    order_id = first.result["orderId"]
    await bybit.post(
        "/v5/order/cancel", {"category": "spot", "symbol": "BTCUSDT", "orderLinkId": "c-1"}
    )
    again = await bybit.create(
        side="Buy", orderType="Limit", qty="0.001", price="50000", orderLinkId="c-1"
    )
    assert again.code == 170141
    found = await bybit.get(
        "/v5/order/realtime", category="spot", symbol="BTCUSDT", orderLinkId="c-1"
    )
    assert [(o["orderId"], o["orderStatus"]) for o in found.result["list"]] == [
        (order_id, "Cancelled")
    ]


async def test_a_post_only_order_that_would_take_is_170218(bybit: BybitClient) -> None:
    reply = await bybit.create(
        side="Buy", orderType="Limit", qty="0.001", price="90000", timeInForce="PostOnly"
    )
    assert reply.code == 170218


async def test_an_unknown_symbol_is_bad_symbol(bybit: BybitClient) -> None:
    reply = await bybit.post(
        "/v5/order/create",
        {
            "category": "spot",
            "symbol": "NOPEUSDT",
            "side": "Buy",
            "orderType": "Market",
            "qty": "1",
        },
    )
    assert (reply.code, reply.body["retMsg"]) == (10001, "Not supported symbols")


async def test_an_unknown_path_is_10017(bybit: BybitClient) -> None:
    reply = await bybit.get("/v5/no/such/thing")
    assert reply.code == 10017


async def test_the_envelope_carries_time_and_ret_ext_info(bybit: BybitClient) -> None:
    reply = await bybit.public("/v5/market/time")
    assert reply.body["time"] == bybit.now_ms()
    assert reply.body["retExtInfo"] == {}
    assert reply.result["timeSecond"] == str(bybit.now_ms() // 1000)
