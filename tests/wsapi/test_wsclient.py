"""net/wsclient: the WebSocket client under the WebSocket API's order wire, against aiohttp's
server (another implementation of RFC 6455) and, for what a server may get wrong, fed bytes
directly."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
from typing import Any

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.wsapi.conftest import echo_ws, served_ws
from tradeguard.net import wsclient
from tradeguard.net.wsclient import HandshakeFailed, WsConnection


class _Heard:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.closed: list[str] = []
        self.event = asyncio.Event()

    def message(self, data: bytes) -> None:
        self.messages.append(data)
        self.event.set()

    def close(self, why: str) -> None:
        self.closed.append(why)
        self.event.set()

    async def next(self) -> None:
        async with asyncio.timeout(5):
            await self.event.wait()
        self.event.clear()


async def test_messages_of_every_length_form_go_both_ways_with_aiohttp_s_server() -> None:
    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str(msg.data[::-1])
        return ws

    runner, url = await served_ws("/ws", echo)
    heard = _Heard()
    try:
        ws = await wsclient.connect(url, heard.message, heard.close)
        for size in (0, 1, 125, 126, 65535, 65536, 200_000):  # 7-bit, 16-bit, 64-bit lengths
            text = "".join(chr(97 + i % 26) for i in range(size))
            ws.send_text(text.encode())
            await heard.next()
            assert heard.messages.pop() == text[::-1].encode()
        await ws.close()
        assert ws.closed
        with pytest.raises(ConnectionError):
            ws.send_text(b"after the close")
    finally:
        await runner.cleanup()


async def test_a_server_s_close_is_told_with_its_code_and_answered() -> None:
    async def closer(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.receive()
        await ws.close(code=4000, message=b"going away")
        return ws

    runner, url = await served_ws("/ws", closer)
    heard = _Heard()
    try:
        ws = await wsclient.connect(url, heard.message, heard.close)
        ws.send_text(b"hello")
        await heard.next()
        assert heard.closed == ["the server closed the WebSocket (4000: going away)"]
        assert ws.closed
    finally:
        await runner.cleanup()


async def test_aiohttp_s_server_pings_are_answered() -> None:
    pongs: list[bytes] = []

    async def pinger(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        await ws.ping(b"are you there")
        msg = await ws.receive()
        pongs.append(msg.data)
        await ws.send_str("done")
        await ws.receive()
        return ws

    runner, url = await served_ws("/ws", pinger)
    heard = _Heard()
    try:
        ws = await wsclient.connect(url, heard.message, heard.close)
        await heard.next()
        assert heard.messages == [b"done"]
        assert pongs == [b"are you there"]
        await ws.close()
    finally:
        await runner.cleanup()


async def test_a_refused_upgrade_is_a_handshake_failure_an_os_error() -> None:
    async def not_a_websocket(request: web.Request) -> web.Response:
        return web.Response(status=404, text="no")

    runner, url = await served_ws("/ws", not_a_websocket)
    try:
        with pytest.raises(HandshakeFailed, match=r"refused the WebSocket upgrade: HTTP/1\.1 404"):
            await wsclient.connect(url, _Heard().message, _Heard().close)
        assert issubclass(HandshakeFailed, OSError)
    finally:
        await runner.cleanup()


# ── fed bytes directly ────────────────────────────────────────────────────────────────────


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closing = False
        self.aborted = False

    def write(self, data: Any) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = self.aborted = True


def _opened(max_message: int = 1 << 20) -> tuple[WsConnection, _Transport, _Heard]:
    heard = _Heard()
    protocol = WsConnection(heard.message, heard.close, max_message)
    transport = _Transport()
    protocol.connection_made(transport)
    protocol.start("example", "/ws")
    key = transport.written.pop().split(b"Sec-WebSocket-Key: ")[1].split(b"\r\n")[0]
    accept = base64.b64encode(hashlib.sha1(key + wsclient.ACCEPT_GUID).digest())
    protocol.data_received(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )
    return protocol, transport, heard


def _frame(opcode: int, payload: bytes, final: bool = True, first: int = 0) -> bytes:
    """A server's frame (unmasked)."""
    n = len(payload)
    head = bytes([first | (0x80 if final else 0) | opcode])
    if n < 126:
        head += bytes([n])
    elif n < 1 << 16:
        head += bytes([126]) + n.to_bytes(2, "big")
    else:
        head += bytes([127]) + n.to_bytes(8, "big")
    return head + payload


def _unmasked(frame: bytes) -> tuple[int, bytes]:
    """A client frame's opcode and payload, its mask taken off."""
    assert frame[1] & 0x80, "a client frame is masked"
    n, at = frame[1] & 0x7F, 2
    if n == 126:
        n, at = int.from_bytes(frame[2:4], "big"), 4
    elif n == 127:
        n, at = int.from_bytes(frame[2:10], "big"), 10
    key, body = frame[at : at + 4], frame[at + 4 :]
    assert len(body) == n
    return frame[0] & 0x0F, bytes(b ^ key[i % 4] for i, b in enumerate(body))


@settings(max_examples=60, deadline=None)
@given(
    messages=st.lists(st.binary(max_size=300), min_size=1, max_size=6),
    pieces=st.integers(1, 4),
    cuts=st.lists(st.integers(0, 2000), max_size=12),
)
def test_messages_come_whole_however_the_bytes_are_cut(
    messages: list[bytes], pieces: int, cuts: list[int]
) -> None:
    async def check() -> None:
        protocol, transport, heard = _opened()
        stream = b""
        for message in messages:  # each sent as up to `pieces` fragments, a ping between
            size = max(1, -(-len(message) // pieces))
            parts = [message[i : i + size] for i in range(0, len(message), size)] or [b""]
            for i, part in enumerate(parts):
                opcode = wsclient.TEXT if i == 0 else wsclient.CONTINUATION
                stream += _frame(opcode, part, final=i == len(parts) - 1)
                stream += _frame(wsclient.PING, b"p")
        edges = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
        for start, end in itertools.pairwise(edges):
            protocol.data_received(stream[start:end])
        assert heard.messages == messages
        assert heard.closed == []
        pongs = [_unmasked(f) for f in transport.written]
        assert pongs and all(p == (wsclient.PONG, b"p") for p in pongs)

    asyncio.run(check())


@pytest.mark.parametrize(
    ("frame", "code", "why"),
    [
        (bytes([0x81, 0x81, 1, 2, 3, 4, 0]), 1002, "reserved bits or a mask"),  # masked
        (_frame(wsclient.TEXT, b"x", first=0x40), 1002, "reserved bits or a mask"),  # RSV1
        (_frame(wsclient.PING, b"x", final=False), 1002, "bad control frame"),
        (_frame(wsclient.CONTINUATION, b"x"), 1002, "no message begun"),
        (_frame(0x3, b""), 1002, "unknown opcode 3"),
        (_frame(wsclient.TEXT, b"x" * 101), 1009, "a message over 100 bytes"),
    ],
)
async def test_a_server_that_breaks_the_protocol_is_closed_with_the_code_that_says_so(
    frame: bytes, code: int, why: str
) -> None:
    protocol, transport, heard = _opened(max_message=100)
    protocol.data_received(frame)
    opcode, payload = _unmasked(transport.written[-1])
    assert (opcode, int.from_bytes(payload[:2], "big")) == (wsclient.CLOSE, code)
    assert transport.closing and protocol.closed
    assert heard.messages == []
    protocol.connection_lost(None)
    assert len(heard.closed) == 1 and why in heard.closed[0]


async def test_a_fragmented_message_over_the_limit_is_refused_before_it_is_whole() -> None:
    protocol, transport, heard = _opened(max_message=100)
    protocol.data_received(_frame(wsclient.TEXT, b"x" * 60, final=False))
    protocol.data_received(_frame(wsclient.CONTINUATION, b"x" * 60))
    assert _unmasked(transport.written[-1])[1][:2] == (1009).to_bytes(2, "big")
    assert heard.messages == []


async def test_a_close_the_server_never_answers_cuts_the_socket() -> None:
    protocol, transport, _ = _opened()
    await protocol.close(timeout_s=0.01)
    assert _unmasked(transport.written[-1]) == (
        wsclient.CLOSE,
        (1000).to_bytes(2, "big") + b"the client closed",
    )
    assert transport.aborted


@pytest.mark.parametrize(
    ("response", "why"),
    [
        (
            b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: wrong\r\n\r\n",
            "does not match",
        ),
        (b"HTTP/1.1 101 OK\r\nUpgrade: h2c\r\n\r\n", "not to a WebSocket"),
        (b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 4000, "too long"),
    ],
)
async def test_a_handshake_the_server_gets_wrong_fails_the_connect(
    response: bytes, why: str
) -> None:
    heard = _Heard()
    protocol = WsConnection(heard.message, heard.close, 100)
    transport = _Transport()
    protocol.connection_made(transport)
    protocol.start("example", "/ws")
    protocol.data_received(response)
    with pytest.raises(HandshakeFailed, match=why):
        await protocol._opened
    assert transport.closing and heard.closed == []


async def test_wss_verifies_the_server_s_certificate_for_the_host_name() -> None:
    """Over TLS (Binance's wss://), the certificate is checked against the host name sent as
    SNI: a trusted one carries messages, an untrusted one is an OSError before anything is
    sent."""
    import ssl

    from tradeguard.net.clock import SYSTEM
    from tradeguard.sim.fix_tls import HOST_NAME, throwaway

    certificate = throwaway(SYSTEM.wall_ms())

    runner, url = await served_ws("/ws", echo_ws, ssl_context=certificate.context, host=HOST_NAME)
    heard = _Heard()
    try:
        trusting = ssl.create_default_context(cadata=certificate.pem)
        ws = await wsclient.connect(url, heard.message, heard.close, ssl_context=trusting)
        ws.send_text(b"over tls")
        await heard.next()
        assert heard.messages == [b"over tls"]
        await ws.close()
        with pytest.raises(ssl.SSLCertVerificationError):  # an OSError: NeverSent upstream
            await wsclient.connect(url, heard.message, heard.close)  # the system's CAs only
    finally:
        await runner.cleanup()


async def test_nothing_after_a_protocol_break_or_a_close_is_delivered() -> None:
    protocol, _, heard = _opened()
    protocol.data_received(
        _frame(wsclient.CONTINUATION, b"x") + _frame(wsclient.TEXT, b"after the break")
    )
    assert heard.messages == []
    protocol, _, heard = _opened()
    protocol.data_received(
        _frame(wsclient.CLOSE, (1000).to_bytes(2, "big")) + _frame(wsclient.TEXT, b"after")
    )
    assert heard.messages == []


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1200), st.binary(min_size=4, max_size=4))
def test_both_maskings_xor_each_byte_with_the_key_in_turn(payload: bytes, key: bytes) -> None:
    """aiohttp's C masking where this aiohttp has it, the big-integer one otherwise: each is
    RFC 6455's byte i XOR key[i % 4]."""
    wanted = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    for xor in (wsclient._xor_mask(), wsclient._xor_as_integers):
        body = bytearray(payload)
        xor(body, key)
        assert bytes(body) == wanted


def test_each_frame_has_its_own_mask_key_across_pool_refills() -> None:
    """The keys come from the OS's random source 4 KiB at a time: a frame's key is its own,
    never a constant or a repeat of the one before it, also where the pool is read again."""
    keys = [wsclient._masked(wsclient.TEXT, b"x")[2:6] for _ in range(3000)]  # ~3 refills
    assert len(set(keys)) > 2990  # 32-bit keys: a repeat among 3,000 is rare, a run is a bug
    assert all(a != b for a, b in itertools.pairwise(keys))
