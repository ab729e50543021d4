"""A small WebSocket client (RFC 6455) for one connection whose messages are handled as they
complete: the I/O under the WebSocket API's order wire.

Why not aiohttp's client: it queues each message for a reader task to pick up, one turn of the
event loop between the bytes arriving and the reply reaching the order that waits for it, and
its frame writing and reading cost about as much again; on an order's round trip that was
25-60 µs of the client's CPU here. This client hands each whole message to `on_message` from
the protocol's own callback, and writes each frame with one write().

What it does: the opening handshake (the server's Sec-WebSocket-Accept checked), masked text
frames out, text and binary messages in (fragments joined, up to `max_message` bytes), pings
answered with pongs, the closing handshake both ways. What it does not: extensions
(permessage-deflate is never offered, so a server may not use it), subprotocols, proxies.
A server that breaks the protocol (a masked frame, reserved bits, a fragmented control frame,
a message over the limit) is answered with the close code that says so and the connection
closed; `on_close` says why.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import ssl
from collections.abc import Callable
from urllib.parse import urlsplit

ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD = 16 * 1024  # the handshake's response head

TEXT, BINARY, CLOSE, PING, PONG, CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0
PROTOCOL_ERROR, TOO_BIG, NORMAL = 1002, 1009, 1000

OnMessage = Callable[[bytes], None]
OnClose = Callable[[str], None]


class HandshakeFailed(ConnectionError):
    """The server did not accept the WebSocket upgrade (nothing was sent on it)."""


def _xor_as_integers(payload: bytearray, key: bytes) -> None:
    """`payload` XORed in place with `key` repeated, as one big integer (the XOR in C)."""
    n = len(payload)
    stream = int.from_bytes((key * (n // 4 + 1))[:n], "big")
    payload[:] = (int.from_bytes(payload, "big") ^ stream).to_bytes(n, "big")


def _xor_mask() -> Callable[[bytearray, bytes], None]:
    """aiohttp's own masking (a C loop over machine words), which a session has imported
    anyway (imported here at the first frame, not with this module: `tradeguard --help` stays
    quick); a private helper of aiohttp's, so an aiohttp without it gets `_xor_as_integers`.
    The big-integer way converts the payload twice: about 15,000 instructions for an order's
    450-byte frame, 2% of the client's work on an order's round trip."""
    try:
        from aiohttp._websocket.helpers import websocket_mask
    except ImportError:
        return _xor_as_integers
    mask: Callable[[bytes, bytearray], None] = websocket_mask
    return lambda payload, key: mask(key, payload)


_xor: Callable[[bytearray, bytes], None] | None = None  # _xor_mask's, at the first frame


class _MaskKeys:
    """Frame mask keys from the OS's random source, read 4 KiB at a time: RFC 6455 wants each
    key unpredictable, not a system call per frame."""

    __slots__ = ("_at", "_pool")

    _SIZE = 4096

    def __init__(self) -> None:
        self._pool = b""
        self._at = self._SIZE

    def next(self) -> bytes:
        at = self._at
        if at >= len(self._pool):
            self._pool, at = os.urandom(self._SIZE), 0
        self._at = at + 4
        return self._pool[at : at + 4]


_keys = _MaskKeys()


def _masked(opcode: int, payload: bytes) -> bytes:
    """One final client frame: header, mask key, the payload XORed with it."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 1 << 16:
        head = bytes((0x80 | opcode, 0xFE)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0xFF)) + n.to_bytes(8, "big")
    key = _keys.next()
    if not n:
        return head + key
    global _xor
    if _xor is None:
        _xor = _xor_mask()
    body = bytearray(payload)
    _xor(body, key)
    return head + key + body


class WsConnection(asyncio.Protocol):
    """One client WebSocket. Made by `connect`; `on_message` gets each whole text or binary
    message's bytes, `on_close` once, with why, when the connection is gone."""

    def __init__(self, on_message: OnMessage, on_close: OnClose, max_message: int) -> None:
        self._on_message = on_message
        self._on_close = on_close
        self._max_message = max_message
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._fragments: bytearray | None = None  # a message whose last frame has not come
        self._opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._key = ""
        self._open = False  # the handshake is done
        self._close_sent = False
        self._why = ""

    @property
    def closed(self) -> bool:
        """Nothing more can be sent: closing, closed, or never opened."""
        transport = self._transport
        return not self._open or self._close_sent or transport is None or transport.is_closing()

    def send_text(self, data: bytes) -> None:
        """Write one text message now; ConnectionError if the connection cannot take it (then
        no byte of it left)."""
        if self.closed:
            raise ConnectionError(self._why or "the WebSocket is closed")
        assert self._transport is not None
        self._transport.write(_masked(TEXT, data))

    async def close(self, timeout_s: float = 1.0) -> None:
        """The closing handshake: a close frame, then the server's, or the socket cut after
        `timeout_s`."""
        self._send_close(NORMAL, "the client closed")
        if self._transport is None:
            return
        try:
            async with asyncio.timeout(timeout_s):
                await asyncio.shield(self._lost)
        except TimeoutError:
            self._transport.abort()

    # ── asyncio.Protocol ──────────────────────────────────────────────────────────────────
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        why = self._why or (f"the connection was lost: {exc}" if exc else "the server closed")
        self._why = why
        if not self._opened.done():
            self._opened.set_exception(HandshakeFailed(why))
        if not self._lost.done():
            self._lost.set_result(None)
            if self._open:
                self._on_close(why)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._open and not self._handshake_done():
            return
        self._frames()

    def eof_received(self) -> bool:
        return False  # the transport closes itself

    # ── the handshake ─────────────────────────────────────────────────────────────────────
    def start(self, host: str, target: str) -> None:
        assert self._transport is not None
        self._key = base64.b64encode(os.urandom(16)).decode()
        self._transport.write(
            (
                f"GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {self._key}\r\n"
                "Sec-WebSocket-Version: 13\r\nUser-Agent: tradeguard\r\n\r\n"
            ).encode()
        )

    def _handshake_done(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_HEAD:
                self._refuse("the server's handshake response is too long")
            return False
        head = bytes(self._buffer[:end]).decode("latin-1")
        del self._buffer[: end + 4]
        status, *lines = head.split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        expected = base64.b64encode(
            hashlib.sha1(self._key.encode() + ACCEPT_GUID).digest()  # noqa: S324 (RFC 6455 names SHA-1)
        ).decode()
        if status.split(" ")[1:2] != ["101"]:
            self._refuse(f"the server refused the WebSocket upgrade: {status}")
        elif headers.get("upgrade", "").lower() != "websocket":
            self._refuse("the server's upgrade is not to a WebSocket")
        elif headers.get("sec-websocket-accept") != expected:
            self._refuse("the server's Sec-WebSocket-Accept does not match the key")
        elif headers.get("sec-websocket-extensions"):
            self._refuse("the server asked for an extension that was not offered")
        else:
            self._open = True
            self._opened.set_result(None)
            return True
        return False

    def _refuse(self, why: str) -> None:
        self._why = why
        if not self._opened.done():
            self._opened.set_exception(HandshakeFailed(why))
        if self._transport is not None:
            self._transport.close()

    # ── frames in ─────────────────────────────────────────────────────────────────────────
    def _frames(self) -> None:
        buffer = self._buffer
        while len(buffer) >= 2 and not self.closed:  # nothing read past a close or a break
            first, second = buffer[0], buffer[1]
            size, at = second & 0x7F, 2
            if size == 126:
                if len(buffer) < 4:
                    return
                size, at = int.from_bytes(buffer[2:4], "big"), 4
            elif size == 127:
                if len(buffer) < 10:
                    return
                size, at = int.from_bytes(buffer[2:10], "big"), 10
            opcode, final = first & 0x0F, bool(first & 0x80)
            if first & 0x70 or second & 0x80:
                return self._fail(PROTOCOL_ERROR, "the server sent reserved bits or a mask")
            if opcode >= CLOSE and (not final or size > 125):
                return self._fail(PROTOCOL_ERROR, "the server sent a bad control frame")
            if size > self._max_message:
                return self._fail(TOO_BIG, f"a message over {self._max_message} bytes")
            if len(buffer) < at + size:
                return
            payload = bytes(buffer[at : at + size])
            del buffer[: at + size]
            self._frame(opcode, final, payload)

    def _frame(self, opcode: int, final: bool, payload: bytes) -> None:
        if opcode in (TEXT, BINARY):
            if self._fragments is not None:
                return self._fail(PROTOCOL_ERROR, "a new message inside a fragmented one")
            if final:
                return self._on_message(payload)
            self._fragments = bytearray(payload)
        elif opcode == CONTINUATION:
            fragments = self._fragments
            if fragments is None:
                return self._fail(PROTOCOL_ERROR, "a continuation with no message begun")
            fragments += payload
            if len(fragments) > self._max_message:
                return self._fail(TOO_BIG, f"a message over {self._max_message} bytes")
            if final:
                self._fragments = None
                self._on_message(bytes(fragments))
        elif opcode == PING:
            if not self.closed:
                assert self._transport is not None
                self._transport.write(_masked(PONG, payload))
        elif opcode == CLOSE:
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
            reason = payload[2:].decode("utf-8", "replace")
            self._why = self._why or (
                f"the server closed the WebSocket ({code}{': ' + reason if reason else ''})"
                if code
                else "the server closed the WebSocket"
            )
            self._send_close(code or NORMAL, "")
            if self._transport is not None:
                self._transport.close()
        elif opcode != PONG:
            self._fail(PROTOCOL_ERROR, f"the server sent an unknown opcode {opcode}")

    def _fail(self, code: int, why: str) -> None:
        self._why = self._why or f"the WebSocket broke: {why}"
        self._send_close(code, why[:100])
        if self._transport is not None:
            self._transport.close()

    def _send_close(self, code: int, reason: str) -> None:
        transport = self._transport
        if self._close_sent or transport is None or transport.is_closing() or not self._open:
            if transport is not None and not self._open:
                transport.close()
            return
        self._close_sent = True
        transport.write(_masked(CLOSE, code.to_bytes(2, "big") + reason.encode()))


async def connect(
    url: str,
    on_message: OnMessage,
    on_close: OnClose,
    *,
    ssl_context: ssl.SSLContext | None = None,
    max_message: int = 4 * 1024 * 1024,
) -> WsConnection:
    """Open `url` (ws:// or wss://) and finish the handshake. OSError (HandshakeFailed among
    them) if it could not: nothing was sent on it. Cancelled midway, the socket is closed."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"not a ws(s) URL: {url!r}")
    tls = parts.scheme == "wss"
    port = parts.port or (443 if tls else 80)
    loop = asyncio.get_running_loop()
    _, connection = await loop.create_connection(
        lambda: WsConnection(on_message, on_close, max_message),
        parts.hostname,
        port,
        ssl=(ssl_context or ssl.create_default_context()) if tls else None,
        server_hostname=parts.hostname if tls else None,
    )
    try:
        connection.start(
            parts.netloc, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        )
        await connection._opened
    except BaseException:
        if connection._transport is not None:
            connection._transport.abort()
        raise
    return connection
