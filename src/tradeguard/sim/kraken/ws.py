"""Kraken's WebSocket v2 for the simulator: `/v2` with `executions` and `balances`, each
subscription carrying a token from GetWebSocketsToken; `ping` answered with `pong`. `balances`
says totals: a snapshot on subscribing, then a ledger entry per asset whose total moved.

Events go through the venue-neutral `StreamConn` (channel "user", path "/v2"), so the stream
faults act here as on Binance's streams: stream_drop cuts the TCP connection, stream_terminate
closes it with a close frame (Kraken has no eventStreamTerminated), stream_silence withholds
events, duplicate_next and reorder_next act on whole messages. Replies and snapshots are not
events: faults never touch them.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from tradeguard.sim.kraken import ws_events
from tradeguard.sim.kraken.state import KrakenState, state_of
from tradeguard.sim.streams_hub import StreamConn, UserSink, serve_ws

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

Json = dict[str, Any]
INVALID_SESSION = "ESession:Invalid session"
INVALID_PERMISSIONS = "EAccount:Invalid permissions"
INVALID_ARGUMENTS = "EGeneral:Invalid arguments"
SNAPSHOT_TRADES = 50  # Kraken's default snapshot depth for trades


class _KrakenSink(UserSink):
    """A user subscription whose one Binance event becomes zero or more Kraken messages."""

    def __init__(
        self, conn: StreamConn, account: str, frames: Callable[[Json], list[Json]]
    ) -> None:
        super().__init__(conn, account, lambda payload: payload)
        self._frames = frames

    def event(self, payload: dict[str, Any]) -> None:
        self.conn.pending.extend(self._frames(payload))


class _Connection:
    """One WebSocket connection: its subscriptions and its sequence numbers."""

    def __init__(self, sim: Sim, state: KrakenState, conn: StreamConn) -> None:
        self.sim = sim
        self.state = state
        self.conn = conn
        self.sinks: dict[str, _KrakenSink] = {}
        self._sequence = itertools.count(1)
        self._totals: dict[str, Decimal] = {}  # each asset's total as last told on `balances`

    def _times(self) -> Json:
        now = ws_events.rfc3339(self.sim.clock.now_ms())
        return {"time_in": now, "time_out": now}

    def _message(self, channel: str, kind: str, data: list[Json]) -> Json:
        out: Json = {"channel": channel, "type": kind, "data": data}
        if channel == "executions":
            out["sequence"] = next(self._sequence)
        return out

    def _frames(self, channel: str, payload: Json) -> list[Json]:
        event = payload.get("e")
        if channel == "executions" and event == "executionReport":
            items = ws_events.executions(self.state.names, payload)
            return [self._message("executions", "update", [item]) for item in items]
        if channel == "balances" and event == "outboundAccountPosition":
            entries = ws_events.ledger_entries(payload["B"], self._totals, payload["E"])
            return [self._message("balances", "update", entries)] if entries else []
        return []

    def on_text(self, text: str) -> object:
        try:
            request = msgspec.json.decode(text)
        except msgspec.DecodeError:
            return {"error": INVALID_ARGUMENTS, "success": False} | self._times()
        if not isinstance(request, dict):
            return {"error": INVALID_ARGUMENTS, "success": False} | self._times()
        method = request.get("method")
        req_id = request.get("req_id")
        echo: Json = {"req_id": req_id} if req_id is not None else {}
        if method == "ping":
            return {"method": "pong"} | echo | self._times()
        params = request.get("params")
        if method not in ("subscribe", "unsubscribe") or not isinstance(params, dict):
            return (
                {"error": INVALID_ARGUMENTS, "method": method, "success": False}
                | echo
                | self._times()
            )
        channel = params.get("channel")
        if channel not in ("executions", "balances"):
            error = {"error": f"Channel {channel} not found", "method": method, "success": False}
            return error | echo | self._times()
        now = self.sim.clock.now_ms()
        token = self.state.token(params.get("token"), now)
        failed: Json = {"method": method, "success": False} | echo | self._times()
        if token is None:
            return {"error": INVALID_SESSION} | failed
        key = self.sim.keystore.by_api_key(token.api_key)
        if key is None or not key.enable_reading:
            return {"error": INVALID_PERMISSIONS} | failed
        ack: Json = {"method": method, "result": {"channel": channel}, "success": True}
        ack |= echo | self._times()
        if method == "unsubscribe":
            sink = self.sinks.pop(channel, None)
            if sink is not None:
                self.sim.hub.remove_user(sink)
            return ack
        if channel in self.sinks:
            return (
                {"error": "Already subscribed", "method": method, "success": False}
                | echo
                | self._times()
            )
        sink = _KrakenSink(self.conn, token.account, functools.partial(self._frames, channel))
        self.sinks[channel] = sink
        self.sim.hub.add_user(sink)
        self.conn.outbox.send(ack)
        for frame in self._snapshots(channel, token.account, params):
            self.conn.outbox.send(frame)
        return None

    def _snapshots(self, channel: str, account: str, params: Json) -> list[Json]:
        engine, names = self.sim.engine, self.state.names
        if channel == "balances":
            self._totals = {a: b.free + b.locked for a, b in engine.balances(account).items()}
            return [
                self._message(
                    "balances", "snapshot", ws_events.balance_snapshot(engine.balances(account))
                )
            ]
        out: list[Json] = []
        if params.get("snap_orders", True) is not False:
            opened = engine.open_orders(account, None)
            out.append(
                self._message(
                    "executions", "snapshot", [ws_events.order_snapshot(names, o) for o in opened]
                )
            )
        if params.get("snap_trades", False) is True:
            trades = []
            for spec in self.sim.config.symbols:
                trades.extend(engine.my_trades(account, spec.symbol, limit=SNAPSHOT_TRADES))
            trades.sort(key=lambda t: (t.time, t.id))
            items = [
                ws_events.trade_snapshot(
                    names, t, engine.get_order(account, t.symbol, t.order_id, None)
                )
                for t in trades[-SNAPSHOT_TRADES:]
            ]
            out.append(self._message("executions", "snapshot", items))
        return out

    def close(self) -> None:
        for sink in self.sinks.values():
            self.sim.hub.remove_user(sink)
        self.sinks.clear()


def handler(sim: Sim) -> Callable[[web.Request], Any]:
    state = state_of(sim)

    async def handle(request: web.Request) -> web.StreamResponse:
        holder: list[_Connection] = []

        def on_open(conn: StreamConn) -> Callable[[str], object]:
            connection = _Connection(sim, state, conn)
            holder.append(connection)
            conn.outbox.send(
                {
                    "channel": "status",
                    "type": "update",
                    "data": [{"api_version": "v2", "system": "online", "version": "2.0.0"}],
                }
            )
            return connection.on_text

        def cleanup() -> None:
            for connection in holder:
                connection.close()

        return await serve_ws(request, sim, "user", on_open, cleanup)

    return handle
