"""OKX's candles through the session: OKX streams them on /ws/v5/business, not with the book on
/ws/v5/public, so the session keeps a second connection there for candles alone (the same
reconnect, backoff, ban hold and stale check): `watch_candles` yields the forming candle,
`tg.candles` merges REST history with the stream, and a drop of that connection is
reconnected and the history read again without touching the book kept from /public."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tradeguard.market.keeper import MarketConfig
from tradeguard.market.stream import MarketStreamConfig
from tradeguard.market.values import Candle
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote

from .conftest import SYMBOL, soon, venue_session

QUICK = MarketConfig(
    stream=MarketStreamConfig(backoff_base_s=0.05, backoff_cap_s=0.2), resync_backoff_s=0.05
)
QTY = Decimal("0.001")


@pytest.fixture
async def tg(tmp_path: Path) -> AsyncIterator[Session]:
    async with venue_session("okx", tmp_path, QUICK) as session:
        yield session


async def _buy(tg: Session) -> None:
    ask = (await tg.book(SYMBOL, 1)).best_ask
    assert ask is not None
    price = (ask * Decimal("1.01")).quantize(Decimal("0.01"))
    await tg.limit_buy("BTC/USDT", qty=str(QTY), price=str(price), time_in_force="IOC")


async def test_watch_candles_yields_from_business_and_candles_merge_it_with_history(
    tg: Session,
) -> None:
    history = await tg.candles(SYMBOL, "1m", 5, closed_only=False)
    assert history and all(c.open_ms % 60_000 == 0 for c in history)
    requests = tg.market_stats().requests  # the history, read once

    async def traded() -> Candle:  # the forming candle, until it holds the trade
        async for candle in tg.watch_candles(SYMBOL, "1m"):
            if candle.volume:
                return candle
        raise AssertionError("the candle stream ended")

    watched = asyncio.ensure_future(traded())
    await asyncio.sleep(0.2)  # subscribed
    await _buy(tg)
    candle = await asyncio.wait_for(watched, 10)
    assert candle.volume == QTY and candle.open_ms % 60_000 == 0
    # the forming candle; a closed one only when the trade fell in a minute's last moment and
    # the minute ended before the stream's update was read (seen once in a full run)
    assert not candle.closed or tg.clock.wall_ms() >= candle.open_ms + 60_000
    rows = await tg.candles(SYMBOL, "1m", 5, closed_only=False)
    # the stream's candle, merged into the history (the last row, unless a minute began since)
    merged = [row for row in rows if row.open_ms == candle.open_ms]
    assert merged and merged[0].volume == candle.volume == QTY
    assert tg.market_stats().requests == requests  # the book from /public, no candle read
    stream = tg._keeper().stream
    assert stream is not None and stream.url.endswith("/ws/v5/public")


async def test_a_dropped_business_connection_reconnects_and_leaves_the_book_alone(
    tg: Session, remote: SimRemote
) -> None:
    await tg.book(SYMBOL, 1)
    await tg.candles(SYMBOL, "1m", 5)
    await soon(lambda: tg.market_stats().book_resyncs == 1, "the book kept")
    await soon(lambda: tg.market_stats().connections == 2, "/public and /business up")
    keeper = tg._keeper()
    assert keeper.kline_stream is not None
    await keeper.kline_stream.confirmed(keeper.kline_stream.names[0])
    stats = tg.market_stats()
    connections, requests = stats.connections, stats.requests
    await remote.add_fault({"kind": "stream_drop", "channel": "market",
                            "path_prefix": "/ws/v5/business", "count": 1})  # fmt: skip
    await soon(lambda: tg.market_stats().connections == connections + 1, "the reconnection")
    await tg.candles(SYMBOL, "1m", 5)  # what closed meanwhile: the history read again
    after = tg.market_stats()
    assert after.requests == requests + 1 and after.book_resyncs == 1
    assert tg.ledger.streams["market:candles"].connected
    assert tg.ledger.streams["market"].gap_since_ms is None


async def test_a_two_day_candle_is_refused_at_once_naming_the_intervals(tg: Session) -> None:
    """OKX has 2-day candles (2Dutc), which the simulator does not stream; tradeguard has no
    2d interval (Binance has none), so it is refused before anything is asked, read or
    watched, rather than waited for."""
    from tradeguard.errors import ConfigError

    for read in (
        lambda: tg.candles(SYMBOL, "2d", 5),
        lambda: anext(tg.watch_candles(SYMBOL, "2d")),
    ):
        with pytest.raises(ConfigError, match="no kline interval '2d'") as refused:
            await asyncio.wait_for(read(), 5)
        assert refused.value.hint is not None and "1d, 3d" in refused.value.hint
    assert tg.market_stats().requests == 0
