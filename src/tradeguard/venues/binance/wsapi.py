"""Orders over Binance's WebSocket API: one persistent connection, each request signed on its own.

`BinanceTransport` keeps every promise it makes for REST (the ledger prices and waits first,
the breaker, -1021 re-sent once under the same client order id, replies classified into the
error tree, a 429/418 holding everything for the host) and hands the order requests that
`takes` to `send` instead of its HTTP client. What this module adds is the connection:

- Requests carry ids; replies are matched to them, so many may be in flight at once.
- A request that could not be written (no connection, the connect failed) raises `NeverSent`:
  nothing left, the transport may try again (NotSent). Once written, a request whose reply
  does not come within `reply_timeout_s`, or whose connection drops before its reply, raises
  `NoAnswer`: the transport makes it OutcomeUnknown, and an order is resolved by its client
  order id, never sent again.
- A dropped connection fails every request in flight at once (each an unknown outcome) and
  the next request connects again, after a backoff with full jitter that grows with each
  failed connect and resets once one succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import msgspec

from tradeguard.keys.credentials import ApiCredentials
from tradeguard.net.clock import SYSTEM, Clock
from tradeguard.net.httpclient import NeverSent, NoAnswer
from tradeguard.net.httpwire import Response
from tradeguard.net.task_stop import stop_task
from tradeguard.net.wsclient import WsConnection, connect
from tradeguard.venues.binance.endpoints import Request
from tradeguard.venues.binance.signing import ReadyKey
from tradeguard.venues.binance.wsapi_frames import (
    METHODS,
    SERVER_SHUTDOWN,
    ReplyFrame,
    as_response,
    decode_reply,
    request_frame,
)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class WsApiConfig:
    connect_timeout_s: float = 5.0
    reply_timeout_s: float = 10.0  # REST's read timeout: no reply by then is an unknown outcome
    backoff_base_s: float = 0.25
    backoff_cap_s: float = 8.0
    max_connection_s: float = 23 * 3600.0  # Binance cuts a connection at 24 h; leave before


Dial = Callable[[str, Callable[[bytes], None], Callable[[str], None]], Awaitable[WsConnection]]


class _Connection:
    """One WebSocket API connection: its socket, the requests awaiting a reply on it.
    `retiring`: new requests go to a new connection; this one only awaits its replies."""

    __slots__ = ("opened_at", "pending", "retiring", "ws")

    def __init__(self, opened_at: float) -> None:
        self.ws: WsConnection | None = None  # set once the handshake is done
        # request id -> (its reply, the loop time by which it must have come)
        self.pending: dict[int, tuple[asyncio.Future[ReplyFrame], float]] = {}
        self.opened_at = opened_at
        self.retiring = False

    @property
    def closed(self) -> bool:
        return self.ws is None or self.ws.closed

    def fail_pending(self, why: str) -> None:
        for future, _ in self.pending.values():
            if not future.done():
                future.set_exception(NoAnswer(why))
        self.pending.clear()

    def expire(self, now: float, why: str) -> float | None:
        """Fail the requests whose reply is overdue at `now`; the next deadline still ahead."""
        ahead: float | None = None
        for future, due in self.pending.values():
            if future.done():
                continue
            if due <= now:
                future.set_exception(NoAnswer(why))
            elif ahead is None or due < ahead:
                ahead = due
        return ahead


class WsOrderWire:
    """The WebSocket API connection carrying the order requests of one transport (two for a
    moment during a planned reconnect: the new one for new requests, the old one until its
    replies are in)."""

    def __init__(
        self,
        url: str,
        *,
        config: WsApiConfig | None = None,
        clock: Clock = SYSTEM,
        rng: random.Random | None = None,
        sleep: Sleep = asyncio.sleep,
        dial: Dial | None = None,
    ) -> None:
        self.url = url
        self.config = config or WsApiConfig()
        self.clock = clock
        self._rng = rng or random.Random()  # jitter, not cryptography
        self._sleep = sleep
        self._dial = dial or self._connect
        self._ssl: ssl.SSLContext | None = None  # the CA store loaded once, not per connect
        self._conn: _Connection | None = None  # where new requests go
        self._retiring: set[_Connection] = set()  # still awaiting replies, then closed
        self._connecting: asyncio.Lock | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # renewals and closes under way
        # one timer for every request in flight, armed for the nearest deadline: a timer per
        # request (made and cancelled around every order) cost more than the reply's reading
        self._watchdog: asyncio.TimerHandle | None = None
        self._next_id = 0
        self._key = ReadyKey()  # the key made ready once, not at every order
        self.failed_connects = 0  # in a row, since the last connect that worked
        self._retry_at = 0.0  # monotonic: no new connect before this
        self.connections = 0  # opened so far
        self.planned_reconnects = 0  # connections left ahead of a serverShutdown or 24 h

    @property
    def connected(self) -> bool:
        conn = self._conn
        return conn is not None and not conn.closed and not conn.retiring

    @property
    def down(self) -> bool:
        """Not connected, and the last connect failed: the WebSocket API is not to be counted
        on until a connect works again (an order's, which only this wire may carry)."""
        return self.failed_connects > 0 and not self.connected

    def takes(self, request: Request) -> bool:
        """Whether `request` goes over this wire now: every request it carries, but a read
        while the WebSocket API is down, which REST serves as well (the user stream's
        back-fill then does not wait for the order connection)."""
        if request.name not in METHODS:
            return False
        return not (request.method == "GET" and self.down)

    @staticmethod
    def method_of(request: Request) -> tuple[str, str]:
        """How a request it carries is named where it is told (the journal, errors): as the
        method sent, ("WS", "order.place"), not as its REST twin."""
        return ("WS", METHODS[request.name])

    async def send(
        self,
        request: Request,
        credentials: ApiCredentials,
        recv_window_ms: int,
        timestamp: Callable[[], int],
    ) -> Response:
        """Send `request` once and return its reply as REST's response; NeverSent / NoAnswer
        as the HTTP client raises them. `timestamp` is read after the connection is up."""
        conn = await self._connected()
        self._next_id += 1
        request_id = self._next_id
        sign = self._key.signer(credentials)
        frame = request_frame(
            request_id, METHODS[request.name], request, credentials.api_key, sign,
            recv_window_ms, timestamp(),
        )  # fmt: skip
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ReplyFrame] = loop.create_future()
        # awaited before the write (its reply may be read while the write waits to drain);
        # its deadline is the watchdog's: no timer or task of its own on the hot path
        due = loop.time() + self.config.reply_timeout_s
        conn.pending[request_id] = (future, due)
        if self._watchdog is None:
            self._watchdog = loop.call_at(due, self._expire)
        try:
            try:
                assert conn.ws is not None
                conn.ws.send_text(frame)
            except ConnectionError as exc:  # refused before any byte of it was written
                raise NeverSent(f"the WebSocket API connection is closed ({exc})") from exc
            reply = await future
        finally:
            conn.pending.pop(request_id, None)
            if conn.retiring and not conn.pending:
                self._close_soon(conn)  # its last reply is in (or lost): nothing more on it
        return as_response(reply)

    def _expire(self) -> None:
        """The watchdog: every request whose reply is overdue is NoAnswer; then it sleeps until
        the nearest deadline still ahead (none: until the next request arms it)."""
        self._watchdog = None
        loop = asyncio.get_running_loop()
        why = f"no reply on the WebSocket API within {self.config.reply_timeout_s:g} s"
        ahead = [
            due
            for conn in (self._conn, *self._retiring)
            if conn is not None and (due := conn.expire(loop.time(), why)) is not None
        ]
        if ahead:
            self._watchdog = loop.call_at(min(ahead), self._expire)

    async def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()  # all at once: a close cancelled midway leaves none running
        try:
            for task in tasks:
                await stop_task(task, quiet=(Exception,))
        finally:  # cancelled while the tasks end, the connections and the session still close
            conns = [c for c in (self._conn, *self._retiring) if c is not None]
            self._conn = None
            self._retiring.clear()
            for conn in conns:
                await self._shut(conn, "the transport closed")

    # ── the connection ──────────────────────────────────────────────────────────────────
    def _usable(self, conn: _Connection | None) -> bool:
        if conn is None or conn.closed or conn.retiring:
            return False
        return self.clock.monotonic() - conn.opened_at < self.config.max_connection_s

    async def _connected(self) -> _Connection:
        conn = self._conn
        if self._usable(conn):
            assert conn is not None
            return conn
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:  # one connect at a time; the others use its connection
            conn = self._conn
            if self._usable(conn):
                assert conn is not None
                return conn
            if conn is not None and not conn.closed:
                self._retire(conn)  # 24 h old: leave it before the exchange cuts it
            wait = self._retry_at - self.clock.monotonic()
            if wait > 0:
                await self._sleep(wait)
            conn = _Connection(self.clock.monotonic())
            try:
                conn.ws = await self._open(conn)
            except (OSError, TimeoutError) as exc:
                self.failed_connects += 1
                ceiling = min(
                    self.config.backoff_cap_s,
                    self.config.backoff_base_s * 2 ** (self.failed_connects - 1),
                )
                self._retry_at = self.clock.monotonic() + self._rng.uniform(0, ceiling)
                raise NeverSent(f"the WebSocket API at {self.url} did not open: {exc}") from exc
            self.failed_connects = 0
            conn.opened_at = self.clock.monotonic()
            self._conn = conn
            self.connections += 1
            return conn

    async def _open(self, conn: _Connection) -> WsConnection:
        # asyncio.timeout, not wait_for: on 3.11 wait_for hands the connection to a caller
        # cancelled in the turn it opened, and that caller's order would go out
        async with asyncio.timeout(self.config.connect_timeout_s):
            return await self._dial(
                self.url,
                lambda data: self._on_message(conn, data),
                lambda why: self._on_close(conn, why),
            )

    async def _connect(
        self, url: str, on_message: Callable[[bytes], None], on_close: Callable[[str], None]
    ) -> WsConnection:
        if url.startswith("wss:") and self._ssl is None:
            self._ssl = ssl.create_default_context()
        return await connect(url, on_message, on_close, ssl_context=self._ssl)

    def _retire(self, conn: _Connection) -> None:
        """A planned reconnect: new requests go to a new connection; `conn` keeps the ones in
        flight on it until their replies are in (or it closes: then each is an unknown outcome,
        resolved by client order id, never resent), then is closed."""
        conn.retiring = True
        if self._conn is conn:
            self._conn = None
        self._retiring.add(conn)
        self.planned_reconnects += 1
        if not conn.pending:
            self._close_soon(conn)

    def _on_shutdown(self, conn: _Connection) -> None:
        """serverShutdown: the exchange closes `conn` soon. Retire it and open the next one
        now, so the next order does not wait for a connect."""
        if conn.retiring:
            return
        self._retire(conn)
        self._spawn(self._renew())

    async def _renew(self) -> None:
        with contextlib.suppress(NeverSent):  # the next request tries again, after the backoff
            await self._connected()

    def _close_soon(self, conn: _Connection) -> None:
        self._retiring.discard(conn)
        self._spawn(self._shut(conn, "the WebSocket API connection was retired"))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_message(self, conn: _Connection, data: bytes) -> None:
        """A whole message on `conn`, handed over as it completes (no reader task: the reply
        reaches its order one turn of the event loop sooner)."""
        try:
            reply = decode_reply(data)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return  # not a reply we can read: its request times out as unknown
        if not isinstance(reply.id, int):
            if reply.event is not None and reply.event.e == SERVER_SHUTDOWN:
                self._on_shutdown(conn)
            return  # another event: nothing to do with orders
        waiting = conn.pending.get(reply.id)
        if waiting is not None and not waiting[0].done():
            waiting[0].set_result(reply)

    def _on_close(self, conn: _Connection, why: str) -> None:
        """`conn` is gone: every request still waiting on it is an unknown outcome."""
        if self._conn is conn:
            self._conn = None
        self._retiring.discard(conn)
        conn.fail_pending(f"the WebSocket API connection closed before the reply ({why})")

    async def _shut(self, conn: _Connection, why: str) -> None:
        conn.fail_pending(why)
        if conn.ws is not None:
            with contextlib.suppress(Exception):
                await conn.ws.close()
