"""A market-stream connection: its streams, its live requests, its limits (Binance's rules).

Raw streams at /ws/<name>[/<name>...] (bare payloads) and combined streams at
/stream?streams=<a>/<b> (each wrapped {"stream", "data"}); a connection may start with no
stream at all (/ws, or ccxt.pro's /ws/0: a name without "@" labels the connection and is
ignored) and take requests:

    {"method": "SUBSCRIBE" | "UNSUBSCRIBE", "params": [names], "id": 1}  {"result": null, "id": 1}
    {"method": "LIST_SUBSCRIPTIONS", "id": 2}                            {"result": [names], ...}
    {"method": "SET_PROPERTY", "params": ["combined", true], "id": 3}    {"result": null, ...}
    {"method": "GET_PROPERTY", "params": ["combined"], "id": 4}          {"result": true, ...}

A bad request gets Binance's error frame as it arrives on the wire,
{"error": {"code", "msg"}, "id"}: 0 unknown property, 1 bad value type, 2 invalid request
(unknown method, bad id, invalid stream), 3 invalid JSON, 4 too many subscriptions; a request
with an error changes nothing. Limits: 5 incoming messages a second per connection (counted on
the simulator's clock; pings and pongs are answered and not counted): the 6th closes the
connection with 1008 "Too many requests"; 1024 streams a connection (a URL, at most 8190
bytes long, names fewer).

Unlike Binance, which accepts a well-formed stream of a symbol it does not list and then sends
nothing, the simulator refuses a stream it does not serve (code 2 "Invalid request: invalid
stream", or 400 before the upgrade for a name in the URL), so a typo shows at once.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, web

from tradeguard.sim.rest_params import reject
from tradeguard.sim.streams_feeds import StreamSpec, parse_stream
from tradeguard.sim.streams_hub import MarketSink, StreamConn, serve_ws

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

MAX_STREAMS = 1024
MAX_MESSAGES_PER_S = 5
TOO_MANY_REQUESTS = b"Too many requests"
METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")
_ID_MAX_LENGTH = 36
_INT64 = range(-(2**63), 2**63)


class RequestError(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


def _position(text: str, index: int) -> str:
    """serde's "line L column C" for a character index of `text`."""
    before = text[:index]
    line = before.count("\n") + 1
    column = index - (before.rfind("\n") + 1)
    return f"line {line} column {column}"


def _valid_id(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value in _INT64
    if isinstance(value, str):
        return 0 < len(value) <= _ID_MAX_LENGTH and value.isascii() and value.isalnum()
    return False


class MarketSession:
    """One market-stream connection: what it carries and how it answers requests."""

    def __init__(self, sim: Sim, conn: StreamConn, wrapped: bool) -> None:
        self.sim = sim
        self.conn = conn
        self.sink = MarketSink(conn, wrapped)
        self._arrivals: deque[int] = deque()
        conn.active = lambda: bool(self.sink.streams)
        conn.terminate = self.shutdown

    def open(self, specs: list[StreamSpec]) -> None:
        for spec in specs:
            self.sim.feeds.subscribe(self.sink, spec)

    def close(self) -> None:
        self.sim.feeds.unsubscribe(self.sink)

    def shutdown(self) -> None:
        """A terminate fault: Binance's serverShutdown event, then the connection closes."""
        payload = {"e": "serverShutdown", "E": self.sim.clock.now_ms()}
        wrapped = {"stream": "!serverShutdown", "data": payload}
        self.conn.outbox.send(wrapped if self.sink.wrapped else payload)
        self.conn.outbox.close()

    def _admit(self) -> bool:
        """Count one incoming message; False (and the connection closes) past the limit."""
        now = self.sim.clock.now_ms()
        arrivals = self._arrivals
        while arrivals and arrivals[0] <= now - 1000:
            arrivals.popleft()
        arrivals.append(now)
        if len(arrivals) > MAX_MESSAGES_PER_S:
            self.conn.pending.clear()
            self.conn.outbox.close(WSCloseCode.POLICY_VIOLATION, TOO_MANY_REQUESTS)
            return False
        return True

    def on_text(self, text: str) -> object:
        if not self._admit():
            return None
        request_id: object = None
        try:
            try:
                request = json.loads(text)
            except json.JSONDecodeError as exc:
                at = _position(text, exc.pos)
                raise RequestError(3, f"Invalid JSON: expected value at {at}") from None
            if not isinstance(request, dict):
                raise RequestError(2, "Invalid request: expected an object")
            request_id = request.get("id")
            if "id" not in request or not _valid_id(request_id):
                request_id = None
                raise RequestError(2, "Invalid request: request ID must be an unsigned integer")
            return {"result": self._answer(request, text), "id": request_id}
        except RequestError as exc:
            return {"error": {"code": exc.code, "msg": exc.msg}, "id": request_id}

    def _answer(self, request: dict[str, Any], text: str) -> object:
        method = request.get("method")
        if "method" not in request:
            raise RequestError(2, f"Invalid request: missing field `method` at {_end(text)}")
        if method not in METHODS:
            expected = ", ".join(f"`{m}`" for m in METHODS)
            shown = method if isinstance(method, str) else json.dumps(method)
            raise RequestError(
                2,
                f"Invalid request: unknown variant `{shown}`, expected one of {expected} "
                f"at {_after(text, json.dumps(method))}",
            )
        params = request.get("params", [])
        if not isinstance(params, list):
            raise RequestError(2, "Invalid request: params must be an array")
        if method == "LIST_SUBSCRIPTIONS":
            return list(self.sink.streams)
        if method in ("SET_PROPERTY", "GET_PROPERTY"):
            return self._property(method, params)
        self._subscription(method == "SUBSCRIBE", params)
        return None

    def _property(self, method: str, params: list[Any]) -> object:
        if not params or not isinstance(params[0], str):
            raise RequestError(2, "Invalid request: property name must be a string")
        if params[0] != "combined":
            raise RequestError(0, "Unknown property")
        if method == "GET_PROPERTY":
            return self.sink.wrapped
        if len(params) != 2 or not isinstance(params[1], bool):
            raise RequestError(1, "Invalid value type: expected Boolean")
        self.sink.wrapped = params[1]
        return None

    def _subscription(self, subscribe: bool, params: list[Any]) -> None:
        symbols = self.sim.symbols()
        specs = [parse_stream(p, symbols) if isinstance(p, str) else None for p in params]
        if None in specs:
            raise RequestError(2, "Invalid request: invalid stream")
        feeds = self.sim.feeds
        if subscribe:
            new = {s.name for s in specs if s is not None} - set(self.sink.streams)
            if len(self.sink.streams) + len(new) > MAX_STREAMS:
                raise RequestError(4, "Too many subscriptions")
        for spec in specs:
            assert spec is not None
            if subscribe:
                feeds.subscribe(self.sink, spec)
            elif spec.name in self.sink.streams:
                feeds.unsubscribe(self.sink, spec.name)


def _end(text: str) -> str:
    return _position(text, len(text.rstrip()))


def _after(text: str, literal: str) -> str:
    found = text.find(literal)
    return _position(text, found + len(literal) if found >= 0 else len(text))


async def serve_market(
    request: web.Request, sim: Sim, names: list[str], wrapped: bool
) -> web.StreamResponse:
    """Serve a market-stream connection carrying `names` from the start."""
    # A name without "@" is no stream: a client's label for the connection (ccxt.pro opens
    # "/ws/0", "/ws/1", ... and subscribes afterwards). Binance ignores it; so does this.
    names = [n for n in names if "@" in n]
    symbols = sim.symbols()
    specs: list[StreamSpec] = []
    for name in names:
        spec = parse_stream(name, symbols)
        if spec is None:
            raise reject(-1100, "streams", f"a stream this simulator serves, not {name}")
        if spec not in specs:
            specs.append(spec)
    sessions: list[MarketSession] = []

    def on_open(conn: StreamConn) -> Callable[[str], object]:
        session = MarketSession(sim, conn, wrapped)
        sessions.append(session)
        session.open(specs)

        def on_text(text: str) -> object:
            try:
                return session.on_text(text)
            except Exception as exc:  # a bug: logged; the stream stays open
                sim.record_unexpected(f"stream request on {request.path}", exc)
                return {"error": {"code": 2, "msg": "Invalid request."}, "id": None}

        return on_text

    def cleanup() -> None:
        for session in sessions:
            session.close()

    return await serve_ws(request, sim, "market", on_open, cleanup)
