"""Binance's FIX message limit (10,000 messages per 10 s per connection, -1181 and a Logout
past it) is never passed: a request waits for room, heartbeats' headroom kept. Each Logon
queries the live limits (LimitQuery <XLQ>), and a lower message limit than ours is held."""

from __future__ import annotations

from dataclasses import replace

from rich.console import Console

from tests.fix.conftest import wire
from tests.scenarios.conftest import eventually, price_off
from tradeguard.cli.runner import Tally, limit_peaks, summary
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


async def test_the_run_summary_shows_the_fix_message_limit_in_use(fix_tg: Session) -> None:
    """The messages sent on order entry (the Logon, the LimitQuery, the orders) are a limit of
    the run's summary, beside the request-weight and order windows."""
    price = await price_off(fix_tg, "-1")
    for _ in range(3):
        await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    [(described, used, share)] = [row for row in limit_peaks(fix_tg) if "FIX" in row[0]]
    assert described == "10000 FIX messages per 10 s (order entry)"
    assert used >= 5 and share == float(used) / 10_000
    console = Console(record=True, width=200)
    summary(fix_tg, Tally(orders=3), console, "done")
    assert "10000 FIX messages per 10 s (order entry)" in console.export_text()


async def test_the_order_counts_the_limit_response_reports_reach_the_rate_ledger(
    fix_tg: Session,
) -> None:
    """Orders another client placed on the account count in the ledger once the Logon's
    LimitResponse reports them, as X-MBX-ORDER-COUNT headers do over REST."""
    assert fix_tg.sim is not None
    sim = fix_tg.sim.sim
    for _ in range(7):  # another client's orders on the account, this 10 s window
        sim.ledger.count_order("main", sim.clock.now_ms())
    await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(fix_tg, "-1"))

    def counted() -> None:
        ten_s = [
            used for rule, used in fix_tg.transport.ledger.peaks() if rule.interval_ms == 10_000
        ]
        assert ten_s and ten_s[0] >= 7

    await eventually(counted)
