"""README, "Market data": on Bybit and Kraken "a read deeper than the stream's book, 50 levels
on Bybit and 25 on Kraken, goes over REST" — and a read as deep as the stream's book is
answered from it, sending nothing. (Deeper than the venue's REST serves is refused before any
request: tests/market/test_book_depth.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.market.conftest import SYMBOL, _isolated, engine_book_matches, venue_session  # noqa: F401
from tradeguard.market.keeper import MarketConfig
from tradeguard.market.stream import MarketStreamConfig

STREAM_BOOK = {"bybit": 50, "kraken": 25}


@pytest.mark.parametrize("venue", list(STREAM_BOOK))
async def test_the_stream_s_book_answers_to_its_depth_and_rest_beyond(
    venue: str, tmp_path: Path
) -> None:
    pytest.importorskip("ccxt")
    market = MarketConfig(
        stream=MarketStreamConfig(backoff_base_s=0.05, backoff_cap_s=0.2), resync_backoff_s=0.05
    )
    levels = STREAM_BOOK[venue]
    async with venue_session(venue, tmp_path, market) as tg:
        await engine_book_matches(tg)  # the stream's book is live
        requests = tg.market_stats().requests
        await tg.book(SYMBOL, levels)  # (the simulator's book holds fewer levels)
        assert tg.market_stats().requests == requests  # from the stream: nothing sent
        deeper = await tg.book(SYMBOL, levels + 1)
        assert tg.market_stats().requests == requests + 1  # one REST read
        _, bids, asks = tg.sim.engine.depth(SYMBOL, levels + 1)  # type: ignore[union-attr]
        assert list(deeper.bids) == list(bids) and list(deeper.asks) == list(asks)
