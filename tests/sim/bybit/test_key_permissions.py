"""GET /v5/user/query-api answers for each built-in key in Bybit's shape, so a client can tell a
key that may withdraw, one without an IP whitelist, a read-only one and an old one."""

from __future__ import annotations

import pytest

from tradeguard.sim.keys import OLD_KEY_AGE_MS

from .bybit_client import BybitClient

DAY_MS = 86_400_000


@pytest.mark.parametrize(
    ("name", "read_only", "spot", "withdraw", "ips"),
    [
        ("trade-only", 0, ["SpotTrade"], False, ["127.0.0.1"]),
        ("read-only", 1, [], False, ["127.0.0.1"]),
        ("withdraw-enabled", 0, ["SpotTrade"], True, ["127.0.0.1"]),
        ("no-ip-restriction", 0, ["SpotTrade"], False, ["*"]),
    ],
)
async def test_each_builtin_key(
    bybit: BybitClient, name: str, read_only: int, spot: list[str], withdraw: bool, ips: list[str]
) -> None:
    bybit.use(name)
    info = (await bybit.get("/v5/user/query-api")).result
    assert info["apiKey"] == bybit.api_key
    assert (info["readOnly"], info["permissions"]["Spot"], info["ips"]) == (read_only, spot, ips)
    assert ("Withdraw" in info["permissions"]["Wallet"]) is withdraw
    assert (info["uta"], info["secret"]) == (1, "")


async def test_a_key_without_ips_lapses_90_days_after_creation(bybit: BybitClient) -> None:
    bybit.use("no-ip-restriction")
    info = (await bybit.get("/v5/user/query-api")).result
    assert info["deadlineDay"] == 90 - 7  # the built-in keys are a week old
    bybit.use("trade-only")
    bound = (await bybit.get("/v5/user/query-api")).result
    assert (bound["deadlineDay"], bound["expiredAt"]) == (-1, "1970-01-01T00:00:00Z")


async def test_an_old_key_shows_its_creation_date(bybit: BybitClient) -> None:
    bybit.use("old")
    info = (await bybit.get("/v5/user/query-api")).result
    assert OLD_KEY_AGE_MS == 420 * DAY_MS
    assert info["createdAt"] == "2024-11-07T00:00:00Z"  # 420 days before the test clock's start
