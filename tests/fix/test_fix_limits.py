"""Binance's FIX message limit (10,000 messages per 10 s per connection, -1181 and a Logout
past it) is never passed: a request waits for room, heartbeats' headroom kept. Each Logon
queries the live limits (LimitQuery <XLQ>), and a lower message limit than ours is held."""

from __future__ import annotations

from dataclasses import replace

from tests.fix.conftest import wire
from tests.scenarios.conftest import eventually, price_off
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session

LIMIT = 5
WINDOW_S = 0.4


def most_in_any_window(times: list[float], window_s: float) -> int:
    return max(
        (sum(1 for t in times if start <= t < start + window_s) for start in times), default=0
    )


async def test_orders_wait_for_the_message_limit_and_never_pass_it(fix_tg: Session) -> None:
    fix = wire(fix_tg)
    fix.config = replace(fix.config, message_limit=LIMIT, message_window_s=WINDOW_S)
    price = await price_off(fix_tg, "-1")
    for _ in range(8):  # with the Logon and the LimitQuery: 10 messages, twice the limit
        order = await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
        assert order.status is OrderStatus.NEW
    assert fix.paced >= 1 and fix.connections == 1
    assert fix_tg.sim is not None and fix_tg.sim.fix is not None
    (acceptor_side,) = fix_tg.sim.fix.sessions
    assert most_in_any_window(list(acceptor_side._received), WINDOW_S) <= LIMIT


async def test_each_logon_queries_the_live_limits(fix_tg: Session) -> None:
    fix = wire(fix_tg)
    await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(fix_tg, "-1"))

    def answered() -> None:
        assert [limit.kind for limit in fix.limits] == [
            "MESSAGE_LIMIT",
            "ORDER_LIMIT",
            "ORDER_LIMIT",
        ]

    await eventually(answered)
    message = fix.limits[0]
    assert (message.limit, message.interval_s) == (10_000, 10)
    assert fix.limits[2].interval_s == 86_400 and fix.limits[1].used == 0  # asked at Logon
