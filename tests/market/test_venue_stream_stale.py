"""A venue stream that goes stale while a book's snapshot comes due again: the connection ends
and the next one opens, whatever the send loop was waiting on. Controlled frames and a fake
clock (no socket): the stale moment and the snapshot's new request fall in one turn of the
event loop, as they do when a stream goes silent right after a reconnection."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from tradeguard.market.cache import MarketStats
from tradeguard.market.codec import Ids
from tradeguard.market.codec_okx import OkxCodec
from tradeguard.market.stream_base import MarketStreamConfig
from tradeguard.market.venue_stream import VenueStream
from tradeguard.net.clock import FakeClock

BOOK = "books:BTC-USDT"
STALE_AFTER_S = 0.5


class SilentSocket:
    """Answers the subscription, then nothing: the stream's own clock runs past its stale
    window while that answer is read. Takes every frame sent."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sent: list[str] = []
        self.closed = False
        self.close_code: int | None = None
        self._answered = False

    async def send_str(self, text: str) -> None:
        self.sent.append(text)

    async def receive(self, timeout: float | None = None) -> aiohttp.WSMessage:  # noqa: ASYNC109 (aiohttp's signature)
        for _ in range(5):  # the send loop sends the subscription and waits for more to send
            await asyncio.sleep(0)
        assert not self._answered, "read again after the connection went stale"
        self._answered = True
        self.clock.advance(STALE_AFTER_S)  # no data, and no snapshot, for the stale window
        ack = '{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"}}'
        return aiohttp.WSMessage(aiohttp.WSMsgType.TEXT, ack, None)

    async def close(self) -> None:
        self.closed = True


async def test_a_stale_connection_ends_while_a_snapshot_is_asked_for_again() -> None:
    clock = FakeClock()
    stream = VenueStream(
        "ws://unused", OkxCodec(Ids({"BTCUSDT": "BTC-USDT"})), stats=MarketStats(),
        config=MarketStreamConfig(stale_after_s=STALE_AFTER_S), clock=clock,
    )  # fmt: skip
    stream._handlers[BOOK] = lambda _frame: None  # subscribed, as the keeper's first read does
    stream.expect_snapshot(BOOK)
    socket = SilentSocket(clock)
    ws: Any = socket
    # the snapshot comes due in the same turn as the stale window ends: the request for it
    # wakes the send loop as the connection ends, and the connection must still end (on
    # Python 3.11 wait_for swallowed that cancellation, and the send loop pinged the dead
    # socket for ever while no new connection was opened)
    connection = asyncio.ensure_future(stream._connected(ws))
    done, _ = await asyncio.wait({connection}, timeout=5)  # a bound on a hang, not measured
    if not done:
        stream.closed = True  # ends the send loop that lived on, and the test's task with it
        stream._wake.set()
        await connection
    assert done, "the stale connection never ended: its send loop lived on, pinging it"
    reason, delivered = connection.result()
    assert reason.startswith("stale") and not delivered
    assert socket.closed and not stream.up.is_set()
