"""The profile's max_orders_per_minute holds at any size the profile may set, not only up to the
number of send times the session happened to keep.

The exchange is a simulator outside the session whose own order limits are raised (Binance's
50 orders per 10 s would stop the bot first), reached by base_url as a testnet would be."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import exchange_as_testnet
from tradeguard.errors import RiskDenied
from tradeguard.net.clock import FakeClock
from tradeguard.profile.profiles import Limits, Profile
from tradeguard.session.connect import connect
from tradeguard.sim import server
from tradeguard.sim.config import SimConfig
from tradeguard.sim.limits import RateLimits

LIMIT = 1003  # over the 1,000 send times the session used to keep, whatever the limit
LIMITS = f"""
[profiles.maker.limits]
max_orders_per_minute = {LIMIT}
max_order_notional = "1000000"
max_position_notional = "1000000000"
"""


@pytest.fixture
async def exchange(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[server.RunningSim]:
    limits = RateLimits(orders_per_10s=10**6, request_weight_per_min=10**7)
    config = SimConfig.default(seed=11, limits=limits)
    async with exchange_as_testnet(
        tmp_path, monkeypatch, config, name="maker", more=LIMITS
    ) as running:
        yield running


async def test_an_order_rate_limit_over_a_thousand_still_refuses_the_next_order(
    exchange: server.RunningSim,
) -> None:
    """A market maker's profile with max_orders_per_minute = 1003: the session kept the last
    1,000 send times only, so it never counted past 1,000 and the limit never refused."""
    tg = await connect("maker", stream=False)
    try:
        for n in range(LIMIT):
            place = tg.market_buy if n % 2 == 0 else tg.market_sell
            await place("BTC/USDT", qty="0.0002")
        with pytest.raises(RiskDenied) as refused:
            await tg.market_buy("BTC/USDT", qty="0.0002")
        (reason,) = refused.value.reasons
        assert reason.startswith(f"MAX_ORDERS_PER_MINUTE: {LIMIT} orders were sent"), reason
        assert tg.ledger.risk_denials == 1
    finally:
        await tg.close(cancel_open=False)


async def test_send_times_a_minute_old_leave_the_count_and_the_list() -> None:
    """The send times are trimmed by age, not by count: a minute after its orders the limit
    lets the bot send again, and the times kept stay within twice the minute's."""
    clock = FakeClock()
    limits = Limits(max_orders_per_minute=3, max_order_notional=Decimal(10**6),
                    max_position_notional=Decimal(10**9))  # fmt: skip
    tg = await connect(Profile(limits=limits), clock=clock)
    try:
        for n in range(3):
            await (tg.market_buy if n % 2 == 0 else tg.market_sell)("BTC/USDT", qty="0.0002")
        with pytest.raises(RiskDenied):
            await tg.market_sell("BTC/USDT", qty="0.0002")
        clock.advance(61)
        for n in range(30):  # an order every 21 s: never more than three in a minute
            await (tg.market_buy if n % 2 == 0 else tg.market_sell)("BTC/USDT", qty="0.0002")
            clock.advance(21)
        assert len(tg._sent_ms) <= 2 * 3 + 1
    finally:
        await tg.close()
