"""A user stream's close() under cancellation: closed in the very turn its connection opens, it
subscribes nothing and ends; cancelled while it waits for the stream to stop, close() is
cancelled too (its caller's cancellation is not swallowed)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

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


async def _started(
    opening: Callable[[], Awaitable[object]],
) -> tuple[UserStream, asyncio.Task[None]]:
    """A stream whose connect is `opening` and whose backoff never ends, started and at its
    connect."""
    loop = asyncio.get_running_loop()

    class _Session:
        async def ws_connect(self, url: str, **options: object) -> object:
            return await opening()

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
    return stream, task


async def test_a_stream_closed_as_its_connection_opens_subscribes_nothing() -> None:
    # On Python 3.11 asyncio.wait_for returned the socket to a stream whose close() came in the
    # turn it opened: the stream subscribed on it and ran on, and close() waited for it forever.
    opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    socket = _QuietSocket()

    async def opening() -> _QuietSocket:
        await opened
        return socket

    stream, task = await _started(opening)
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


async def test_a_stream_close_cancelled_while_it_waits_is_cancelled() -> None:
    async def opening() -> object:
        await asyncio.get_running_loop().create_future()  # never opens
        raise AssertionError("unreachable")

    stream, task = await _started(opening)
    closing = asyncio.ensure_future(stream.close())
    await asyncio.sleep(0)  # close() waits for the stream's end
    closing.cancel()
    for _ in range(10):
        await asyncio.sleep(0)
    assert task.done()
    assert closing.cancelled()
