"""A book deeper than the venue serves is refused before any request, naming the venue's own
range (Binance and OKX 5000 levels, Bybit spot 200, Kraken 500), never the exchange's raw
"params error" or a silent cut."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeguard.errors import ConfigError
from tradeguard.market.keeper import MarketConfig

from .conftest import SYMBOL, venue_session

DEEPEST = {"binance": 5000, "bybit": 200, "okx": 5000, "kraken": 500}


@pytest.mark.parametrize("venue", list(DEEPEST))
async def test_a_book_deeper_than_the_venue_serves_is_refused_with_its_range(
    venue: str, tmp_path: Path, market_config: MarketConfig
) -> None:
    if venue != "binance":
        pytest.importorskip("ccxt")
    async with venue_session(venue, tmp_path, market_config) as tg:
        requests = tg.market_stats().requests
        with pytest.raises(ConfigError) as refused:
            await tg.book(SYMBOL, DEEPEST[venue] + 1)
        assert f"1..{DEEPEST[venue]}" in str(refused.value), refused.value
        assert refused.value.hint, refused.value
        assert tg.market_stats().requests == requests  # refused before any request
        book = await tg.book(SYMBOL, DEEPEST[venue])  # the deepest is served
        assert book.bids and book.asks


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("book", (SYMBOL, "5")),
        ("book", (SYMBOL, 2.5)),
        ("watch_book", (SYMBOL, "5")),
        ("candles", (SYMBOL, "1m", "10")),
        ("trades", (SYMBOL, "10")),
        ("candles", (SYMBOL, "1m", 0)),
        ("trades", (SYMBOL, 0)),
    ],
)
async def test_a_count_that_is_not_a_whole_number_in_range_is_refused_with_a_hint(
    tmp_path: Path, market_config: MarketConfig, call: str, args: tuple[object, ...]
) -> None:
    """A depth or limit given as text ("5", as read from a config) is refused with the range,
    not a raw TypeError from comparing it."""
    async with venue_session("binance", tmp_path, market_config) as tg:
        with pytest.raises(ConfigError, match=r"must be in 1\.\.") as refused:
            result = getattr(tg, call)(*args)
            await (anext(result) if call == "watch_book" else result)
        assert refused.value.hint, refused.value
        assert tg.market_stats().requests == 0  # refused before any request
