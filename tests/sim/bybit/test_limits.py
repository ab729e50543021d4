"""Bybit's rate limits: X-Bapi-Limit headers on every signed reply, 10006 past an endpoint's
per-second budget (nothing done), HTTP 403 and a ban past the IP's budget. The simulator's
[limits] table lowers them."""

from __future__ import annotations

import pytest
from tests.conftest import START_MS

from tradeguard.sim.bybit.limits import BybitLimits
from tradeguard.sim.config import SimConfig
from tradeguard.sim.limits import RateLimits

from .bybit_client import BybitClient


@pytest.fixture
def sim_config() -> SimConfig:
    limits = RateLimits(orders_per_10s=2, raw_requests_per_5min=6, first_ban_ms=1_000)
    return SimConfig.default(
        seed=7, clock="manual", start_ms=START_MS, venue="bybit", limits=limits
    )


def test_unchanged_limits_are_bybits() -> None:
    limits = BybitLimits.capped_by(RateLimits())
    assert (limits.ip_requests_per_5s, limits.ip_ban_ms) == (600, 600_000)
    assert limits.per_second == {"trade": 20, "query": 10, "wallet": 50, "account": 10}


async def test_limit_headers_then_10006_and_nothing_placed(bybit: BybitClient) -> None:
    first = await bybit.create(side="Buy", orderType="Limit", qty="0.001", price="50000")
    reset_at = str(bybit.now_ms() - bybit.now_ms() % 1000 + 1000)
    assert (first.headers["X-Bapi-Limit"], first.headers["X-Bapi-Limit-Status"]) == ("2", "1")
    assert first.headers["X-Bapi-Limit-Reset-Timestamp"] == reset_at
    await bybit.create(side="Buy", orderType="Limit", qty="0.001", price="50000")
    third = await bybit.create(side="Buy", orderType="Limit", qty="0.001", price="50000")
    assert (third.code, third.body["retMsg"], third.headers["X-Bapi-Limit-Status"]) == (
        10006,
        "Too many visits!",
        "0",
    )
    assert len(bybit.running.sim.engine.open_orders("main", "BTCUSDT")) == 2
    await bybit.control("clock", {"advance_ms": 1000})
    assert (await bybit.create(side="Buy", orderType="Limit", qty="0.001", price="50000")).code == 0


async def test_the_ip_budget_gives_403_then_a_ban(bybit: BybitClient) -> None:
    for _ in range(6):
        assert (await bybit.public("/v5/market/time")).status == 200
    assert (await bybit.public("/v5/market/time")).status == 403
    await bybit.control("clock", {"advance_ms": 4_999})  # past the 5 s window, inside the ban
    assert (await bybit.public("/v5/market/time")).status == 403
    await bybit.control("clock", {"advance_ms": 1})
    assert (await bybit.public("/v5/market/time")).status == 200
