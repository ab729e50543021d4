"""The REST client's one promise: NeverSent only when nothing left, NoAnswer when something did
and no trustworthy response came back; and a connection is reused only when that is safe.

Each test runs a tiny server on loopback that misbehaves in one way.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from tradeguard.net.httpclient import HttpClient, NeverSent, NoAnswer

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Server:
    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[bytes] = []


@asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[tuple[str, Server]]:
    state = Server()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", state
    finally:
        server.close()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + await reader.readexactly(length)


def answering(*replies: bytes, then_close: bool = False) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for reply in replies:
            await read_request(reader)
            writer.write(reply)
            await writer.drain()
        if then_close:
            return
        await reader.read()  # until the client goes

    return handler


async def test_a_keep_alive_connection_carries_many_requests() -> None:
    async with serve(answering(OK, OK, OK)) as (url, server):
        client = HttpClient(url)
        for _ in range(3):
            response = await client.request("POST", "/api/v3/order", body=b"a=1")
            assert response.status == 200 and response.body == b"{}"
        await client.close()
    assert server.connections == 1


async def test_a_refused_connection_is_never_sent() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = HttpClient(f"http://127.0.0.1:{port}")
    with pytest.raises(NeverSent, match="could not connect"):
        await client.request("POST", "/api/v3/order", body=b"a=1")


async def test_a_request_read_and_then_dropped_is_no_answer() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)  # executed, then the connection drops

    async with serve(handler) as (url, server):
        client = HttpClient(url)
        with pytest.raises(NoAnswer, match="without a response"):
            await client.request("POST", "/api/v3/order", body=b"a=1")
    assert server.connections == 1  # and it was not sent again


async def test_half_a_response_is_no_answer() -> None:
    async with serve(answering(OK[:-5], then_close=True)) as (url, _):
        client = HttpClient(url)
        with pytest.raises(NoAnswer, match="middle"):
            await client.request("GET", "/api/v3/openOrders")


async def test_silence_past_the_read_timeout_is_no_answer() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await reader.read()

    async with serve(handler) as (url, _):
        client = HttpClient(url, read_timeout_s=0.05)
        with pytest.raises(NoAnswer, match="no response within"):
            await client.request("POST", "/api/v3/order", body=b"a=1")


async def test_a_slow_body_is_not_cut_off_by_the_read_timeout() -> None:
    body = b"x" * 40

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n")
        for i in range(0, 40, 10):  # 4 pieces, 30 ms apart: 120 ms > the 80 ms timeout
            await asyncio.sleep(0.03)
            writer.write(body[i : i + 10])
        await reader.read()

    async with serve(handler) as (url, _):
        client = HttpClient(url, read_timeout_s=0.08)
        response = await client.request("GET", "/api/v3/exchangeInfo")
        assert response.body == body
        await client.close()


async def test_a_connection_the_server_closed_while_idle_is_replaced_not_failed() -> None:
    async with serve(answering(OK, then_close=True)) as (url, server):
        client = HttpClient(url)
        await client.request("GET", "/api/v3/time")
        idle = client._idle[0]
        for _ in range(1000):  # let the loop see the server's FIN
            if not idle.reusable:
                break
            await asyncio.sleep(0)
        assert not idle.reusable
        response = await client.request("POST", "/api/v3/order", body=b"a=1")
        assert response.status == 200
        await client.close()
    assert server.connections == 2


async def test_a_connection_idle_too_long_is_not_reused() -> None:
    async with serve(answering(OK)) as (url, server):
        client = HttpClient(url, idle_s=0.0)
        await client.request("GET", "/api/v3/time")
        await client.request("GET", "/api/v3/time")
        await client.close()
    assert server.connections == 2


async def test_connection_close_in_the_response_is_honoured() -> None:
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}"
    async with serve(answering(closing)) as (url, server):
        client = HttpClient(url)
        await client.request("GET", "/api/v3/time")
        await client.request("GET", "/api/v3/time")
        await client.close()
    assert server.connections == 2


async def test_a_cancelled_request_does_not_leave_its_connection_for_the_next() -> None:
    started = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        started.set()
        await reader.read()

    async with serve(handler) as (url, server):
        client = HttpClient(url)
        task = asyncio.create_task(client.request("POST", "/api/v3/order", body=b"a=1"))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert client._idle == []
        await client.close()
    assert server.connections == 1


async def test_bytes_nobody_asked_for_retire_the_connection() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK + b"HTTP/1.1 200 OK\r\n")  # a second, unasked-for response begins
        await writer.drain()
        await reader.read()

    async with serve(handler) as (url, _):
        client = HttpClient(url)
        await client.request("GET", "/api/v3/time")
        assert client._idle == []
        await client.close()


async def test_a_closed_client_sends_nothing() -> None:
    async with serve(answering(OK)) as (url, server):
        client = HttpClient(url)
        await client.close()
        with pytest.raises(NeverSent):
            await client.request("GET", "/api/v3/time")
    assert server.connections == 0


def test_only_http_urls_are_accepted() -> None:
    with pytest.raises(ValueError, match="not an http"):
        HttpClient("ftp://example.invalid")
