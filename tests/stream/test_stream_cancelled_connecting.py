"""A user stream closed in the very turn its connection opens subscribes nothing and ends."""

from __future__ import annotations

import asyncio

from tradeguard.keys.credentials import ApiCredentials, Secret
from tradeguard.venues.binance.stream import UserStream

CREDS = ApiCredentials("k" * 64, Secret("s" * 64))


class _QuietSocket:
    """A connection that takes frames and never answers."""

    closed = False

    def __init__(self) -> None:
        self.sent: list[str] = []
        self._never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def send_str(self, frame: str) -> None:
        self.sent.append(frame)

    def __aiter__(self) -> _QuietSocket:
        return self

    async def __anext__(self) -> object:
        await self._never
        raise StopAsyncIteration

    async def close(self) -> None:
        self.closed = True


async def test_a_stream_closed_as_its_connection_opens_subscribes_nothing() -> None:
    # On Python 3.11 asyncio.wait_for returned the socket to a stream whose close() came in the
    # turn it opened: the stream subscribed on it and ran on, and close() waited for it forever.
    loop = asyncio.get_running_loop()
    opened: asyncio.Future[None] = loop.create_future()
    socket = _QuietSocket()

    class _Session:
        async def ws_connect(self, url: str, **options: object) -> _QuietSocket:
            await opened
            return socket

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
    for _ in range(3):  # the stream reaches its connect
        await asyncio.sleep(0)
    closing = asyncio.ensure_future(stream.close())  # its cancel lands as the socket opens
    opened.set_result(None)
    for _ in range(10):
        await asyncio.sleep(0)
    try:
        assert socket.sent == []  # no subscription went out
        assert closing.done()
    finally:
        task.cancel()  # a stream that ran on is stopped, so the test ends either way
        for _ in range(10):
            await asyncio.sleep(0)
        closing.cancel()
