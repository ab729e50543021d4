"""NewOrderList <E> with ContingencyType 2 (ONE_TRIGGERS_THE_OTHER) on the acceptor, as
Binance's FIX API serves it: an OTO (the working order, then the pending one, released when the
working one fills: 25011=3, 25012=0, 25013=1) and an OTOCO (the working order, then the pending
below and above orders, each with two instructions) are answered with each leg's
ExecutionReport (a pending leg's OrdStatus A, PENDING_NEW) and a ListStatus 1385=2; wrong
instructions are a Reject <3>. The sample list is built by the client's own message code."""

from __future__ import annotations

from decimal import Decimal

from tradeguard.sim.server import RunningSim
from tradeguard.venues.binance import fix_messages

from .fix_client import RawFix


def _price(running: RunningSim, pct: str) -> str:
    last = running.sim.engine.last_price("BTCUSDT")
    return str((last * (1 + Decimal(pct) / 100)).quantize(Decimal("0.01")))


def _oto(running: RunningSim) -> list[tuple[int, object]]:
    params = {
        "symbol": "BTCUSDT", "listClientOrderId": "oto-1",
        "workingType": "LIMIT", "workingSide": "BUY", "workingQuantity": "0.001",
        "workingPrice": _price(running, "-1"), "workingTimeInForce": "GTC",
        "workingClientOrderId": "work-1",
        "pendingType": "LIMIT_MAKER", "pendingSide": "SELL", "pendingQuantity": "0.001",
        "pendingPrice": _price(running, "1"), "pendingClientOrderId": "pend-1",
    }  # fmt: skip
    name = fix_messages.OTO
    return fix_messages.new_order_list(params, fix_messages.list_legs(name, params), name)


def _otoco(running: RunningSim) -> list[tuple[int, object]]:
    params = {
        "symbol": "BTCUSDT", "listClientOrderId": "otoco-1",
        "workingType": "LIMIT", "workingSide": "BUY", "workingQuantity": "0.001",
        "workingPrice": _price(running, "-1"), "workingTimeInForce": "GTC",
        "workingClientOrderId": "work-2",
        "pendingSide": "SELL", "pendingQuantity": "0.001",
        "pendingAboveType": "LIMIT_MAKER", "pendingAbovePrice": _price(running, "1"),
        "pendingAboveClientOrderId": "take-2",
        "pendingBelowType": "STOP_LOSS", "pendingBelowStopPrice": _price(running, "-2"),
        "pendingBelowClientOrderId": "stop-2",
    }  # fmt: skip
    name = fix_messages.OTOCO
    return fix_messages.new_order_list(params, fix_messages.list_legs(name, params), name)


async def test_an_oto_is_answered_with_its_legs_reports_and_a_list_status(
    logged_on: RawFix, running_sim: RunningSim
) -> None:
    body = _oto(running_sim)
    # Binance's sample: the working order without instructions, the pending one released
    assert [v for t, v in body if t in (11, 25010, 25011, 25012, 25013, 1385)] == [
        "work-1", "pend-1", 1, "3", 0, "1", 2
    ]  # fmt: skip
    logged_on.send("E", body)
    reports = {r.get(11): r for r in [await logged_on.expect("8"), await logged_on.expect("8")]}
    assert (reports["work-1"].get(39), reports["pend-1"].get(39)) == ("0", "A")
    status = await logged_on.expect("N")
    assert (status.get(25014), status.get(1385), status.get(429)) == ("oto-1", "2", "4")
    assert status.get(66) == reports["work-1"].get(66) == reports["pend-1"].get(66)
    held = running_sim.sim.engine.open_orders("main", "BTCUSDT")
    assert {o.client_order_id: o.status for o in held} == {
        "work-1": "NEW", "pend-1": "PENDING_NEW"
    }  # fmt: skip


async def test_an_otoco_places_its_working_order_and_holds_its_pair(
    logged_on: RawFix, running_sim: RunningSim
) -> None:
    body = _otoco(running_sim)
    assert [v for t, v in body if t == 11] == ["work-2", "stop-2", "take-2"]  # below, above
    logged_on.send("E", body)
    reports = {}
    for _ in range(3):
        report = await logged_on.expect("8")
        reports[report.get(11)] = report.get(39)
    assert reports == {"work-2": "0", "stop-2": "A", "take-2": "A"}
    status = await logged_on.expect("N")
    assert (status.get(25014), status.get(1385), status.get(73)) == ("otoco-1", "2", "3")


async def test_an_otoco_with_wrong_instructions_is_rejected(
    logged_on: RawFix, running_sim: RunningSim
) -> None:
    body = _otoco(running_sim)
    last = max(i for i, (t, _) in enumerate(body) if t == 25012)
    body[last] = (25012, 0)  # the above order cancelled when the working one... is wrong
    logged_on.send("E", body)
    reject = await logged_on.expect("3")
    assert (reject.get(25016), reject.get(371)) == ("-1182", "25011")
    assert running_sim.sim.engine.open_orders("main", "BTCUSDT") == []
