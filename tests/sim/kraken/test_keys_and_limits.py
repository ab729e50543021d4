"""GetApiKeyInfo for the built-in keys (a client can tell withdraw rights and a missing IP
allowlist), and Kraken's rate limits: the decaying call counter, its lockout, the order limiter."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradeguard.sim.config import SimConfig
from tradeguard.sim.kraken import KrakenLimits, state_of
from tradeguard.sim.limits import RateLimits
from tradeguard.sim.server import RunningSim

from .conftest import KrakenClient, kraken_config

MARKET_BUY = {"pair": "XBTUSDT", "type": "buy", "ordertype": "market", "volume": "0.001"}


@pytest.mark.parametrize(
    ("name", "trade", "withdraw", "allowlist"),
    [
        ("trade-only", True, False, ["127.0.0.1"]),
        ("read-only", False, False, ["127.0.0.1"]),
        ("withdraw-enabled", True, True, ["127.0.0.1"]),
        ("no-ip-restriction", True, False, []),
    ],
)
async def test_key_info_tells_each_built_in_key_apart(
    client: KrakenClient, name: str, trade: bool, withdraw: bool, allowlist: list[str]
) -> None:
    client.use(name)
    info = await client.ok("GetApiKeyInfo")
    assert info["name"] == name and info["api_key"] == client.api_key
    assert ("create_modify_orders" in info["permissions"]) is trade
    assert ("withdraw_funds" in info["permissions"]) is withdraw
    assert "query_funds" in info["permissions"]
    assert info["restrictions"]["ip_allowlist"] == allowlist


async def test_the_call_counter_refuses_then_locks_out_then_decays(
    client: KrakenClient, kraken: RunningSim
) -> None:
    state_of(kraken.sim).counter.limits = KrakenLimits(
        max_counter=3, decay_per_s=Decimal(1), lockout_after=2, lockout_ms=60_000
    )
    for _ in range(3):
        await client.ok("BalanceEx")
    assert await client.error("BalanceEx") == "EAPI:Rate limit exceeded"
    assert await client.error("BalanceEx") == "EAPI:Rate limit exceeded"  # the second: locked out
    assert await client.error("BalanceEx") == "EGeneral:Temporary lockout"
    kraken.sim.clock.advance(60_000)
    await client.ok("BalanceEx")


async def test_trades_history_costs_two_and_the_counter_decays(
    client: KrakenClient, kraken: RunningSim
) -> None:
    state_of(kraken.sim).counter.limits = KrakenLimits(max_counter=3)
    await client.ok("TradesHistory")
    assert await client.error("TradesHistory") == "EAPI:Rate limit exceeded"
    kraken.sim.clock.advance(4_000)  # 0.33 a second: 1.32 back, the counter is 0.68
    await client.ok("TradesHistory")
    assert await client.error("BalanceEx") == "EAPI:Rate limit exceeded"  # 2.68 + 1 > 3


@pytest.fixture
def config() -> SimConfig:
    return kraken_config(limits=RateLimits(orders_per_10s=2))


async def test_orders_count_on_the_order_limiter_not_the_counter(
    client: KrakenClient, kraken: RunningSim
) -> None:
    state_of(kraken.sim).counter.limits = KrakenLimits(max_counter=1)
    await client.ok("AddOrder", **MARKET_BUY)
    await client.ok("AddOrder", **MARKET_BUY)
    assert await client.error("AddOrder", **MARKET_BUY) == "EOrder:Rate limit exceeded"
    kraken.sim.clock.advance(10_000)
    await client.ok("AddOrder", **MARKET_BUY)
