"""Bybit's public spot WebSocket (/v5/public/spot): order book, trades, klines, tickers.

    → {"op":"subscribe","req_id":"1","args":["orderbook.50.BTCUSDT","publicTrade.BTCUSDT"]}
      ← {"success":true,"ret_msg":"subscribe","op":"subscribe","req_id":"1","conn_id":…}
    → {"op":"ping"}  ← {"success":true,"ret_msg":"pong","op":"ping","conn_id":…} (none while a
      stream fault silences the connection)

Topics, each message {"topic","type","ts","data"}:
    orderbook.{1|50|200|1000}.{symbol}  first a "snapshot" of that many levels a side, then a
        "delta" per change of the book (every 100 ms at most) with the changed levels, "0" for a
        level gone. `u` counts this topic's messages: each delta's is the last one's + 1, so a
        missing message shows as a jump, and Bybit's rule holds that a snapshot (u = 1 after a
        restart) replaces the book. `seq` is the engine's book update id.
    publicTrade.{symbol}  each trade: {T, s, S (the taker's side), v, p, i (trade id), BT}
    kline.{interval}.{symbol}  the current candle every 2 s while it changes, `confirm` true
        once it closed; intervals 1 3 5 15 30 60 120 240 360 720 D W
    tickers.{symbol}  24-hour statistics every second while they change (spot's fields: no bid
        or ask, as on Bybit)

Deltas carry every change of the book, also below the subscribed depth (Bybit's stay within
it); a client trims its book to the depth it asked for. Stream faults of channel "market" act on
these messages (drop, terminate = a close, silence, duplicate, reorder), as on Binance's.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import msgspec
from aiohttp import web

from tradeguard.sim import venue_market
from tradeguard.sim.streams_hub import StreamConn, serve_ws
from tradeguard.sim.venue_market import plain
from tradeguard.sim.venue_streams import Topic, VenueSink

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

PATH: Final = "/v5/public/spot"
DEPTHS: Final = (1, 50, 200, 1000)
KLINES: Final = {
    "1": "1m", "3": "3m", "5": "5m", "15": "15m", "30": "30m", "60": "1h", "120": "2h",
    "240": "4h", "360": "6h", "720": "12h", "D": "1d", "W": "1w",
}  # fmt: skip
Json = dict[str, Any]


def _levels(rows: list[list[str]]) -> list[list[str]]:
    return [[plain(Decimal(p)), plain(Decimal(q))] for p, q in rows]


class BookTopic:
    def __init__(self, sim: Sim, name: str, symbol: str, depth: int) -> None:
        self.sim, self.name, self.symbol, self.depth = sim, name, symbol, depth
        self.feed = f"{symbol.lower()}@depth@100ms"
        self.book_id = 0  # the engine's update id the book has reached
        self.u = 0  # this topic's message count

    def opened(self) -> list[object]:
        self.book_id, bids, asks = venue_market.book(self.sim, self.symbol, self.depth)
        self.u = 1  # a snapshot: the book starts here
        now = self.sim.clock.now_ms()
        return [
            {
                "topic": self.name, "type": "snapshot", "ts": now, "cts": now,
                "data": {
                    "s": self.symbol, "u": self.u, "seq": self.book_id,
                    "b": [[plain(p), plain(q)] for p, q in bids],
                    "a": [[plain(p), plain(q)] for p, q in asks],
                },
            }
        ]  # fmt: skip

    def said(self, payload: Json) -> list[object]:
        last = int(payload["u"])
        if last <= self.book_id:  # already in the snapshot
            return []
        self.book_id = last
        self.u += 1
        return [
            {
                "topic": self.name, "type": "delta", "ts": payload["E"], "cts": payload["E"],
                "data": {
                    "s": self.symbol, "u": self.u, "seq": last,
                    "b": _levels(payload["b"]), "a": _levels(payload["a"]),
                },
            }
        ]  # fmt: skip


class TradeTopic:
    def __init__(self, name: str, symbol: str) -> None:
        self.name, self.symbol = name, symbol
        self.feed = f"{symbol.lower()}@trade"

    def opened(self) -> list[object]:
        return []

    def said(self, payload: Json) -> list[object]:
        row = {
            "T": payload["T"], "s": self.symbol, "S": "Sell" if payload["m"] else "Buy",
            "v": plain(Decimal(payload["q"])), "p": plain(Decimal(payload["p"])),
            "i": str(payload["t"]), "BT": False, "RPI": False,
        }  # fmt: skip
        return [{"topic": self.name, "type": "snapshot", "ts": payload["E"], "data": [row]}]


class KlineTopic:
    def __init__(self, name: str, symbol: str, interval: str) -> None:
        self.name, self.symbol, self.interval = name, symbol, interval
        self.feed = f"{symbol.lower()}@kline_{KLINES[interval]}"

    def opened(self) -> list[object]:
        return []

    def said(self, payload: Json) -> list[object]:
        k = payload["k"]
        row = {
            "start": k["t"], "end": k["T"], "interval": self.interval,
            "open": plain(Decimal(k["o"])), "close": plain(Decimal(k["c"])),
            "high": plain(Decimal(k["h"])), "low": plain(Decimal(k["l"])),
            "volume": plain(Decimal(k["v"])), "turnover": plain(Decimal(k["q"])),
            "confirm": bool(k["x"]), "timestamp": payload["E"],
        }  # fmt: skip
        return [{"topic": self.name, "type": "snapshot", "ts": payload["E"], "data": [row]}]


class TickerTopic:
    def __init__(self, name: str, symbol: str) -> None:
        self.name, self.symbol = name, symbol
        self.feed = f"{symbol.lower()}@ticker"

    def opened(self) -> list[object]:
        return []

    def said(self, payload: Json) -> list[object]:
        row = {
            "symbol": self.symbol, "lastPrice": plain(Decimal(payload["c"])),
            "highPrice24h": plain(Decimal(payload["h"])),
            "lowPrice24h": plain(Decimal(payload["l"])),
            "prevPrice24h": plain(Decimal(payload["o"])),
            "volume24h": plain(Decimal(payload["v"])),
            "turnover24h": plain(Decimal(payload["q"])),
            "price24hPcnt": plain(Decimal(payload["P"]) / 100), "usdIndexPrice": "",
        }  # fmt: skip
        return [
            {"topic": self.name, "type": "snapshot", "ts": payload["E"], "cs": payload["E"],
             "data": row}
        ]  # fmt: skip


def topic_of(sim: Sim, name: str) -> Topic | None:
    """The topic `name` names, or None if it is none this dialect serves."""
    parts = name.split(".")
    symbol = parts[-1]
    if symbol not in sim.symbols():
        return None
    if parts[0] == "orderbook" and len(parts) == 3 and parts[1] in {str(d) for d in DEPTHS}:
        return BookTopic(sim, name, symbol, int(parts[1]))
    if parts[0] == "publicTrade" and len(parts) == 2:
        return TradeTopic(name, symbol)
    if parts[0] == "kline" and len(parts) == 3 and parts[1] in KLINES:
        return KlineTopic(name, symbol, parts[1])
    if parts[0] == "tickers" and len(parts) == 2:
        return TickerTopic(name, symbol)
    return None


def _pong(conn: StreamConn, pong: Json) -> Json | None:
    """Bybit's pong, the only thing it sends on a quiet book: a stream silenced by a fault (a
    stream that truly went quiet) answers none."""
    if conn.sim.faults.for_stream(conn.path, conn.sim.clock.now_ms(), conn.channel).silenced:
        return None
    return pong


def handler(sim: Sim) -> Any:
    conn_ids = itertools.count(1)

    async def handle(request: web.Request) -> web.StreamResponse:
        conn_id = f"sim-public-{next(conn_ids)}"
        sinks: list[VenueSink] = []

        def on_open(conn: StreamConn) -> Any:
            sink = VenueSink(sim, conn)
            sinks.append(sink)

            def answer(op: str, ok: bool, msg: str, req: Json) -> Json:
                return {"success": ok, "ret_msg": msg, "op": op, "conn_id": conn_id, **req}

            def on_text(text: str) -> object:
                try:
                    message = msgspec.json.decode(text)
                except msgspec.DecodeError:
                    message = None
                if not isinstance(message, dict):
                    sim.requests.count("WS", PATH)
                    return answer("", False, "error:invalid op", {})
                op = str(message.get("op", ""))
                sim.requests.count("WS", f"{PATH} {op}")
                req = {"req_id": str(message["req_id"])} if "req_id" in message else {}
                if op == "ping":
                    return _pong(conn, answer("ping", True, "pong", req))
                if op not in ("subscribe", "unsubscribe"):
                    return answer(op, False, "error:invalid op", req)
                args = message.get("args")
                names = [a for a in args if isinstance(a, str)] if isinstance(args, list) else []
                topics = [topic_of(sim, n) for n in names]
                unknown = [n for n, t in zip(names, topics, strict=True) if t is None]
                if unknown or not names:
                    return answer(op, False, f"error:handler not found,topic:{unknown}", req)
                reply = answer(op, True, op, req)
                if op == "unsubscribe":
                    for n in names:
                        sink.remove(n)
                    return reply
                conn.outbox.send(reply)  # the answer first, then each book's snapshot
                for topic in topics:
                    assert topic is not None
                    sink.add(topic)
                sim.pump()
                return None

            return on_text

        def cleanup() -> None:
            for sink in sinks:
                sink.close()

        return await serve_ws(request, sim, "market", on_open, cleanup)

    return handle
