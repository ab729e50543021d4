"""A ccxt venue's private socket whose opening is cancelled in the very turn it opens is not
handed to the cancelled caller: it would log in and subscribe on it."""

from __future__ import annotations

import asyncio

from tradeguard.net.clock import FakeClock
from tradeguard.venues.ccxt.private_ws import open_socket


async def test_an_open_cancelled_as_its_socket_opens_is_cancelled() -> None:
    # On Python 3.11 asyncio.wait_for returned the socket to an open cancelled in the turn it
    # came, and the stream's loop went on to log in on it for a caller that had gone.
    loop = asyncio.get_running_loop()
    opened: asyncio.Future[None] = loop.create_future()

    class _Http:
        async def ws_connect(self, url: str, **options: object) -> object:
            await opened
            return object()

    opening = asyncio.ensure_future(
        open_socket(_Http(), "wss://fake/private", object(), FakeClock(), 5.0)  # type: ignore[arg-type]
    )
    for _ in range(3):  # the open reaches its connect
        await asyncio.sleep(0)
    opened.set_result(None)
    opening.cancel()
    for _ in range(5):
        await asyncio.sleep(0)
    assert opening.cancelled()
