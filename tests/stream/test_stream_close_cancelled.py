"""A user stream's close() cancelled while it waits for the stream to stop is cancelled too:
its caller's cancellation is not swallowed."""

from __future__ import annotations

import asyncio

from tradeguard.keys.credentials import ApiCredentials, Secret
from tradeguard.venues.binance.stream import UserStream

CREDS = ApiCredentials("k" * 64, Secret("s" * 64))


async def test_a_stream_close_cancelled_while_it_waits_is_cancelled() -> None:
    loop = asyncio.get_running_loop()

    class _Session:
        async def ws_connect(self, url: str, **options: object) -> object:
            await loop.create_future()  # never opens
            raise AssertionError("unreachable")

    async def never(seconds: float) -> None:
        await loop.create_future()

    stream = UserStream(
        "ws://fake/ws-api/v3",
        CREDS,
        {"BTCUSDT": ("BTC", "USDT")},
        profile="test",
        session=_Session(),  # type: ignore[arg-type]
        sleep=never,
        since_ms=1,
    )
    stream.start()
    task = stream._task
    assert task is not None
    for _ in range(3):  # the stream waits for its connection
        await asyncio.sleep(0)
    closing = asyncio.ensure_future(stream.close())
    await asyncio.sleep(0)  # close() waits for the stream's end
    closing.cancel()
    for _ in range(10):
        await asyncio.sleep(0)
    assert task.done()
    assert closing.cancelled()
