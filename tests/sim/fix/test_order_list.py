"""NewOrderList <E> on the acceptor, as Binance's: an OCO (1385=1, the below leg first, each
leg with the triggering instructions Binance's table of order list types fixes) is answered
with each leg's ExecutionReport and a ListStatus <N>; a refused one with a ListStatus 431=7;
wrong instructions or a wrong NoOrders count with a Reject <3>."""

from __future__ import annotations

from decimal import Decimal

from tradeguard.sim.server import RunningSim
from tradeguard.venues.binance import fix_messages

from .fix_client import RawFix


def _price(running: RunningSim, pct: str) -> str:
    last = running.sim.engine.last_price("BTCUSDT")
    return str((last * (1 + Decimal(pct) / 100)).quantize(Decimal("0.01")))


def _sell_oco(running: RunningSim, above: str = "1") -> list[tuple[int, object]]:
    params = {
        "symbol": "BTCUSDT",
        "side": "SELL",
        "quantity": "0.001",
        "listClientOrderId": "list-1",
        "aboveType": "LIMIT_MAKER",
        "abovePrice": _price(running, above),
        "aboveClientOrderId": "take-1",
        "belowType": "STOP_LOSS",
        "belowStopPrice": _price(running, "-1"),
        "belowClientOrderId": "stop-1",
    }
    return fix_messages.new_order_list(params, fix_messages.oco_legs(params))


async def test_an_oco_is_answered_with_its_legs_reports_and_a_list_status(
    logged_on: RawFix, running_sim: RunningSim
) -> None:
    body = _sell_oco(running_sim)
    # the below leg (the stop) first; each cancelled when the other is triggered
    assert [v for t, v in body if t in (11, 25011, 25012)] == ["stop-1", "2", 1, "take-1", "1", 0]
    logged_on.send("E", body)
    reports = [await logged_on.expect("8"), await logged_on.expect("8")]
    assert {r.get(11) for r in reports} == {"take-1", "stop-1"}
    assert all(r.get(150) == "0" and r.get(66) is not None for r in reports)
    status = await logged_on.expect("N")
    assert (status.get(25014), status.get(429), status.get(431)) == ("list-1", "4", "3")
    assert status.get(66) == reports[0].get(66) and status.get(73) == "2"
    assert set(status.all(11)) == {"take-1", "stop-1"}


async def test_a_refused_oco_is_a_list_status_reject(
    logged_on: RawFix, running_sim: RunningSim
) -> None:
    logged_on.send("E", _sell_oco(running_sim, above="-0.5"))  # the take-profit would take
    status = await logged_on.expect("N")
    assert (status.get(431), status.get(25014)) == ("7", "list-1")
    assert status.get(25016) is not None and status.get(58)


async def test_wrong_triggering_instructions_are_rejected(
    logged_on: RawFix, running_sim: RunningSim
) -> None:
    body = [(t, "1" if t == 25011 else v) for t, v in _sell_oco(running_sim)]
    logged_on.send("E", body)
    reject = await logged_on.expect("3")
    assert (reject.get(25016), reject.get(371)) == ("-1182", "25011")


async def test_a_wrong_no_orders_count_is_rejected(
    logged_on: RawFix, running_sim: RunningSim
) -> None:
    body = [(t, 3 if t == 73 else v) for t, v in _sell_oco(running_sim)]
    logged_on.send("E", body)
    assert (await logged_on.expect("3")).get(25016) == "-1188"


async def test_a_drop_copy_session_may_not_place_a_list(running_sim: RunningSim) -> None:
    fix = await RawFix.open(running_sim, "fix_dc_url")
    await fix.logon(drop_copy=True)
    await fix.expect("A")
    fix.send("E", _sell_oco(running_sim))
    assert (await fix.expect("3")).get(25016) == "-1183"
    await fix.close()
