"""The Bybit dialect's public market REST: Bybit's shapes, ordering and refusals."""

from __future__ import annotations

from .bybit_client import BybitClient

MINUTE_MS = 60_000


async def test_klines_come_newest_first_and_a_month_is_refused(bybit: BybitClient) -> None:
    for price in ("50000", "51000", "52000"):
        await bybit.control("price", {"symbol": "BTCUSDT", "price": price})
        await bybit.control("clock", {"advance_ms": MINUTE_MS})
    rows = (
        await bybit.public("/v5/market/kline", category="spot", symbol="BTCUSDT", interval="1")
    ).result["list"]
    times = [int(r[0]) for r in rows]
    assert len(rows) >= 3 and times == sorted(times, reverse=True)
    month = await bybit.public("/v5/market/kline", category="spot", symbol="BTCUSDT", interval="M")
    assert month.code == 10001 and "calendar months" in month.body["retMsg"]


async def test_the_book_has_bybits_limits_and_update_id(bybit: BybitClient) -> None:
    book = (
        await bybit.public("/v5/market/orderbook", category="spot", symbol="BTCUSDT", limit="3")
    ).result
    update_id, bids, _ = bybit.running.sim.engine.depth("BTCUSDT", 3)
    assert book["u"] == update_id and [[str(p), str(q)] for p, q in bids] != []
    assert len(book["b"]) == len(book["a"]) == 3
    assert [float(p) for p, _ in book["b"]] == [float(p) for p, _ in bids]
    over = await bybit.public(
        "/v5/market/orderbook", category="spot", symbol="BTCUSDT", limit="201"
    )
    assert over.code == 10001
    unknown = await bybit.public("/v5/market/recent-trade", category="spot", symbol="NOPE")
    assert unknown.code == 10001
