"""The OKX dialect's public market REST: OKX's shapes, paging and refusals, its per-IP limits."""

from __future__ import annotations

from tests.sim.okx.conftest import Okx

from tradeguard.sim.okx import state_of

MINUTE_MS = 60_000


async def _minutes(okx: Okx, prices: list[str]) -> None:
    """One minute at each price, the clock moved on a minute after each."""
    for price in prices:
        await okx.control("price", {"symbol": "BTCUSDT", "price": price})
        await okx.control("clock", {"advance_ms": MINUTE_MS})


async def test_candles_come_newest_first_with_the_forming_one_unconfirmed(okx: Okx) -> None:
    await _minutes(okx, ["50000", "51000", "52000"])
    status, body = await okx.call("GET", "/api/v5/market/candles?instId=BTC-USDT&bar=1m", key=None)
    assert status == 200 and body["code"] == "0"
    rows = body["data"]
    times = [int(r[0]) for r in rows]
    assert times == sorted(times, reverse=True) and len(rows) >= 3
    assert rows[0][8] == "0" and {r[8] for r in rows[1:]} == {"1"}  # only the newest forms
    older = f"/api/v5/market/candles?instId=BTC-USDT&after={times[1]}"
    paged = (await okx.call("GET", older, key=None))[1]["data"]
    assert [int(r[0]) for r in paged] == times[2:]  # `after`: strictly older


async def test_a_bar_the_engine_cannot_align_and_an_unknown_instrument_are_refused(
    okx: Okx,
) -> None:
    status, body = await okx.call("GET", "/api/v5/market/candles?instId=BTC-USDT&bar=1D", key=None)
    assert (status, body["code"]) == (200, "51000") and "1Dutc" in body["msg"]
    status, body = await okx.call("GET", "/api/v5/market/books?instId=NOPE-USDT", key=None)
    assert body["code"] == "51001"
    status, body = await okx.call("GET", "/api/v5/market/books?instId=BTC-USDT&sz=401", key=None)
    assert body["code"] == "51000"


async def test_the_public_market_endpoints_have_okxs_limits_per_ip(okx: Okx) -> None:
    limits = state_of(okx.sim).limiter.per_2s
    assert limits["GET /api/v5/market/books"] == 40
    assert limits["GET /api/v5/market/trades"] == 100
    state_of(okx.sim).limiter.set_limit("GET /api/v5/market/books", 2)
    path = "/api/v5/market/books?instId=BTC-USDT&sz=5"
    for _ in range(2):
        assert (await okx.call("GET", path, key=None))[0] == 200
    status, body = await okx.call("GET", path, key=None)
    assert (status, body["code"]) == (429, "50011")
