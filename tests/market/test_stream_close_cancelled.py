"""A market stream's close() cancelled while it waits for the connection's loop to stop is
cancelled too (its caller's cancellation is not swallowed), and the stream is closed anyway."""

from __future__ import annotations

import asyncio

from tradeguard.market.cache import MarketStats
from tradeguard.market.codec import Ids
from tradeguard.market.codec_okx import OkxCodec
from tradeguard.market.venue_stream import VenueStream


async def test_a_market_stream_close_cancelled_while_it_waits_is_cancelled() -> None:
    loop = asyncio.get_running_loop()

    async def never(seconds: float) -> None:
        await loop.create_future()

    stream = VenueStream(
        "ws://127.0.0.1:9/unused",
        OkxCodec(Ids({"BTCUSDT": "BTC-USDT"})),
        stats=MarketStats(),
        sleep=never,
    )
    stream.subscribe("books:BTC-USDT", lambda payload: None)
    task = stream._task
    assert task is not None
    for _ in range(3):  # the stream's loop is under way
        await asyncio.sleep(0)
    assert not task.done()
    closing = asyncio.ensure_future(stream.close())
    await asyncio.sleep(0)  # close() waits for the loop's end
    closing.cancel()
    for _ in range(10):
        await asyncio.sleep(0)
    assert task.done()
    assert closing.cancelled()
    assert stream._http is None or stream._http.closed  # its HTTP session closed anyway
