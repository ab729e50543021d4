"""How the simulator pushes to WebSocket clients: outboxes, stream connections, the event hub.

Every WebSocket connection has one `Outbox`: frames queue up synchronously (the engine's events
are delivered with no `await` in between, so their order is the engine's) and one task writes
them in order. Events pass the connection's `StreamConn`, which applies the fault plan's stream
faults on their way out; replies to requests never do.

Stream faults (sim/faults.py), matched by channel ("user": the WS API's subscriptions and
listenKey streams; "market": public streams) and/or WebSocket path:
    stream_drop       the TCP connection is cut, no close frame
    stream_terminate  user streams get eventStreamTerminated (WS API: every subscription on the
                      connection ends, the socket stays) or listenKeyExpired (legacy stream, then
                      closed); market streams are closed
    stream_silence    events are DISCARDED, not buffered: a stalled stream loses them, as a real
                      one does, and the client must catch up over REST; pings are still answered
    duplicate_next    the next N events are each sent twice
    reorder_next      the next N events are held (across engine calls) and sent reversed once
                      all N have arrived
    server_shutdown   {"event": {"e": "serverShutdown"}} on any connection (one that only
                      carries requests too), then its close `close_after_s` later
A drop or terminate acts on the next event, or at once on an idle stream when the fault is
added (and on every market tick).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import WSCloseCode, WSMsgType, web

from tradeguard.net.task_stop import stop_task
from tradeguard.sim.faults_kinds import ReorderNext
from tradeguard.sim.records import STOP_TRIGGERED

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

PING_INTERVAL_S = 20.0  # Binance pings every 20 s and drops a client silent for a minute
MAX_QUEUED_FRAMES = 10_000  # a client this far behind is cut off, as Binance cuts slow readers
_encode = msgspec.json.Encoder(decimal_format="string").encode


class Outbox:
    """One connection's outgoing frames, written in order by one task."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        self._ws = ws
        self._request = request
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.open = True
        self._close_code: int = WSCloseCode.OK
        self._close_message = b""
        self._task = asyncio.create_task(self._write())

    def send(self, frame: object) -> None:
        if not self.open:
            return
        if self._queue.qsize() >= MAX_QUEUED_FRAMES:
            self.drop()
            return
        self._queue.put_nowait(_encode(frame))

    async def reply(self, frame: object) -> None:
        """A request's reply: written at once when nothing is queued before it (no turn of
        the event loop through the writer task: a WebSocket API order is answered sooner),
        else queued behind what is, in order."""
        if not self.open:
            return
        if not self._queue.empty():
            self.send(frame)
            return
        try:
            await self._ws.send_frame(_encode(frame), WSMsgType.TEXT)
        except (ConnectionError, RuntimeError):
            self.open = False

    def close(self, code: int = WSCloseCode.OK, message: bytes = b"") -> None:
        """Close politely after what is queued (a close frame with `code` and `message`)."""
        if self.open:
            self.open = False
            self._close_code = code
            self._close_message = message
            self._queue.put_nowait(None)

    def drop(self) -> None:
        """Cut the TCP connection: no close frame, nothing more is sent."""
        self.open = False
        transport = self._request.transport
        if transport is not None:
            transport.abort()

    async def _write(self) -> None:
        while True:
            frame = await self._queue.get()
            if frame is None:
                await self._ws.close(code=self._close_code, message=self._close_message)
                return
            try:
                await self._ws.send_frame(frame, WSMsgType.TEXT)  # JSON: UTF-8 already
            except (ConnectionError, RuntimeError):
                self.open = False
                return

    async def finish(self) -> None:
        self.open = False
        await stop_task(self._task)


class StreamConn:
    """One WebSocket connection as a stream: its pending events and its stream faults.

    Events queue up in `pending` while the engine's events are dispatched and go out in one
    `flush`. `channel` ("user" or "market") and `path` decide which stream faults apply.
    """

    def __init__(self, sim: Sim, outbox: Outbox, path: str, channel: str) -> None:
        self.sim = sim
        self.outbox = outbox
        self.path = path
        self.channel = channel
        self.pending: list[object] = []
        self.terminate: Callable[[], None] = outbox.close
        self.active: Callable[[], bool] = lambda: True
        self._held: list[object] = []
        self._hold_left = 0  # events still to hold for a reorder_next fault
        self._shutting_down = False  # a server_shutdown fault sent its event; the close follows

    def _allowed(self, now_ms: int) -> bool | None:
        """True: send; False: withhold (silence); None: the connection was dropped/terminated."""
        faults = self.sim.faults.for_stream(self.path, now_ms, self.channel)
        if faults.drop:
            self.pending.clear()
            self.outbox.drop()
            return None
        if faults.terminate:
            self.pending.clear()
            self.terminate()
            return None
        return not faults.silenced

    def _take_reorder(self) -> None:
        # A reorder holds its events across batches until `count` of them have arrived, so it
        # can swap e.g. a PARTIALLY_FILLED report with the FILLED one that came after it.
        plan = self.sim.faults
        for fault in plan.faults():
            if (
                isinstance(fault, ReorderNext)
                and fault.id is not None
                and fault.count is not None
                and fault.matches_stream(self.path, self.channel)
            ):
                plan.remove(fault.id)
                self._hold_left = fault.count
                return

    def poll(self, now_ms: int) -> None:
        """Let a drop/terminate fault act on an idle stream too, and a server_shutdown on any
        connection, one that only carries requests included."""
        if not self.outbox.open:
            return
        if not self._shutting_down:
            close_after_s = self.sim.faults.shutdown_for(self.path, self.channel)
            if close_after_s is not None:
                self._shutting_down = True
                self.outbox.send({"event": {"e": "serverShutdown", "E": now_ms}})
                asyncio.get_running_loop().call_later(close_after_s, self.outbox.close)
                return
        if self.active():
            self._allowed(now_ms)

    def flush(self, now_ms: int) -> None:
        frames, self.pending = self.pending, []
        if not frames or not self.outbox.open:
            return
        out: list[object] = []
        for frame in frames:
            allowed = self._allowed(now_ms)
            if allowed is None:
                return
            if not allowed:
                continue
            if not self._hold_left:
                self._take_reorder()
            if self._hold_left:
                self._held.append(frame)
                self._hold_left -= 1
                if not self._hold_left:
                    out.extend(reversed(self._held))
                    self._held = []
            else:
                out.append(frame)
        for frame in self.sim.faults.shape_events(self.path, out, self.channel):
            self.outbox.send(frame)


class UserSink:
    """A user-data subscription: the WS API's {"subscriptionId","event"} or a listenKey stream."""

    hears_triggers = False  # a stop that fired (STOP_TRIGGERED): only a venue that says so

    def __init__(
        self, conn: StreamConn, account: str, wrap: Callable[[dict[str, Any]], object]
    ) -> None:
        self.conn = conn
        self.account = account
        self.wrap = wrap

    def event(self, payload: dict[str, Any]) -> None:
        self.conn.pending.append(self.wrap(payload))


class MarketSink:
    """A market-stream connection's subscriptions; `wrapped`: combined ({"stream","data"})."""

    def __init__(self, conn: StreamConn, wrapped: bool) -> None:
        self.conn = conn
        self.wrapped = wrapped
        self.streams: dict[str, None] = {}  # in subscription order

    def event(self, stream: str, payload: dict[str, Any]) -> None:
        self.conn.pending.append({"stream": stream, "data": payload} if self.wrapped else payload)


class Hub:
    """Who receives which events: user sinks by account, market sinks by stream name."""

    def __init__(self) -> None:
        self._users: dict[str, list[UserSink]] = {}
        self._listen_key_sinks: dict[str, list[UserSink]] = {}
        self._markets: dict[str, list[MarketSink]] = {}
        self._conns: list[StreamConn] = []

    def hears(self, account: str) -> bool:
        """Whether any user sink listens to `account` now."""
        return bool(self._users.get(account))

    def user_subscriptions(self) -> int:
        """Live user-data subscriptions (WS API subscriptions and listenKey streams)."""
        return sum(len(sinks) for sinks in self._users.values())

    def market_subscriptions(self) -> dict[str, int]:
        return {name: len(sinks) for name, sinks in sorted(self._markets.items()) if sinks}

    def add_conn(self, conn: StreamConn) -> None:
        self._conns.append(conn)

    def remove_conn(self, conn: StreamConn) -> None:
        if conn in self._conns:
            self._conns.remove(conn)

    def add_user(self, sink: UserSink, listen_key: str | None = None) -> None:
        self._users.setdefault(sink.account, []).append(sink)
        if listen_key is not None:
            self._listen_key_sinks.setdefault(listen_key, []).append(sink)

    def remove_user(self, sink: UserSink) -> None:
        sinks = self._users.get(sink.account, [])
        if sink in sinks:
            sinks.remove(sink)
        for listed in self._listen_key_sinks.values():
            if sink in listed:
                listed.remove(sink)

    def add_market(self, sink: MarketSink, stream: str) -> None:
        if sink not in self._markets.setdefault(stream, []):
            self._markets[stream].append(sink)
        sink.streams[stream] = None

    def has_market(self, stream: str) -> bool:
        return bool(self._markets.get(stream))

    def remove_market(self, sink: MarketSink, stream: str | None = None) -> None:
        for name in [stream] if stream is not None else list(sink.streams):
            sinks = self._markets.get(name, [])
            if sink in sinks:
                sinks.remove(sink)
            sink.streams.pop(name, None)

    def user_event(self, account: str, payload: dict[str, Any]) -> None:
        triggered = payload.get("e") == STOP_TRIGGERED
        for sink in self._users.get(account, ()):
            if sink.hears_triggers or not triggered:
                sink.event(payload)

    def market_event(self, stream: str, payload: dict[str, Any]) -> None:
        for sink in self._markets.get(stream, ()):
            sink.event(stream, payload)

    def flush(self, now_ms: int) -> None:
        for conn in list(self._conns):
            if conn.pending:
                conn.flush(now_ms)

    def poll(self, now_ms: int) -> None:
        """Give stream faults a chance on idle connections (after a fault is added, on ticks)."""
        for conn in list(self._conns):
            conn.poll(now_ms)

    def listen_key_expired(self, listen_key: str, now_ms: int) -> None:
        """Tell the key's streams it expired (Binance's listenKeyExpired), then close them."""
        for sink in self._listen_key_sinks.pop(listen_key, []):
            sink.conn.outbox.send(
                sink.wrap({"e": "listenKeyExpired", "E": now_ms, "listenKey": listen_key})
            )
            sink.conn.outbox.close()
            self.remove_user(sink)

    def close_listen_key(self, listen_key: str) -> None:
        for sink in self._listen_key_sinks.pop(listen_key, []):
            sink.conn.outbox.close()
            self.remove_user(sink)


async def serve_ws(
    request: web.Request,
    sim: Sim,
    channel: str,
    on_open: Callable[[StreamConn], Callable[[str], object]],
    cleanup: Callable[[], None],
) -> web.WebSocketResponse:
    """Run one WebSocket connection: replies from `on_open`'s handler (a frame, None, or an
    awaitable of either), events via its conn."""
    ws = web.WebSocketResponse(heartbeat=PING_INTERVAL_S)
    await ws.prepare(request)
    outbox = Outbox(ws, request)
    conn = StreamConn(sim, outbox, request.path, channel)
    on_text = on_open(conn)
    sim.hub.add_conn(conn)
    sim.pump()  # a periodic stream's first frame goes out at once
    # A reply a fault delays (latency, a held reply) is awaited on its own task, so the
    # requests behind it on the connection are answered meanwhile, as Binance's are.
    delayed: set[asyncio.Task[None]] = set()

    async def send_later(pending: Awaitable[object]) -> None:
        reply = await pending
        if reply is not None:
            outbox.send(reply)
            sim.pump()

    try:
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                text = message.data
            elif message.type is WSMsgType.BINARY:
                text = message.data.decode("utf-8", "replace")
            else:
                continue
            reply = on_text(text)
            # A frame (a dict) is the common case: no need to ask whether it is awaitable.
            if type(reply) is not dict and inspect.isawaitable(reply):
                task = asyncio.create_task(send_later(reply))
                delayed.add(task)
                task.add_done_callback(delayed.discard)
            elif reply is not None:
                await outbox.reply(reply)
                sim.pump()  # after the reply: what a SUBSCRIBE started, an order's events
    finally:
        for task in delayed:
            task.cancel()
        sim.hub.remove_conn(conn)
        cleanup()
        await outbox.finish()
    return ws
