"""Closing a session while Binance's market stream still has requests to send (paced, one a
second here) ends the stream at once: its send loop waits on a plain event and sleeps, with no
`asyncio.wait_for` that Python 3.11 could let swallow the cancellation (the ccxt venue stream's
loop hung on close that way until it checked `closed`)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp

from tradeguard.market.cache import MarketStats
from tradeguard.market.keeper import MarketConfig
from tradeguard.market.stream import MarketStream, MarketStreamConfig
from tradeguard.session.connect import connect
from tradeguard.session.guard import Session
from tradeguard.session.market import market_stream_url

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


class HeldConnect:
    """An HTTP session whose WebSocket handshake completes (against the simulator) only when
    `release` is set: the test sets it in the same turn of the event loop as it closes the
    stream, so the connection opens exactly as close() cancels the stream's task."""

    def __init__(self) -> None:
        self.http = aiohttp.ClientSession()
        self.connected = asyncio.Event()
        self.release = asyncio.Event()
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []

    def ws_connect(self, url: str, **options: Any) -> Any:
        return self._connect(url, options)

    async def _connect(self, url: str, options: dict[str, Any]) -> Any:
        ws = await self.http.ws_connect(url, **options)
        self.sockets.append(ws)
        self.connected.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            await ws.close()  # as aiohttp's own handshake does when cancelled
            raise
        return ws

    async def close(self) -> None:
        await self.http.close()


async def test_a_close_that_lands_as_the_connection_opens_ends_the_stream_at_once(
    tg: Session,
) -> None:
    """Python 3.11's `asyncio.wait_for` returns the result of what it waited on when its own
    cancellation comes in the same turn as that result: the stream then read from the new
    socket until its stale timeout (30 s here) before close() returned."""
    stream = MarketStream(
        market_stream_url(tg.transport.base_url, tg.sim),
        stats=MarketStats(),
        config=MarketStreamConfig(stale_after_s=30.0),
    )
    held = HeldConnect()
    stream._http = held  # type: ignore[assignment]
    stream.subscribe(f"{SYMBOL.lower()}@ticker", lambda _event: None)
    await asyncio.wait_for(held.connected.wait(), 10)
    held.release.set()  # the handshake's result and the cancellation, in one turn
    closing = asyncio.ensure_future(stream.close())
    done, _ = await asyncio.wait({closing}, timeout=5)
    if closing not in done:
        stream.closed = True
        await held.close()
        await closing
    assert closing in done, "close() waited for the stale timeout of a socket opened as it closed"
    assert stream._task is not None and stream._task.done()
    assert all(ws.closed for ws in held.sockets)  # the socket opened as it closed, closed too


async def test_a_book_read_cancelled_as_the_book_comes_into_sync_is_cancelled(
    tg: Session,
) -> None:
    """A reader waiting for its book's sync that is cancelled in the same turn as the book
    comes into sync ends cancelled (Python 3.11's wait_for handed it the book instead, and
    the cancellation was lost: a bot's own timeout around tg.book, or its task being stopped,
    did nothing)."""
    tg.transport.ledger.observe_pause(600.0, tg.transport.server_now_ms())  # no snapshot yet
    reader = asyncio.ensure_future(tg.book(SYMBOL, 5))
    books = tg._keeper().books
    assert books is not None
    await soon(lambda: SYMBOL in books.kept, "the book asked for")
    await asyncio.sleep(0.05)  # the reader waits for the sync
    assert not reader.done()
    books.kept[SYMBOL].ready.set()  # in sync (as a snapshot would make it) ...
    reader.cancel()  # ... in the same turn as the reader is cancelled
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait({reader}, timeout=5)
    assert reader.cancelled()
