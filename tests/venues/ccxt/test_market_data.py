"""Market data on Bybit, OKX and Kraken (their simulator dialects): the ticker over REST through
the venue's wire, cached, until its stream delivers; candles and trades read over REST once
(each dialect serves its venue's public market REST), the book kept from the venue's stream
(test_market_streams.py has the streams and the watch_* calls)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradeguard.errors import GuardError
from tradeguard.session.guard import Session


async def test_the_ticker_is_read_through_the_venue_and_cached(tg: Session) -> None:
    ticker = await tg.ticker("BTC/USDT")
    assert ticker.symbol == "BTCUSDT" and ticker.last > 0
    assert ticker.bid is not None and ticker.ask is not None and ticker.bid <= ticker.ask
    again = await tg.ticker("BTC/USDT")
    assert again == ticker
    stats = tg.market_stats()
    assert stats.requests == 1 and stats.from_cache == 1


async def test_the_book_candles_and_trades_are_read_through_the_venue(tg: Session) -> None:
    book = await tg.book("BTC/USDT", 5)
    assert len(book.bids) == len(book.asks) == 5
    assert book.best_bid is not None and book.best_ask is not None
    assert book.best_bid < book.best_ask
    assert [p for p, _ in book.bids] == sorted((p for p, _ in book.bids), reverse=True)
    last = (await tg.ticker("BTC/USDT")).last
    await tg.limit_buy(
        "BTC/USDT", qty="0.001", price=str((last * Decimal("1.01")).quantize(Decimal("0.01"))),
        time_in_force="IOC",
    )  # fmt: skip
    trades = await tg.trades("BTC/USDT", 10)
    assert sum(t.qty for t in trades) == Decimal("0.001") and all(t.trade_id for t in trades)
    assert all(not t.buyer_is_maker for t in trades)  # the taker bought
    candles = await tg.candles("BTC/USDT", "1m", 5, closed_only=False)
    assert candles and sum(c.volume for c in candles) == Decimal("0.001")
    assert [c.open_ms for c in candles] == sorted(c.open_ms for c in candles)
    stats = tg.market_stats()
    assert stats.requests == 3  # ticker, trades, candles: each once over REST; the book none


async def test_an_endpoint_the_exchange_does_not_serve_is_refused_with_the_reason(
    tg: Session,
) -> None:
    import aiohttp

    from tradeguard.sim.remote import SimRemote

    # each venue's own words for a path it does not have
    path, code, msg = {
        "bybit": ("/v5/market/kline", 10017, "request path not found"),
        "okx": ("/api/v5/market/candles", 50000, "Unknown endpoint"),
        "kraken": ("/0/public/OHLC", 0, "EGeneral:Unknown method"),
    }[tg.venue]
    async with aiohttp.ClientSession() as http:
        remote = SimRemote(tg.sim.control_url, http)
        await remote.add_fault(
            {"kind": "error", "path_prefix": path, "http_status": 404, "code": code, "msg": msg}
        )
        with pytest.raises(GuardError) as refused:
            await tg.candles("BTC/USDT", "1m", 5, closed_only=False)
    assert tg.venue in str(refused.value) and "did not serve candles" in str(refused.value)
