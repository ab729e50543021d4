"""A market stream's sender cancelled in the very turn it is woken (the connection's reader
ended as a subscription was asked) ends: it sends nothing more on that connection."""

from __future__ import annotations

import asyncio

from tradeguard.market.cache import MarketStats
from tradeguard.market.codec import Ids
from tradeguard.market.codec_okx import OkxCodec
from tradeguard.market.venue_stream import VenueStream


class _Socket:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_str(self, frame: str) -> None:
        self.sent.append(frame)


async def test_a_sender_cancelled_as_it_is_woken_ends() -> None:
    # On Python 3.11 asyncio.wait_for swallowed the cancel that came as the wake did: the
    # sender went on, sent the subscription on the connection being given up, and waited
    # for its next ping there while the stream could not reconnect.
    stream = VenueStream(
        "ws://127.0.0.1:9/unused", OkxCodec(Ids({"BTCUSDT": "BTC-USDT"})), stats=MarketStats()
    )
    socket = _Socket()
    sender = asyncio.ensure_future(stream._send_loop(socket))  # type: ignore[arg-type]
    for _ in range(3):  # the sender waits for something to send
        await asyncio.sleep(0)
    assert not sender.done()
    stream._ask(["books:BTC-USDT"])  # a subscription asked: wakes the sender
    sender.cancel()  # as the connection's reader ends
    for _ in range(5):
        await asyncio.sleep(0)
    try:
        assert sender.cancelled()
        assert socket.sent == []
    finally:
        sender.cancel()  # a sender that went on is stopped, so the test ends either way
        await stream.close()
