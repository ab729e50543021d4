"""LimitQuery <XLQ> answered with LimitResponse <XLR>, as Binance's order entry: the session's
message limit (10,000 per 10 s) and the account's order limits, each with its count."""

from __future__ import annotations

from tradeguard.sim.server import RunningSim

from .fix_client import RawFix, limit_buy


async def test_limit_query_names_the_message_and_order_limits(
    logged_on: RawFix, running_sim: RunningSim
) -> None:
    logged_on.send("D", limit_buy("lq-1"))
    await logged_on.expect("8")
    logged_on.send("XLQ", [(6136, "q1")])
    answer = await logged_on.receive()
    while answer.msg_type == "8":  # the order's further reports, if it traded
        answer = await logged_on.receive()
    assert answer.msg_type == "XLR" and answer.get(6136) == "q1"
    kinds, used, maxima = answer.all(25004), answer.all(25005), answer.all(25006)
    intervals, units = answer.all(25007), answer.all(25008)
    assert answer.get(25003) == "3" and kinds == ["2", "1", "1"]
    limits = running_sim.sim.ledger.limits
    assert maxima == ["10000", str(limits.orders_per_10s), str(limits.orders_per_day)]
    assert list(zip(intervals, units, strict=True)) == [("10", "s"), ("10", "s"), ("1", "d")]
    assert used[0] == "3"  # Logon, D, XLQ
    assert used[1] == used[2] == "1"  # the order


async def test_a_limit_query_without_a_request_id_is_rejected(logged_on: RawFix) -> None:
    logged_on.send("XLQ", [])
    reject = await logged_on.expect("3")
    assert (reject.get(371), reject.get(25016)) == ("6136", "-1102")
