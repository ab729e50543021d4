"""A listen key's sockets end with the key: DELETE /api/v3/userDataStream closes every
`/ws/<listenKey>` socket at once (a bot that only listens would otherwise hear nothing and
never learn its key is gone), as Binance sends `listenKeyExpired` and closes."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.gateway.conftest import Served

LISTEN = "/api/v3/userDataStream"


async def _subscribed(served: Served, count: int) -> None:
    streams = served.running.gateway.user_streams
    for _ in range(500):
        if streams.subscribers >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the sockets never subscribed")


async def test_deleting_the_listen_key_closes_its_sockets_at_once(served: Served) -> None:
    headers = {"X-MBX-APIKEY": served.key.api_key}
    ws_root = served.base_url.replace("http", "ws", 1)
    async with aiohttp.ClientSession() as http:
        async with http.post(served.base_url + LISTEN, headers=headers) as made:
            listen_key = (await made.json())["listenKey"]
        async with (
            http.ws_connect(f"{ws_root}/ws/{listen_key}") as first,
            http.ws_connect(f"{ws_root}/ws/{listen_key}") as second,
        ):
            await _subscribed(served, 2)
            async with http.delete(
                served.base_url + LISTEN, headers=headers, params={"listenKey": listen_key}
            ) as closed:
                assert closed.status == 200
            # the bot sends nothing: the gateway tells it, then closes
            for ws in (first, second):
                expired = await ws.receive(timeout=5)
                assert expired.type is aiohttp.WSMsgType.TEXT
                assert expired.json()["e"] == "listenKeyExpired"
                assert expired.json()["listenKey"] == listen_key
                ended = await ws.receive(timeout=5)
                assert ended.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert served.running.gateway.user_streams.subscribers == 0


def test_a_socket_10000_events_behind_is_closed() -> None:
    from tradeguard.gateway.user_stream import QUEUE_MAX, Subscriber

    slow = Subscriber()
    for n in range(QUEUE_MAX + 1):
        slow.put({"n": n})
    assert slow.overflowed and slow.queue.qsize() == QUEUE_MAX
    queued = [slow.queue.get_nowait() for _ in range(QUEUE_MAX)]
    assert queued[-1] is None  # the writer stops there and closes the socket
