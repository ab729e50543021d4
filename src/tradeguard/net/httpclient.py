"""A small HTTP/1.1 keep-alive client for one REST origin: the I/O half of `httpwire`.

It answers the one question the transport's safety rests on, exactly: did the request leave?

- `NeverSent`: nothing of the request was written: the connection could not be opened (refused,
  DNS, TLS handshake, connect timeout), or the connection picked from the pool turned out closed
  before the first byte was written (then another is opened instead, silently, as nothing left).
- `NoAnswer`: the request was written and no complete, well-formed response came back (the
  connection dropped, the read timed out, the bytes were not HTTP). It may have been executed.

Connections are reused while idle for less than `idle_s`, well under the keep-alive that
servers allow (so a reused connection is not one the server is about to close under us), and
never after anything unexpected: a response cut short, an unsolicited byte, a cancelled wait.
The read timeout restarts with every chunk that arrives, so a large body on a slow link is not
cut off while a silent server is.
"""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit

from tradeguard.net import httpwire
from tradeguard.net.httpwire import MalformedResponse, Response


class NeverSent(Exception):
    """Nothing of the request left this process."""


class NoAnswer(Exception):
    """The request left; no trustworthy response came back."""


class HttpClient:
    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 10.0,
        idle_s: float = 15.0,
        max_connections: int = 16,
        user_agent: str = "tradeguard",
    ) -> None:
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self._host = url.hostname
        self._tls = url.scheme == "https"
        self._port = url.port or (443 if self._tls else 80)
        self.prefix = url.path.rstrip("/")
        self._head = (
            f"Host: {url.netloc}\r\nUser-Agent: {user_agent}\r\n"
            "Accept: */*\r\nAccept-Encoding: gzip, deflate\r\n"
        )
        self._connect_timeout_s = connect_timeout_s
        self._read_timeout_s = read_timeout_s
        self._idle_s = idle_s
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[_Connection] = []
        self._ssl: ssl.SSLContext | None = None
        self._closed = False

    async def request(
        self, method: str, target: str, headers: str = "", body: bytes | None = None
    ) -> Response:
        """Send one request (`target` is the path and query, `headers` extra header lines each
        ending in CRLF) and read its response."""
        if self._closed:
            raise NeverSent("the HTTP client is closed")
        data = httpwire.request_bytes(method, self.prefix + target, self._head + headers, body)
        async with self._slots:
            connection = self._reusable() or await self._open()
            response = await connection.exchange(data, self._read_timeout_s)
            if response.keep_alive and not self._closed and connection.reusable:
                connection.idle_since = connection.loop.time()
                self._idle.append(connection)
            else:
                connection.close()
            return response

    async def close(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()

    def _reusable(self) -> _Connection | None:
        idle = self._idle
        while idle:
            connection = idle.pop()
            fresh = connection.loop.time() - connection.idle_since < self._idle_s
            if connection.reusable and fresh:
                return connection
            connection.close()
        return None

    async def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        context = self._context() if self._tls else None
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                _, connection = await loop.create_connection(
                    lambda: _Connection(loop),
                    self._host,
                    self._port,
                    ssl=context,
                    server_hostname=self._host if context is not None else None,
                )
        except TimeoutError as exc:
            raise NeverSent(f"connecting timed out after {self._connect_timeout_s:g} s") from exc
        except OSError as exc:  # refused, unreachable, DNS (gaierror), TLS (SSLError)
            raise NeverSent(f"could not connect: {exc.strerror or exc}") from exc
        return connection

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()  # loads the CA store once, not per connect
        return self._ssl


READ_BUFFER_BYTES = 64 * 1024


class _Connection(asyncio.BufferedProtocol):
    """One socket: at most one request in flight, its response parsed as the bytes arrive.

    A buffered protocol: the socket is read into one buffer kept for the connection's life,
    where a plain protocol has asyncio allocate (and the kernel map) 256 KiB for every read.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._inbox = memoryview(bytearray(READ_BUFFER_BYTES))
        self.transport: asyncio.Transport | None = None
        self.parser = httpwire.ResponseParser()
        self.waiter: asyncio.Future[Response] | None = None
        self.reusable = True
        self.idle_since = 0.0
        self.last_heard = 0.0
        self._timer: asyncio.TimerHandle | None = None

    # ── asyncio.Protocol ────────────────────────────────────────────────────────────────────
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._inbox

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(self._inbox[:nbytes])  # the parser copies what it keeps

    def data_received(self, data: bytes | memoryview) -> None:
        waiter = self.waiter
        if waiter is None:  # nobody asked: the connection's state is no longer known
            self.reusable = False
            self.close()
            return
        self.last_heard = self.loop.time()
        try:
            response = self.parser.feed(data)
        except MalformedResponse as exc:
            self._fail(NoAnswer(f"unreadable response: {exc}"))
            return
        if response is not None:
            self.waiter = None
            if not self.parser.idle:  # bytes beyond the response: not ours to guess about
                self.reusable = False
            if not waiter.done():
                waiter.set_result(response)

    def eof_received(self) -> bool:
        self.reusable = False
        waiter = self.waiter
        if waiter is not None:
            try:
                response = self.parser.eof()
            except MalformedResponse as exc:
                self._fail(NoAnswer(str(exc)))
                return False
            if response is None:
                self._fail(NoAnswer("the server closed the connection without a response"))
            else:
                self.waiter = None
                if not waiter.done():
                    waiter.set_result(response)
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        if self.waiter is not None:
            reason = f"connection lost ({exc})" if exc else "connection closed"
            self._fail(NoAnswer(f"{reason} before the response was complete"))

    # ── one exchange ────────────────────────────────────────────────────────────────────────
    async def exchange(self, data: bytes, read_timeout_s: float) -> Response:
        transport = self.transport
        if transport is None or transport.is_closing() or not self.reusable:
            raise NeverSent("the connection closed before the request was written")
        waiter: asyncio.Future[Response] = self.loop.create_future()
        self.waiter = waiter
        self.last_heard = self.loop.time()
        self._timer = self.loop.call_at(
            self.last_heard + read_timeout_s, self._check_silence, read_timeout_s
        )
        transport.write(data)
        try:
            return await waiter
        except asyncio.CancelledError:
            self.reusable = False  # a reply may still come; this socket cannot be trusted
            self.close()
            raise
        finally:
            self.waiter = None
            if self._timer is not None:
                self._timer.cancel()

    def _check_silence(self, read_timeout_s: float) -> None:
        if self.waiter is None:
            return
        quiet_until = self.last_heard + read_timeout_s
        if self.loop.time() >= quiet_until:
            self._fail(NoAnswer(f"no response within {read_timeout_s:g} s"))
        else:
            self._timer = self.loop.call_at(quiet_until, self._check_silence, read_timeout_s)

    def _fail(self, error: NoAnswer) -> None:
        waiter, self.waiter = self.waiter, None
        self.reusable = False
        self.close()
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def close(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if self.reusable:
            transport.close()  # a clean goodbye
        else:
            transport.abort()  # whatever is buffered either way is not wanted
