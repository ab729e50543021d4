"""Market data on Bybit, OKX and Kraken (their simulator dialects): the ticker over REST through
the venue's wire, cached; what the dialect does not serve is refused with the reason; the
watch_* calls, which need a market stream, are refused until that slice comes."""

from __future__ import annotations

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


@pytest.mark.parametrize("read", ["book", "candles", "trades"])
async def test_what_the_dialect_does_not_serve_is_refused_with_the_reason(
    tg: Session, read: str
) -> None:
    call = {
        "book": lambda: tg.book("BTC/USDT", 5),
        "candles": lambda: tg.candles("BTC/USDT", "1m", 5),
        "trades": lambda: tg.trades("BTC/USDT", 5),
    }[read]
    with pytest.raises(GuardError) as refused:
        await call()
    assert tg.venue in str(refused.value) and "did not serve" in str(refused.value)
    assert "tickers only" in str(refused.value.hint)


async def test_watching_needs_a_market_stream_the_venue_does_not_have_yet(tg: Session) -> None:
    with pytest.raises(GuardError) as refused:
        await anext(tg.watch_book("BTC/USDT"))
    assert "market stream" in str(refused.value) and tg.venue in str(refused.value)
