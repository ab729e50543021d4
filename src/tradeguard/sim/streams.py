"""Market streams and the legacy listenKey user stream, and the listenKeys themselves.

Market streams: /ws/<stream>[/<stream>...] sends bare payloads; /stream?streams=a/b wraps each
as {"stream", "data"}; both take the live SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS methods.
Streams: <symbol>@trade and <symbol>@bookTicker. The legacy user stream is /ws/<listenKey> (or
/stream?streams=<listenKey>); a listenKey lives 60 minutes after its last keepalive. Pushing,
fan-out and stream faults live in streams_hub.py.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from tradeguard.sim.rest_params import reject
from tradeguard.sim.streams_hub import MarketSink, StreamConn, UserSink, serve_ws

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

LISTEN_KEY_VALID_MS = 60 * 60_000
LISTEN_KEY_LENGTH = 64
_LISTEN_KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_STREAM = re.compile(r"^([a-z0-9]{1,20})@(trade|bookTicker)$")


class ListenKeys:
    """The legacy listenKeys: one per account, valid 60 minutes after the last keepalive."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"{seed}:listenKeys")
        self._keys: dict[str, tuple[str, int]] = {}  # key -> (account, expires_ms)

    def create(self, account: str, now_ms: int) -> str:
        # Binance hands back the account's live key (extended) rather than a second one.
        for key, (owner, expires) in self._keys.items():
            if owner == account and now_ms < expires:
                self._keys[key] = (owner, now_ms + LISTEN_KEY_VALID_MS)
                return key
        key = "".join(self._rng.choice(_LISTEN_KEY_CHARS) for _ in range(LISTEN_KEY_LENGTH))
        self._keys[key] = (account, now_ms + LISTEN_KEY_VALID_MS)
        return key

    def account(self, key: str, now_ms: int) -> str | None:
        entry = self._keys.get(key)
        return entry[0] if entry is not None and now_ms < entry[1] else None

    def keepalive(self, key: str, account: str, now_ms: int) -> None:
        if self.account(key, now_ms) != account:
            raise reject(-1125)
        self._keys[key] = (account, now_ms + LISTEN_KEY_VALID_MS)

    def close(self, key: str, account: str) -> None:
        entry = self._keys.get(key)
        if entry is None or entry[0] != account:
            raise reject(-1125)
        del self._keys[key]

    def expire(self, now_ms: int) -> list[str]:
        expired = [k for k, (_, expires) in self._keys.items() if now_ms >= expires]
        for key in expired:
            del self._keys[key]
        return expired


def looks_like_listen_key(name: str) -> bool:
    """A listenKey's shape (64 letters and digits): such a path is a user stream, live or not."""
    return len(name) == LISTEN_KEY_LENGTH and name.isascii() and name.isalnum()


# ── market and legacy user streams ──────────────────────────────────────────────────────────


def stream_name(raw: str, sim: Sim) -> str | None:
    """The canonical name of a market stream (symbol lowercased), or None if there is none."""
    symbol, _, kind = raw.partition("@")
    name = f"{symbol.lower()}@{kind}"
    match = _STREAM.match(name)
    if match is None or match.group(1).upper() not in sim.symbols():
        return None
    return name


def _control_error(code: int, msg: str, request_id: object = None) -> dict[str, Any]:
    # Binance's market-stream errors: 0 unknown property, 1 bad value type, 2 invalid request,
    # 3 invalid JSON.
    return {"code": code, "msg": msg, "id": request_id}


def _on_market_request(sim: Sim, sink: MarketSink, text: str) -> object:
    try:
        request = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        return _control_error(3, f"Invalid JSON: {exc}")
    if not isinstance(request, dict):
        return _control_error(3, "Invalid JSON: expected an object")
    request_id = request.get("id")
    method, params = request.get("method"), request.get("params", [])
    if method == "LIST_SUBSCRIPTIONS":
        return {"result": sorted(sink.streams), "id": request_id}
    if method in ("SET_PROPERTY", "GET_PROPERTY"):
        return {"result": None if method == "SET_PROPERTY" else False, "id": request_id}
    if method not in ("SUBSCRIBE", "UNSUBSCRIBE"):
        return _control_error(2, f"Invalid request: unknown method {method!r}", request_id)
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        return _control_error(1, "Invalid value type: params must be a list of streams", request_id)
    names = [stream_name(p, sim) for p in params]
    if None in names:
        bad = params[names.index(None)]
        return _control_error(2, f"Invalid request: unknown stream {bad!r}", request_id)
    for name in names:
        assert name is not None
        if method == "SUBSCRIBE":
            sim.hub.add_market(sink, name)
        else:
            sim.hub.remove_market(sink, name)
    return {"result": None, "id": request_id}


def add_routes(app: web.Application, sim: Sim) -> None:
    async def market(request: web.Request, names: list[str], wrapped: bool) -> web.StreamResponse:
        # A name without "@" is no stream: a client's label for the connection (ccxt.pro opens
        # "/ws/0", "/ws/1", ... and subscribes afterwards). Binance ignores it; so does this.
        names = [n for n in names if "@" in n]
        canonical = [stream_name(n, sim) for n in names]
        if None in canonical:
            bad = names[canonical.index(None)]
            raise reject(-1100, "streams", f"<symbol>@trade or <symbol>@bookTicker, not {bad}")
        sinks: list[MarketSink] = []

        def on_open(conn: StreamConn) -> Callable[[str], object]:
            sink = MarketSink(conn, wrapped)
            sinks.append(sink)
            for name in canonical:
                assert name is not None
                sim.hub.add_market(sink, name)
            conn.active = lambda: bool(sink.streams)

            def on_text(text: str) -> object:
                try:
                    return _on_market_request(sim, sink, text)
                except Exception as exc:  # a bug: logged; the stream stays open
                    sim.record_unexpected(f"stream request on {request.path}", exc)
                    return _control_error(2, "Invalid request.")

            return on_text

        def cleanup() -> None:
            for sink in sinks:
                sim.hub.remove_market(sink)

        return await serve_ws(request, sim, "market", on_open, cleanup)

    async def user(request: web.Request, listen_key: str, wrapped: bool) -> web.StreamResponse:
        account = sim.listen_keys.account(listen_key, sim.clock.now_ms())
        if account is None:
            raise reject(-1125)
        sinks: list[UserSink] = []

        def wrap(payload: dict[str, Any]) -> object:
            return {"stream": listen_key, "data": payload} if wrapped else payload

        def on_open(conn: StreamConn) -> Callable[[str], object]:
            def terminate() -> None:
                # The legacy stream's way of ending: listenKeyExpired, then the socket closes.
                now = sim.clock.now_ms()
                conn.outbox.send(wrap({"e": "listenKeyExpired", "E": now, "listenKey": listen_key}))
                conn.outbox.close()

            conn.terminate = terminate
            sink = UserSink(conn, account, wrap)
            sinks.append(sink)
            sim.hub.add_user(sink, listen_key)
            return lambda text: None  # a user stream takes no requests

        def cleanup() -> None:
            for sink in sinks:
                sim.hub.remove_user(sink)

        return await serve_ws(request, sim, "user", on_open, cleanup)

    async def raw(request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.match_info.get("names", "").split("/") if p]
        if len(parts) == 1 and looks_like_listen_key(parts[0]):
            return await user(request, parts[0], wrapped=False)
        return await market(request, parts, wrapped=False)

    async def combined(request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.query.get("streams", "").split("/") if p]
        if len(parts) == 1 and looks_like_listen_key(parts[0]):
            return await user(request, parts[0], wrapped=True)
        return await market(request, parts, wrapped=True)

    app.router.add_get("/ws", raw)
    app.router.add_get("/ws/{names:.+}", raw)
    app.router.add_get("/stream", combined)
