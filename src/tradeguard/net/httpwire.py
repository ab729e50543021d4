"""HTTP/1.1 on the wire, for tradeguard's REST client: the request's bytes and an incremental
response parser. Pure: bytes in, a `Response` out, no sockets.

Why our own: the REST hot path is one keep-alive connection sending small signed requests and
reading small JSON replies. aiohttp's general client spends more CPU per request than the whole
rest of the transport (tracing, cookies, redirects, per-read timers, multidicts); this covers
just what an exchange's REST API needs, with exact knowledge of what left and what came back.

What it reads: a status line, headers (names lower-cased; repeated ones joined with ", "), and
a body delimited by Content-Length, by chunked transfer coding, or by the connection's close;
1xx interim responses are skipped; gzip and deflate bodies are inflated. Anything else is a
`MalformedResponse`, never a guess.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 256 * 1024 * 1024  # a full exchangeInfo is a few MB; this is a runaway guard


class MalformedResponse(Exception):
    """The bytes that came back are not an HTTP/1.1 response we can trust."""


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes
    keep_alive: bool  # the connection may carry another request


def request_bytes(method: str, target: str, head: str, body: bytes | None) -> bytes:
    """One request: `head` holds the header lines (each ending in CRLF) without Content-Length,
    which is added for a body."""
    if body is None:
        return f"{method} {target} HTTP/1.1\r\n{head}\r\n".encode()
    head = f"{method} {target} HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


class ResponseParser:
    """Feed it the bytes of one connection; it returns each response once it is complete."""

    __slots__ = ("_buf", "_chunks", "_headers", "_keep_alive", "_length", "_mode", "_status")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._reset()

    def _reset(self) -> None:
        self._status = 0
        self._headers: dict[str, str] = {}
        self._keep_alive = True
        self._length = 0
        self._chunks: list[bytes] = []
        self._mode = "head"  # head → length | chunked | close

    @property
    def idle(self) -> bool:
        """No byte of a response has arrived since the last complete one."""
        return self._mode == "head" and not self._buf

    def feed(self, data: bytes | memoryview) -> Response | None:
        """Take `data`; the response it completes, if any. Bytes beyond it stay buffered."""
        buf = self._buf
        buf += data
        if self._mode == "head":
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEAD_BYTES:
                    raise MalformedResponse("response headers too long")
                return None
            head = bytes(buf[:end])
            del buf[: end + 4]
            self._read_head(head)
            if 100 <= self._status < 200:  # interim (100 Continue): the real one follows
                self._reset()
                return self.feed(b"")
        if self._mode == "length":
            if len(buf) < self._length:
                return None
            body = bytes(buf[: self._length])
            del buf[: self._length]
            return self._done(body)
        if self._mode == "chunked":
            return self._read_chunks()
        if len(buf) > MAX_BODY_BYTES:
            raise MalformedResponse("response body too large")
        return None  # until the connection closes

    def eof(self) -> Response | None:
        """The connection closed: the response it ended, or None if none had begun."""
        if self._mode == "close":
            body = bytes(self._buf)
            self._buf.clear()
            return self._done(body)
        if self.idle:
            return None
        raise MalformedResponse("the connection closed in the middle of a response")

    def _read_head(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")  # latin-1 decodes every byte
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or parts[0] not in ("HTTP/1.1", "HTTP/1.0") or not parts[1].isdigit():
            raise MalformedResponse(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        self._status = int(parts[1])
        headers = self._headers
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise MalformedResponse(f"bad header line: {line[:80]!r}")
            name = name.lower()
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        connection = headers.get("connection", "").lower()
        if parts[0] == "HTTP/1.0":
            self._keep_alive = "keep-alive" in connection
        else:
            self._keep_alive = "close" not in connection
        if self._status < 200 or self._status in (204, 304):
            self._mode, self._length = "length", 0
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self._mode = "chunked"
        elif "content-length" in headers:
            length = headers["content-length"]
            if not length.isdigit() or int(length) > MAX_BODY_BYTES:
                raise MalformedResponse(f"bad Content-Length: {length[:40]!r}")
            self._mode, self._length = "length", int(length)
        else:
            self._mode, self._keep_alive = "close", False

    def _read_chunks(self) -> Response | None:
        buf = self._buf
        while True:
            line_end = buf.find(b"\r\n")
            if line_end < 0:
                if len(buf) > MAX_HEAD_BYTES:
                    raise MalformedResponse("chunk size line too long")
                return None
            size_text = bytes(buf[:line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError as exc:
                raise MalformedResponse(f"bad chunk size: {size_text[:20]!r}") from exc
            if size < 0 or self._length + size > MAX_BODY_BYTES:
                raise MalformedResponse("response body too large")
            if size == 0:  # the last chunk, then trailers (usually none) and a blank line
                end = buf.find(b"\r\n\r\n", line_end)
                if end < 0:
                    return None
                del buf[: end + 4]
                return self._done(b"".join(self._chunks))
            start = line_end + 2
            if len(buf) < start + size + 2:
                return None
            if buf[start + size : start + size + 2] != b"\r\n":
                raise MalformedResponse("chunk not followed by CRLF")
            self._chunks.append(bytes(buf[start : start + size]))
            del buf[: start + size + 2]
            self._length += size

    def _done(self, body: bytes) -> Response:
        headers = self._headers
        encoding = headers.get("content-encoding")
        if encoding is not None and body:
            body = _inflate(body, encoding.lower())
        response = Response(self._status, headers, body, self._keep_alive)
        self._reset()
        return response


def _inflate(body: bytes, encoding: str) -> bytes:
    try:
        if encoding == "gzip":
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            return zlib.decompress(body)
    except zlib.error as exc:
        raise MalformedResponse(f"a {encoding} body that does not inflate") from exc
    if encoding == "identity":
        return body
    raise MalformedResponse(f"unsupported Content-Encoding {encoding!r}")
