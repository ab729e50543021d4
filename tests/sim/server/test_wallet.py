"""Wallet and margin-listing reads that ccxt's `load_markets` makes whenever it holds a key.

ccxt's Binance `fetch_currencies` signs `GET /sapi/v1/capital/config/getall` (and, with its
default `fetchMargins`, `GET /sapi/v1/margin/allPairs` and `margin/isolated/allPairs`) before
`exchangeInfo`; a bot such as freqtrade that leaves ccxt's options alone cannot load markets
without them.
"""

from __future__ import annotations

from decimal import Decimal

from .wire_client import WireClient


async def test_capital_config_getall_lists_every_asset_with_the_account_balance(
    wire: WireClient,
) -> None:
    reply = await wire.get("/sapi/v1/capital/config/getall", key="read-only", signed=True)
    assert reply.status == 200, reply.body
    assert reply.headers["X-MBX-USED-WEIGHT-1M"] == "10"
    coins = {c["coin"]: c for c in reply.body}
    assert {"BTC", "ETH", "USDT"} <= set(coins)
    usdt = coins["USDT"]
    assert Decimal(usdt["free"]) == Decimal("100000") and Decimal(usdt["locked"]) == 0
    assert usdt["trading"] is True and usdt["isLegalMoney"] is False
    # No deposits or withdrawals exist here: no network to move a coin on.
    assert usdt["depositAllEnable"] is False and usdt["withdrawAllEnable"] is False
    assert usdt["networkList"] == []
    for field in ("name", "freeze", "withdrawing", "ipoing", "ipoable", "storage"):
        assert isinstance(usdt[field], str)


async def test_capital_config_getall_is_signed(wire: WireClient) -> None:
    unsigned = await wire.get("/sapi/v1/capital/config/getall", key="read-only")
    assert unsigned.status in (400, 401) and unsigned.code is not None


async def test_margin_pair_listings_are_empty_on_a_spot_only_exchange(wire: WireClient) -> None:
    cross = await wire.get("/sapi/v1/margin/allPairs", key="trade-only", signed=True)
    assert (cross.status, cross.body) == (200, [])
    isolated = await wire.get("/sapi/v1/margin/isolated/allPairs", key="trade-only", signed=True)
    assert (isolated.status, isolated.body) == (200, [])
    assert isolated.headers["X-MBX-USED-WEIGHT-1M"] == "11"  # 1 + 10
