"""OKX's public WebSocket (/ws/v5/public): the books, trades and tickers channels, no login.

    → {"id":"7","op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}
    ← {"id":"7","event":"subscribe","arg":{…},"connId":…} | {"id":"7","event":"error",
      "code":"60018",…}  (the request's `id`, when it has one, echoed on each answer)
    → the text "ping"   ← the text "pong" (none while a stream fault silences the connection)

    books    {"arg","action":"snapshot"|"update","data":[{asks, bids, ts, checksum, prevSeqId,
             seqId}]}: the whole book at once (prevSeqId -1), then the changed levels at most
             every 100 ms, "0" for a level gone. seqId is the engine's book update id and each
             update's prevSeqId the seqId before it, so a lost update shows as a mismatch (OKX's
             rule). checksum: CRC32 (signed) of the first 25 bids and asks of the book after the
             message, interleaved "bidPx:bidSz:askPx:askSz:…" (OKX's rule).
    trades   each trade: {instId, tradeId, px, sz, side (the taker's), ts, count}
    tickers  every second while they change: last, best bid and ask, 24-hour open/high/low/volume

Candles (candle<bar>) live on /ws/v5/business on OKX (candles_ws.py), and a candle channel
asked for here is refused with 60018, as OKX refuses it. Stream faults of channel "market" act
on these messages (drop, terminate = a close, silence, duplicate, reorder), as on Binance's streams.
"""

from __future__ import annotations

import secrets
import zlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import msgspec
from aiohttp import WSMsgType, web

from tradeguard.sim import venue_market
from tradeguard.sim.okx import wire
from tradeguard.sim.okx.ws import HEARTBEAT_S, TextOutbox, pong
from tradeguard.sim.streams_hub import StreamConn
from tradeguard.sim.venue_market import plain
from tradeguard.sim.venue_streams import Topic, VenueSink

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

PATH: Final = "/ws/v5/public"
BOOK_LEVELS: Final = 400
CHECKSUM_LEVELS: Final = 25
Json = dict[str, Any]


def checksum(bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> int:
    """OKX's book checksum over the first 25 levels a side (best first), as a signed int32."""
    parts: list[str] = []
    for i in range(CHECKSUM_LEVELS):
        if i < len(bids):
            parts.extend(bids[i])
        if i < len(asks):
            parts.extend(asks[i])
    crc = zlib.crc32(":".join(parts).encode("ascii"))
    return crc - (1 << 32) if crc >= 1 << 31 else crc


class BookTopic:
    def __init__(self, sim: Sim, arg: Json, symbol: str) -> None:
        self.sim, self.arg, self.symbol = sim, arg, symbol
        self.name = f"books:{arg['instId']}"
        self.feed = f"{symbol.lower()}@depth@100ms"
        self.seq_id = 0
        self.bids: dict[Decimal, str] = {}  # the book as the client holds it: price -> size
        self.asks: dict[Decimal, str] = {}

    def _checksum(self) -> int:
        bids = sorted(self.bids.items(), reverse=True)[:CHECKSUM_LEVELS]
        asks = sorted(self.asks.items())[:CHECKSUM_LEVELS]
        return checksum([(plain(p), q) for p, q in bids], [(plain(p), q) for p, q in asks])

    def _message(
        self, action: str, prev: int, bids: list[list[str]], asks: list[list[str]]
    ) -> Json:
        row = {
            "asks": asks, "bids": bids, "ts": str(self.sim.clock.now_ms()),
            "checksum": self._checksum(), "prevSeqId": prev, "seqId": self.seq_id,
        }  # fmt: skip
        return {"arg": self.arg, "action": action, "data": [row]}

    def opened(self) -> list[object]:
        self.seq_id, bids, asks = venue_market.book(self.sim, self.symbol, BOOK_LEVELS)
        self.bids = {p: plain(q) for p, q in bids}
        self.asks = {p: plain(q) for p, q in asks}
        rows = [[[plain(p), plain(q), "0", "1"] for p, q in side] for side in (bids, asks)]
        return [self._message("snapshot", -1, rows[0], rows[1])]

    def said(self, payload: Json) -> list[object]:
        last = int(payload["u"])
        if last <= self.seq_id:  # already in the snapshot
            return []
        rows: list[list[list[str]]] = []
        for side, book in ((payload["b"], self.bids), (payload["a"], self.asks)):
            out = []
            for price_text, qty_text in side:
                price, qty = Decimal(price_text), Decimal(qty_text)
                if qty:
                    book[price] = plain(qty)
                else:
                    book.pop(price, None)
                out.append([plain(price), plain(qty), "0", "1" if qty else "0"])
            rows.append(out)
        prev, self.seq_id = self.seq_id, last
        return [self._message("update", prev, rows[0], rows[1])]


class TradeTopic:
    def __init__(self, arg: Json, symbol: str) -> None:
        self.arg = arg
        self.name = f"trades:{arg['instId']}"
        self.feed = f"{symbol.lower()}@trade"

    def opened(self) -> list[object]:
        return []

    def said(self, payload: Json) -> list[object]:
        row = {
            "instId": self.arg["instId"], "tradeId": str(payload["t"]),
            "px": plain(Decimal(payload["p"])), "sz": plain(Decimal(payload["q"])),
            "side": "sell" if payload["m"] else "buy", "ts": str(payload["T"]), "count": "1",
        }  # fmt: skip
        return [{"arg": self.arg, "data": [row]}]


class TickerTopic:
    def __init__(self, arg: Json, symbol: str) -> None:
        self.arg = arg
        self.name = f"tickers:{arg['instId']}"
        self.feed = f"{symbol.lower()}@ticker"

    def opened(self) -> list[object]:
        return []

    def said(self, payload: Json) -> list[object]:
        def d(key: str) -> str:
            return plain(Decimal(payload[key]))

        row = {
            "instType": "SPOT", "instId": self.arg["instId"], "last": d("c"), "lastSz": d("Q"),
            "askPx": d("a"), "askSz": d("A"), "bidPx": d("b"), "bidSz": d("B"),
            "open24h": d("o"), "high24h": d("h"), "low24h": d("l"), "sodUtc0": d("o"),
            "sodUtc8": d("o"), "volCcy24h": d("q"), "vol24h": d("v"), "ts": str(payload["E"]),
        }  # fmt: skip
        return [{"arg": self.arg, "data": [row]}]


def topic_of(sim: Sim, arg: object) -> tuple[Json, Topic] | None:
    """The subscription argument as OKX echoes it, and its topic; None if none is served."""
    if not isinstance(arg, dict) or not all(isinstance(v, str) for v in arg.values()):
        return None
    inst = arg.get("instId")
    spec = next((s for s in sim.symbols().values() if wire.inst_id(s) == inst), None)
    if spec is None:
        return None
    kept = {"channel": arg.get("channel", ""), "instId": str(inst)}
    channel = arg.get("channel")
    if channel == "books":
        return kept, BookTopic(sim, kept, spec.symbol)
    if channel == "trades":
        return kept, TradeTopic(kept, spec.symbol)
    if channel == "tickers":
        return kept, TickerTopic(kept, spec.symbol)
    return None


def _error(code: str, msg: str, conn_id: str) -> Json:
    return {"event": "error", "code": code, "msg": msg, "connId": conn_id}


def _echoed(message: object) -> Json:
    """The request's `id`, which OKX sends back on every answer to it."""
    if isinstance(message, dict) and isinstance(message.get("id"), str):
        return {"id": message["id"]}
    return {}


def handler(sim: Sim) -> Any:
    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S)
        await ws.prepare(request)
        outbox = TextOutbox(ws, request)
        conn = StreamConn(sim, outbox, request.path, "market")
        sink = VenueSink(sim, conn)
        conn_id = secrets.token_hex(4)

        def on_text(text: str) -> None:
            sim.requests.count("WS", PATH)
            if text == "ping":
                pong(outbox, conn)
                return
            try:
                message = msgspec.json.decode(text)
            except msgspec.DecodeError:
                message = None
            op = message.get("op") if isinstance(message, dict) else None
            args = message.get("args") if isinstance(message, dict) else None
            echo = _echoed(message)
            if op not in ("subscribe", "unsubscribe") or not isinstance(args, list) or not args:
                outbox.send(echo | _error("60012", f"Invalid request: {text}", conn_id))
                return
            for arg in args:
                found = topic_of(sim, arg)
                if found is None:
                    channel = arg.get("channel") if isinstance(arg, dict) else arg
                    outbox.send(echo | _error(
                        "60018", f"Wrong URL or channel:{channel} doesn't exist.", conn_id
                    ))  # fmt: skip
                    continue
                kept, topic = found
                outbox.send(echo | {"event": op, "arg": kept, "connId": conn_id})
                if op == "subscribe":
                    sink.add(topic)
                else:
                    sink.remove(topic.name)

        sim.hub.add_conn(conn)
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    on_text(message.data)
                elif message.type is WSMsgType.BINARY:
                    on_text(message.data.decode("utf-8", "replace"))
                sim.pump()
        finally:
            sim.hub.remove_conn(conn)
            sink.close()
            await outbox.finish()
        return ws

    return handle
