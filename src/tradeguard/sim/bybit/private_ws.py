"""Bybit's private WebSocket (/v5/private): auth, the `order`, `execution` and `wallet` topics.

    → {"op":"auth","args":[apiKey, expires, sign]}
      ← {"success":true,"ret_msg":"","op":"auth","conn_id":…}; refused: success false, ret_msg
        and the request echoed (which ccxt raises as AuthenticationError)
    → {"op":"subscribe","req_id":"1","args":["order"]}
      ← {"success":true,"ret_msg":"","op":"subscribe","req_id":"1","conn_id":…}
    → {"op":"ping","req_id":"7"}
      ← {"op":"pong","req_id":"7","args":["<ms>"],"conn_id":…}

Pushes, one row per message, in the engine's order:
    order      {"topic":"order","id","creationTime","data":[order row]} on every change of an order
    execution  {"topic":"execution",…,"data":[execution row]} on every fill, with its execId
    wallet     {"topic":"wallet",…,"data":[UNIFIED wallet of the changed coins]}

The engine emits Binance's executionReport / outboundAccountPosition; each is said again here in
Bybit's words. Stream faults (drop, terminate = a close, silence, duplicate, reorder) act on these
messages through the shared StreamConn (channel "user", path "/v5/private").
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from tradeguard.sim.bybit import shapes
from tradeguard.sim.bybit.auth import WsAuthError, check_ws
from tradeguard.sim.records import Balance, SimOrder, SimTrade
from tradeguard.sim.streams_hub import StreamConn, UserSink, serve_ws

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

PATH = "/v5/private"
TOPICS = ("order", "execution", "execution.fast", "wallet")
Json = dict[str, Any]


def _order_from_report(r: Json, account: str) -> SimOrder:
    """The order as an executionReport describes it at that moment."""
    canceled = r["x"] == "CANCELED" and r.get("C")
    return SimOrder(
        account=account,
        symbol=r["s"],
        order_id=int(r["i"]),
        client_order_id=r["C"] if canceled else r["c"],
        side=r["S"],
        type=r["o"],
        time_in_force=r["f"],
        price=Decimal(r["p"]),
        orig_qty=Decimal(r["q"]),
        executed_qty=Decimal(r["z"]),
        cummulative_quote_qty=Decimal(r["Z"]),
        status=r["X"],
        time=int(r["O"]),
        update_time=int(r["T"]),
        working_time=int(r["W"]),
        is_working=int(r["W"]) != -1,
        stop_price=Decimal(r["P"]),
        orig_quote_order_qty=Decimal(r["Q"]),
    )


def _trade_from_report(r: Json, account: str) -> SimTrade:
    return SimTrade(
        id=int(r["t"]),
        symbol=r["s"],
        order_id=int(r["i"]),
        order_list_id=int(r["g"]),
        price=Decimal(r["L"]),
        qty=Decimal(r["l"]),
        quote_qty=Decimal(r["Y"]),
        commission=Decimal(r["n"]),
        commission_asset=r["N"] or "",
        time=int(r["T"]),
        is_buyer=r["S"] == "BUY",
        is_maker=bool(r["m"]),
        account=account,
    )


class TopicSink(UserSink):
    """One connection's private subscriptions: which topics, and each event in Bybit's words."""

    def __init__(self, conn: StreamConn, account: str, sim: Sim, conn_id: str) -> None:
        super().__init__(conn, account, lambda payload: payload)
        self.sim = sim
        self.conn_id = conn_id
        self.topics: set[str] = set()
        self._ids = itertools.count(1)

    def _push(self, topic: str, at: int, row: Json) -> None:
        self.conn.pending.append(
            {
                "id": f"{self.conn_id}-{next(self._ids)}",
                "topic": topic,
                "creationTime": at,
                "data": [row],
            }
        )

    def _fees(self, order: SimOrder, up_to_trade: int) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for t in self.sim.engine.my_trades(
            order.account, order.symbol, order.order_id, limit=1_000_000
        ):
            if up_to_trade < 0 or t.id <= up_to_trade:
                out[t.commission_asset] = out.get(t.commission_asset, Decimal(0)) + t.commission
        return out

    def event(self, payload: dict[str, Any]) -> None:
        kind = payload.get("e")
        at = int(payload.get("E", 0))
        if kind == "executionReport":
            order = _order_from_report(payload, self.account)
            if "order" in self.topics:
                row = shapes.order_row(order, self._fees(order, int(payload["t"])))
                self._push("order", at, {"category": "spot", **row})
            fill = payload["x"] == "TRADE"
            for topic in ("execution", "execution.fast"):
                if fill and topic in self.topics:
                    trade = _trade_from_report(payload, self.account)
                    maker = trade.is_maker
                    rate = (
                        self.sim.config.maker_commission
                        if maker
                        else self.sim.config.taker_commission
                    )
                    self._push(
                        topic, at, {"category": "spot", **shapes.execution_row(trade, order, rate)}
                    )
        elif kind == "outboundAccountPosition" and "wallet" in self.topics:
            coins = {
                b["a"]: Balance(free=Decimal(b["f"]), locked=Decimal(b["l"])) for b in payload["B"]
            }
            self._push("wallet", at, shapes.wallet(coins))


def handler(sim: Sim) -> Any:
    conn_ids = itertools.count(1)

    async def handle(request: web.Request) -> web.StreamResponse:
        conn_id = f"sim-{next(conn_ids)}"
        sink: list[TopicSink] = []  # set on the first subscribe
        authed: list[str] = []  # the account, once an auth op succeeded

        def on_open(conn: StreamConn) -> Any:
            ip = request.remote or ""

            def answer(op: str, ok: bool, msg: str = "", **extra: Any) -> Json:
                return {"success": ok, "ret_msg": msg, "op": op, "conn_id": conn_id, **extra}

            def on_text(text: str) -> object:
                try:
                    message = msgspec.json.decode(text)
                except msgspec.DecodeError:
                    message = None
                if not isinstance(message, dict):
                    sim.requests.count("WS", PATH)
                    return answer("", False, "error:invalid op")
                op = str(message.get("op", ""))
                sim.requests.count("WS", f"{PATH} {op}")
                req = {"req_id": str(message["req_id"])} if "req_id" in message else {}
                args = message.get("args")
                if op == "ping":
                    return {
                        "op": "pong",
                        "args": [str(sim.clock.now_ms())],
                        "conn_id": conn_id,
                        **req,
                    }
                if op == "auth":
                    try:
                        key = check_ws(args, ip, sim.clock.now_ms(), sim.keystore)
                    except WsAuthError as exc:
                        return answer(
                            "auth", False, str(exc), request={"op": "auth", "args": args}, **req
                        )
                    authed.append(key.account)
                    return answer("auth", True, **req)
                if op in ("subscribe", "unsubscribe"):
                    if not authed:
                        return answer(op, False, "Request not authorized", **req)
                    topics = args if isinstance(args, list) else []
                    unknown = [t for t in topics if t not in TOPICS]
                    if unknown or not topics:
                        return answer(
                            op, False, f"error:handler not found,topic:{unknown or topics}", **req
                        )
                    if op == "subscribe":
                        if not sink:
                            sink.append(TopicSink(conn, authed[-1], sim, conn_id))
                            sim.hub.add_user(sink[0])
                        sink[0].topics.update(topics)
                    elif sink:
                        sink[0].topics.difference_update(topics)
                    return answer(op, True, **req)
                return answer(op, False, "error:invalid op", **req)

            return on_text

        def cleanup() -> None:
            if sink:
                sim.hub.remove_user(sink[0])

        return await serve_ws(request, sim, "user", on_open, cleanup)

    return handle
