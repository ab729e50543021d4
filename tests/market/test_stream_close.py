"""Closing a session while Binance's market stream still has requests to send (paced, one a
second here) ends the stream at once: its send loop waits on a plain event and sleeps, with no
`asyncio.wait_for` that Python 3.11 could let swallow the cancellation (the ccxt venue stream's
loop hung on close that way until it checked `closed`)."""

from __future__ import annotations

import asyncio

from tradeguard.market.keeper import MarketConfig
from tradeguard.market.stream import MarketStream, MarketStreamConfig
from tradeguard.session.connect import connect

from .conftest import SYMBOL, soon


async def test_closing_the_session_mid_send_ends_the_market_stream_at_once() -> None:
    config = MarketConfig(stream=MarketStreamConfig(requests_per_s=1))
    tg = await connect(None, market=config)
    try:
        await tg.ticker(SYMBOL)  # the stream is up, its ticker subscribed
        stream = tg._market.stream  # type: ignore[union-attr]
        assert isinstance(stream, MarketStream)
        await soon(stream.up.is_set, "the market stream up")
        # alternating asks do not merge into one request: a backlog paced at one a second
        for interval in ("1m", "3m", "5m", "15m", "30m", "1h"):
            name = f"{SYMBOL.lower()}@kline_{interval}"
            stream.subscribe(name, lambda _event: None)
            stream.unsubscribe(name)
        await asyncio.sleep(0.2)  # the send loop is pacing the backlog
        assert stream._outbox  # still requests to send
    finally:
        # bounded by asyncio.wait, which (unlike wait_for) does not wait out a cancellation
        closing = asyncio.ensure_future(tg.close())
        done, _ = await asyncio.wait({closing}, timeout=5)
    assert closing in done, "the session's close hung on the market stream"
    assert stream.closed and stream._task is not None and stream._task.done()
