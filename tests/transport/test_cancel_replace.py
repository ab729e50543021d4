"""The transport's cancel-replace against the simulator, and its reply parsing.

A -2021 (409) or -2022 (400) reply is an answer with both halves' results, returned rather
than raised: a caller must learn that the new order is live though the cancel failed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradeguard.errors import OrderRejected, OutcomeUnknown
from tradeguard.model import OrderStatus, OrderType, Side, TimeInForce
from tradeguard.venues.binance import endpoints, parse
from tradeguard.venues.binance.endpoints import CancelReplaceMode, NewOrder, Retry

from .conftest import Paired

SYMBOL = "BTCUSDT"
PATH = "/api/v3/order/cancelReplace"
ALLOW, STOP = CancelReplaceMode.ALLOW_FAILURE, CancelReplaceMode.STOP_ON_FAILURE


def limit_buy(client_id: str, price: str = "50000", qty: str = "0.001") -> NewOrder:
    return NewOrder(
        SYMBOL, Side.BUY, OrderType.LIMIT, client_id, Decimal(qty),
        price=Decimal(price), time_in_force=TimeInForce.GTC,
    )  # fmt: skip


def maker_sell(client_id: str, price: str = "50000") -> NewOrder:
    # below the market: a LIMIT_MAKER sell there would take, so the engine refuses it (-2010)
    return NewOrder(
        SYMBOL, Side.SELL, OrderType.LIMIT_MAKER, client_id, Decimal("0.001"),
        price=Decimal(price),
    )  # fmt: skip


# ── the request ───────────────────────────────────────────────────────────────────────────


def test_request_is_one_order_never_resent_and_names_both_orders() -> None:
    request = endpoints.cancel_replace(
        limit_buy("new-1", price="49000.50"), ALLOW, cancel_client_order_id="old-1"
    )
    assert (request.method, request.path, request.weight, request.orders) == ("POST", PATH, 1, 1)
    assert request.retry is Retry.NEVER and request.signed
    assert request.answers == (-2021, -2022)
    assert request.params == (
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("cancelReplaceMode", "ALLOW_FAILURE"),
        ("timeInForce", "GTC"),
        ("quantity", "0.001"),
        ("price", "49000.5"),
        ("cancelOrigClientOrderId", "old-1"),
        ("newClientOrderId", "new-1"),
        ("newOrderRespType", "RESULT"),
    )
    by_id = endpoints.cancel_replace(limit_buy("n"), STOP, cancel_order_id=7)
    assert ("cancelOrderId", "7") in by_id.params
    with pytest.raises(ValueError):
        endpoints.cancel_replace(limit_buy("n"), STOP)


# ── parsing the four documented shapes (binance-spot-api-docs rest-api.md) ──────────────────


def test_parse_success() -> None:
    body = (
        b'{"cancelResult":"SUCCESS","newOrderResult":"SUCCESS","cancelResponse":{"symbol":'
        b'"BTCUSDT","origClientOrderId":"DnLo3vTAQcjha43lAZhZ0y","orderId":9,"orderListId":-1,'
        b'"clientOrderId":"osxN3JXAtJvKvCqGeMWMVR","transactTime":1684804350068,"price":'
        b'"0.01000000","origQty":"0.000100","executedQty":"0.00000000","origQuoteOrderQty":'
        b'"0.000000","cummulativeQuoteQty":"0.00000000","status":"CANCELED","timeInForce":"GTC",'
        b'"type":"LIMIT","side":"SELL","selfTradePreventionMode":"NONE"},"newOrderResponse":'
        b'{"symbol":"BTCUSDT","orderId":10,"orderListId":-1,"clientOrderId":'
        b'"wOceeeOzNORyLiQfw7jd8S","transactTime":1652928801803,"price":"0.02000000","origQty":'
        b'"0.040000","executedQty":"0.00000000","origQuoteOrderQty":"0.000000",'
        b'"cummulativeQuoteQty":"0.00000000","status":"NEW","timeInForce":"GTC","type":"LIMIT",'
        b'"side":"BUY","workingTime":1669277163808,"fills":[],"selfTradePreventionMode":"NONE"}}'
    )
    outcome = parse.replace_outcome(body)
    assert outcome.code is None and outcome.cancel_ok and outcome.new_order_ok
    assert outcome.canceled is not None and outcome.new_order is not None
    assert outcome.canceled.client_order_id == "DnLo3vTAQcjha43lAZhZ0y"  # the order's own id
    assert outcome.canceled.status is OrderStatus.CANCELED
    assert outcome.new_order.client_order_id == "wOceeeOzNORyLiQfw7jd8S"
    assert outcome.new_order.status is OrderStatus.NEW


def test_parse_cancel_failed_new_order_live_ack() -> None:
    body = (
        b'{"code":-2021,"msg":"Order cancel-replace partially failed.","data":{"cancelResult":'
        b'"FAILURE","newOrderResult":"SUCCESS","cancelResponse":{"code":-2011,"msg":'
        b'"Unknown order sent."},"newOrderResponse":{"symbol":"BTCUSDT","orderId":11,'
        b'"orderListId":-1,"clientOrderId":"pfojJMg6IMNDKuJqDxvoxN","transactTime":1648540168818}}}'
    )
    outcome = parse.replace_outcome(body)
    assert outcome.code == -2021 and not outcome.cancel_ok and outcome.new_order_ok
    assert outcome.cancel_error == parse.WireError(-2011, "Unknown order sent.")
    assert outcome.new_order is None and outcome.new_order_ack is not None
    assert outcome.new_order_ack.orderId == 11


def test_parse_stop_on_failure_and_both_failed() -> None:
    not_attempted = parse.replace_outcome(
        b'{"code":-2022,"msg":"Order cancel-replace failed.","data":{"cancelResult":"FAILURE",'
        b'"newOrderResult":"NOT_ATTEMPTED","cancelResponse":{"code":-2011,"msg":'
        b'"Unknown order sent."},"newOrderResponse":null}}'
    )
    assert not_attempted.new_order_result == "NOT_ATTEMPTED"
    assert not_attempted.new_order_error is None and not_attempted.new_order is None
    both = parse.replace_outcome(
        b'{"code":-2022,"msg":"Order cancel-replace failed.","data":{"cancelResult":"FAILURE",'
        b'"newOrderResult":"FAILURE","cancelResponse":{"code":-2011,"msg":"Unknown order sent."},'
        b'"newOrderResponse":{"code":-2010,"msg":"Order would immediately match and take."}}}'
    )
    assert both.new_order_error == parse.WireError(-2010, "Order would immediately match and take.")
    with pytest.raises(parse.ParseError):
        parse.replace_outcome(b'{"code":-2021,"msg":"Order cancel-replace partially failed."}')


# ── against the simulator ───────────────────────────────────────────────────────────────────


async def test_both_halves_succeed(paired: Paired) -> None:
    venue = paired.make()
    old = await venue.place_order(limit_buy("old-1"))
    outcome = await venue.cancel_replace(
        limit_buy("new-1", price="49000"), STOP, cancel_client_order_id="old-1"
    )
    assert outcome.code is None
    assert outcome.canceled is not None and outcome.canceled.order_id == old.order_id
    assert outcome.canceled.client_order_id == "old-1"
    assert outcome.canceled.status is OrderStatus.CANCELED
    assert outcome.new_order is not None and outcome.new_order.status is OrderStatus.NEW
    assert outcome.new_order.price == Decimal("49000")


async def test_409_cancel_failed_new_order_live_is_returned_not_raised(paired: Paired) -> None:
    venue = paired.make()
    old = await venue.place_order(limit_buy("old-1"))
    await paired.remote.fill(SYMBOL, "0.001", order_id=old.order_id)
    outcome = await venue.cancel_replace(
        limit_buy("new-1", price="49000"), ALLOW, cancel_client_order_id="old-1"
    )
    assert outcome.code == -2021 and outcome.msg == "Order cancel-replace partially failed."
    assert outcome.cancel_error is not None and outcome.cancel_error.code == -2011
    assert outcome.new_order is not None and outcome.new_order.client_order_id == "new-1"
    assert outcome.new_order.status is OrderStatus.NEW
    assert await paired.request_count(f"POST {PATH}") == 1


async def test_409_cancel_done_new_order_refused(paired: Paired) -> None:
    venue = paired.make()
    await venue.place_order(limit_buy("old-1"))
    outcome = await venue.cancel_replace(maker_sell("new-1"), STOP, cancel_client_order_id="old-1")
    assert outcome.code == -2021 and outcome.cancel_ok and not outcome.new_order_ok
    assert outcome.new_order_error is not None and outcome.new_order_error.code == -2010


async def test_400_2022_is_returned_with_both_results(paired: Paired) -> None:
    venue = paired.make()
    outcome = await venue.cancel_replace(limit_buy("new-1"), STOP, cancel_client_order_id="gone")
    assert outcome.code == -2022
    assert (outcome.cancel_result, outcome.new_order_result) == ("FAILURE", "NOT_ATTEMPTED")


async def test_a_plain_refusal_still_raises(paired: Paired) -> None:
    venue = paired.make()
    await venue.place_order(limit_buy("old-1"))
    with pytest.raises(OrderRejected) as refused:  # -1013: filters come before the cancel
        await venue.cancel_replace(
            limit_buy("new-1", price="49000.005"), STOP, cancel_client_order_id="old-1"
        )
    assert refused.value.code == -1013


async def test_repeated_refusals_of_the_new_half_open_the_breaker(paired: Paired) -> None:
    venue = paired.make()
    for n in range(venue.breaker.threshold):
        outcome = await venue.cancel_replace(
            maker_sell(f"new-{n}"), ALLOW, cancel_client_order_id="gone"
        )
        assert outcome.code == -2022
    assert venue.breaker.trips == 1


async def test_a_lost_reply_is_outcome_unknown_and_never_resent(paired: Paired) -> None:
    venue = paired.make()
    await venue.place_order(limit_buy("old-1"))
    await paired.remote.add_fault(
        {"kind": "drop_after_execute", "method": "POST", "path_prefix": PATH, "count": 1}
    )
    with pytest.raises(OutcomeUnknown):
        await venue.cancel_replace(
            limit_buy("new-1", price="49000"), STOP, cancel_client_order_id="old-1"
        )
    assert await paired.request_count(f"POST {PATH}") == 1
    new = await venue.get_order(SYMBOL, client_order_id="new-1")
    old = await venue.get_order(SYMBOL, client_order_id="old-1")
    assert (old.status, new.status) == (OrderStatus.CANCELED, OrderStatus.NEW)
