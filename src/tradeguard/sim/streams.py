"""The stream routes (/ws, /ws/<names>, /stream?streams=), the legacy listenKey user stream,
and the listenKeys themselves.

A path naming one listenKey-shaped name (64 letters and digits) is the legacy user stream:
/ws/<listenKey> sends bare events, /stream?streams=<listenKey> wraps them as {"stream", "data"};
a listenKey lives 60 minutes after its last keepalive, and one that does not (or no longer)
exists is answered 400 -1125. Every other path is a market-stream connection
(streams_market.py; the streams themselves in streams_feeds.py). Pushing, fan-out and stream
faults live in streams_hub.py.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tradeguard.sim.rest_params import reject
from tradeguard.sim.streams_hub import StreamConn, UserSink, serve_ws
from tradeguard.sim.streams_market import serve_market

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

LISTEN_KEY_VALID_MS = 60 * 60_000
LISTEN_KEY_LENGTH = 64
_LISTEN_KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


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


def add_routes(app: web.Application, sim: Sim) -> None:
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
        return await serve_market(request, sim, parts, wrapped=False)

    async def combined(request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.query.get("streams", "").split("/") if p]
        if len(parts) == 1 and looks_like_listen_key(parts[0]):
            return await user(request, parts[0], wrapped=True)
        return await serve_market(request, sim, parts, wrapped=True)

    app.router.add_get("/ws", raw)
    app.router.add_get("/ws/{names:.+}", raw)
    app.router.add_get("/stream", combined)
