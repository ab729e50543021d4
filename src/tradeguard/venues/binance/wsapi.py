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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import msgspec

from tradeguard.keys.credentials import ApiCredentials
from tradeguard.net.clock import SYSTEM, Clock
from tradeguard.net.httpclient import NeverSent, NoAnswer
from tradeguard.net.httpwire import Response
from tradeguard.venues.binance.endpoints import Request
from tradeguard.venues.binance.wsapi_frames import (
    METHODS,
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


class WsOrderWire:
    """One WebSocket API connection carrying the order requests of one transport."""

    def __init__(
        self,
        url: str,
        *,
        config: WsApiConfig | None = None,
        clock: Clock = SYSTEM,
        rng: random.Random | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.url = url
        self.config = config or WsApiConfig()
        self.clock = clock
        self._rng = rng or random.Random()  # jitter, not cryptography
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._connecting: asyncio.Lock | None = None
        self._pending: dict[int, asyncio.Future[ReplyFrame]] = {}
        self._next_id = 0
        self.failed_connects = 0  # in a row, since the last connect that worked
        self._retry_at = 0.0  # monotonic: no new connect before this
        self.connections = 0  # opened so far

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

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
        ws = await self._connected()
        self._next_id += 1
        request_id = self._next_id
        frame = request_frame(
            request_id, METHODS[request.name], request, credentials, recv_window_ms, timestamp()
        )
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ReplyFrame] = loop.create_future()
        self._pending[request_id] = future
        timer: asyncio.TimerHandle | None = None
        try:
            try:
                await ws.send_frame(frame, aiohttp.WSMsgType.TEXT)
            except (ConnectionError, RuntimeError, aiohttp.ClientError) as exc:
                # aiohttp refuses to write on a closing socket before any byte leaves
                raise NeverSent(f"the WebSocket API connection is closed ({exc})") from exc
            # a timer, not wait_for: no task per request on the hot path
            timer = loop.call_later(self.config.reply_timeout_s, _time_out, future, self.config)
            reply = await future
        finally:
            self._pending.pop(request_id, None)
            if timer is not None:
                timer.cancel()
        return as_response(reply)

    async def close(self) -> None:
        await self._drop("the transport closed")
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ── the connection ──────────────────────────────────────────────────────────────────
    async def _connected(self) -> aiohttp.ClientWebSocketResponse:
        ws = self._ws
        if ws is not None and not ws.closed:
            return ws
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:  # one connect at a time; the others use its connection
            ws = self._ws
            if ws is not None and not ws.closed:
                return ws
            wait = self._retry_at - self.clock.monotonic()
            if wait > 0:
                await self._sleep(wait)
            try:
                ws = await self._open()
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                self.failed_connects += 1
                ceiling = min(
                    self.config.backoff_cap_s,
                    self.config.backoff_base_s * 2 ** (self.failed_connects - 1),
                )
                self._retry_at = self.clock.monotonic() + self._rng.uniform(0, ceiling)
                raise NeverSent(f"the WebSocket API at {self.url} did not open: {exc}") from exc
            self.failed_connects = 0
            self._ws = ws
            self.connections += 1
            self._reader = asyncio.create_task(self._read(ws))
            return ws

    async def _open(self) -> aiohttp.ClientWebSocketResponse:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        timeout = aiohttp.ClientWSTimeout(ws_close=1.0)
        return await asyncio.wait_for(
            self._session.ws_connect(self.url, timeout=timeout, autoping=True, heartbeat=None),
            self.config.connect_timeout_s,
        )

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for message in ws:
                if message.type is aiohttp.WSMsgType.TEXT:
                    data: str | bytes = message.data
                elif message.type is aiohttp.WSMsgType.BINARY:
                    data = message.data
                else:
                    continue
                try:
                    reply = decode_reply(data)
                except (msgspec.DecodeError, msgspec.ValidationError):
                    continue  # not a reply we can read: its request times out as unknown
                if not isinstance(reply.id, int):
                    continue  # an event (serverShutdown, ...): the close that follows counts
                future = self._pending.get(reply.id)
                if future is not None and not future.done():
                    future.set_result(reply)
        finally:
            if self._ws is ws:
                self._ws = None
            self._fail_pending("the WebSocket API connection closed before the reply")

    def _fail_pending(self, why: str) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(NoAnswer(why))
        self._pending.clear()

    async def _drop(self, why: str) -> None:
        ws, reader = self._ws, self._reader
        self._ws = self._reader = None
        self._fail_pending(why)
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()


def _time_out(future: asyncio.Future[ReplyFrame], config: WsApiConfig) -> None:
    if not future.done():
        why = f"no reply on the WebSocket API within {config.reply_timeout_s:g} s"
        future.set_exception(NoAnswer(why))
