"""OKX's private WebSockets: login, the `orders` and `account` channels (/ws/v5/private), the
`orders-algo` and `algo-advance` channels (/ws/v5/business), ping. /ws/v5/business also carries
the public candle channels, no login needed (candles_ws.py); stream faults of channel "market"
act on those.

    → {"op":"login","args":[{apiKey, passphrase, timestamp (unix s), sign}]}
    ← {"event":"login","code":"0","msg":"","connId":…} | {"event":"error","code":"600xx",…}
    → {"op":"subscribe","args":[{"channel":"orders","instType":"SPOT"|"ANY","instId"?}]}
    ← {"event":"subscribe","arg":{…},"connId":…}, then {"arg":{…,"uid"},"data":[<order>]}
    → the text "ping"   ← the text "pong"

Each engine event goes out once per connection, under the first subscription it matches, in
the engine's order; the user stream faults (drop, terminate = close, silence, duplicate,
reorder) apply as on the Binance dialect's user streams (channel "user").
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import WSMsgType, web

from tradeguard.sim.okx import auth, candles_ws, ws_events
from tradeguard.sim.okx.errors import OkxReject
from tradeguard.sim.okx.rest_account import uid
from tradeguard.sim.records import STOP_TRIGGERED
from tradeguard.sim.streams_hub import Outbox, StreamConn, UserSink
from tradeguard.sim.venue_streams import VenueSink

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.keys import ApiKey
    from tradeguard.sim.okx.state import OkxState

# the private channels each private URL serves (OKX moved its algo channels to /business:
# orders-algo for trigger, conditional and oco orders; algo-advance for icebergs)
CHANNELS_AT = {
    "/ws/v5/private": ("orders", "account"),
    "/ws/v5/business": ("orders-algo", "algo-advance"),
}
PATHS = tuple(CHANNELS_AT)
BUSINESS = "/ws/v5/business"
HEARTBEAT_S = 25.0  # OKX closes a connection idle for 30 s


class TextOutbox(Outbox):
    """An outbox that can also send a bare text frame ("pong" is not JSON on OKX)."""

    def send_text(self, text: str) -> None:
        if self.open:
            self._queue.put_nowait(text.encode())


def pong(outbox: TextOutbox, market: StreamConn | None) -> None:
    """OKX's "pong", all it sends on a quiet public subscription: a market stream silenced by
    a fault (one that truly went quiet) answers none, so its client sees it stale."""
    if market is not None and market.active():
        sim = market.sim
        if sim.faults.for_stream(market.path, sim.clock.now_ms(), market.channel).silenced:
            return
    outbox.send_text("pong")


class Session(UserSink):
    """One logged-in connection's subscriptions; turns engine events into OKX pushes."""

    hears_triggers = True  # a stop that fires is `effective` on orders-algo at once

    def __init__(self, sim: Sim, state: OkxState, conn: StreamConn, key: ApiKey) -> None:
        super().__init__(conn, key.account, lambda payload: payload)
        self.sim = sim
        self.state = state
        self.uid = uid(key.account)
        self.subscriptions: list[dict[str, str]] = []

    def _first(self, channel: str, inst_id: str | None) -> dict[str, str] | None:
        for arg in self.subscriptions:
            if arg["channel"] == channel and arg.get("instId") in (None, inst_id):
                return arg
        return None

    def event(self, payload: dict[str, Any]) -> None:
        kind = payload.get("e")
        if kind == "executionReport" or kind == STOP_TRIGGERED:
            sim, state, account = self.sim, self.state, self.account
            algo = ws_events.algo_push(sim, state, account, payload)
            if algo is not None:
                self._push(*algo)
            self._push("orders", ws_events.order_row(sim, state, account, payload))
        elif kind == "outboundAccountPosition":
            arg = self._first("account", None)
            if arg is not None:
                data = [ws_events.account_row(payload)]
                self.conn.pending.append({"arg": arg | {"uid": self.uid}, "data": data})

    def push_live_icebergs(self, arg: dict[str, str]) -> None:
        """What OKX pushes on subscribing to `algo-advance`: the icebergs still live."""
        for o in self.sim.engine.open_orders(self.account, None):
            row = ws_events.live_iceberg(self.sim, self.state, o)
            if row is not None and arg.get("instId") in (None, row["instId"]):
                self.conn.pending.append({"arg": arg | {"uid": self.uid}, "data": [row]})

    def _push(self, channel: str, row: dict[str, Any] | None) -> None:
        arg = None if row is None else self._first(channel, row["instId"])
        if row is not None and arg is not None:
            self.conn.pending.append({"arg": arg | {"uid": self.uid}, "data": [row]})


def _error(code: str, msg: str, conn_id: str) -> dict[str, str]:
    return {"event": "error", "code": code, "msg": msg, "connId": conn_id}


def handler(sim: Sim, state: OkxState) -> Any:
    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S)
        await ws.prepare(request)
        outbox = TextOutbox(ws, request)
        conn = StreamConn(sim, outbox, request.path, "user")
        conn_id = secrets.token_hex(4)
        session: Session | None = None
        candles: VenueSink | None = None  # the public candle channels, on /business only
        if request.path == BUSINESS:
            candles = VenueSink(sim, StreamConn(sim, outbox, request.path, "market"))

        def subscribe(args: object, add: bool) -> list[object]:
            listed = args if isinstance(args, list) else []
            if candles is not None and listed and all(map(candles_ws.is_candle, listed)):
                return [candle(candles, arg, add) for arg in listed]  # no login for candles
            if session is None:
                return [_error("60011", auth.WS_TEXTS["60011"], conn_id)]
            if not isinstance(args, list) or not args:
                return [_error("60012", auth.WS_TEXTS["60012"], conn_id)]
            replies: list[object] = []
            for arg in args:
                if candles is not None and candles_ws.is_candle(arg):
                    replies.append(candle(candles, arg, add))
                    continue
                checked = _channel(sim, arg, request.path)
                if isinstance(checked, OkxReject):
                    replies.append(_error(checked.code, checked.msg, conn_id))
                    continue
                event = "subscribe" if add else "unsubscribe"
                fresh = add and checked not in session.subscriptions
                if fresh:
                    session.subscriptions.append(checked)
                if not add and checked in session.subscriptions:
                    session.subscriptions.remove(checked)
                replies.append({"event": event, "arg": checked, "connId": conn_id})
                if fresh and checked["channel"] == "algo-advance":
                    session.push_live_icebergs(checked)
            state.sessions[id(session)] = len(session.subscriptions)
            return replies

        def candle(sink: VenueSink, arg: object, add: bool) -> object:
            found = candles_ws.topic_of(sim, arg)
            if found is None:
                return _error("60018", candles_ws.refusal(arg), conn_id)
            kept, topic = found
            if add:
                sink.add(topic)
            else:
                sink.remove(topic.name)
            return {"event": "subscribe" if add else "unsubscribe", "arg": kept, "connId": conn_id}

        def on_text(text: str) -> list[object]:
            nonlocal session
            if text == "ping":
                pong(outbox, None if candles is None else candles.conn)
                return []
            try:
                message = msgspec.json.decode(text)
            except msgspec.DecodeError:
                return [_error("60012", f"Invalid request: {text}", conn_id)]
            if not isinstance(message, dict):
                return [_error("60012", f"Invalid request: {text}", conn_id)]
            op = message.get("op")
            if op == "login":
                try:
                    key = auth.ws_login(
                        message.get("args"),
                        request.remote or "",
                        sim.clock.now_ms(),
                        sim.keystore,
                        sim.config.seed,
                    )
                except OkxReject as rej:
                    return [_error(rej.code, rej.msg, conn_id)]
                if session is None:
                    session = Session(sim, state, conn, key)
                    sim.hub.add_user(session)
                return [{"event": "login", "code": "0", "msg": "", "connId": conn_id}]
            if op in ("subscribe", "unsubscribe"):
                number = message.get("id")  # OKX echoes a request's id on each answer to it
                echo = {"id": number} if isinstance(number, str) else {}
                replies = subscribe(message.get("args"), op == "subscribe")
                return [echo | r if isinstance(r, dict) else r for r in replies]
            return [_error("60012", f"Invalid request: {text}", conn_id)]

        sim.hub.add_conn(conn)
        if candles is not None:
            sim.hub.add_conn(candles.conn)
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    text = message.data
                elif message.type is WSMsgType.BINARY:
                    text = message.data.decode("utf-8", "replace")
                else:
                    continue
                state.follow(sim)
                for reply in on_text(text):
                    outbox.send(reply)
                sim.pump()
        finally:
            sim.hub.remove_conn(conn)
            if candles is not None:
                sim.hub.remove_conn(candles.conn)
                candles.close()
            if session is not None:
                sim.hub.remove_user(session)
                state.sessions.pop(id(session), None)
            await outbox.finish()
        return ws

    return handle


def _channel(sim: Sim, arg: object, path: str) -> dict[str, str] | OkxReject:
    """A subscription argument checked: orders (SPOT/ANY, instId optional) or account on
    /private, orders-algo and algo-advance (likewise) on /business, as OKX serves them."""
    if not isinstance(arg, dict) or not all(isinstance(v, str) for v in arg.values()):
        return OkxReject("60012", auth.WS_TEXTS["60012"])
    channel = arg.get("channel")
    missing = OkxReject("60018", f"Wrong URL or channel:{channel} doesn't exist.")
    if channel not in CHANNELS_AT.get(path, ()):
        return missing
    if channel == "account":
        return {k: v for k, v in arg.items() if k in ("channel", "ccy")}
    if arg.get("instType") not in ("SPOT", "ANY"):
        return missing
    inst = arg.get("instId")
    if inst is not None and inst not in {f"{s.base}-{s.quote}" for s in sim.symbols().values()}:
        return missing
    return {k: v for k, v in arg.items() if k in ("channel", "instType", "instId", "instFamily")}


def add_routes(app: web.Application, sim: Sim, state: OkxState) -> None:
    handle = handler(sim, state)
    for path in PATHS:
        app.router.add_get(path, handle)
