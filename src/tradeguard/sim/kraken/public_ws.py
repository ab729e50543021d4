"""Kraken's public WebSocket v2 (/v2/public): the book, trade, ohlc and ticker channels.

    → {"method":"subscribe","params":{"channel":"book","symbol":["BTC/USDT"],"depth":10},"req_id":1}
    ← {"method":"subscribe","result":{"channel":"book","symbol":"BTC/USDT",…},"success":true,…}
      per symbol; refused: {"method":"subscribe","success":false,"error":…,"symbol":…}
    → {"method":"ping","req_id":2}   ← {"method":"pong","req_id":2,…}

    book    depth 10 25 100 500 1000 (default 10): a "snapshot" of that many levels a side, then
            "update"s at most every 100 ms with the levels that changed within that depth (a
            level that moved into it comes with its quantity; the client trims to the depth).
            Every message carries Kraken's checksum of the book it leaves: CRC32 of the top 10
            asks (best first) then the top 10 bids, each price and quantity printed with the
            pair's decimals, the "." and leading zeros taken out (Kraken's rule).
    trade   each trade: {symbol, side (the taker's), price, qty, ord_type, trade_id, timestamp}
    ohlc    interval 1 5 15 30 60 240 1440 10080 (minutes): the current candle every 2 s while
            it changes
    ticker  a snapshot at once, then updates every second while the statistics change
    heartbeat  {"channel":"heartbeat"} about once a second on a connection with a subscription
            and nothing else to send (a quiet book is not a dead one); a silenced stream sends
            none

Prices and quantities are JSON numbers, as Kraken sends them (written exactly, never through a
float). Stream faults of channel "market" act on these messages as on Binance's.
"""

from __future__ import annotations

import asyncio
import zlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import msgspec
from aiohttp import web

from tradeguard.sim import venue_market
from tradeguard.sim.kraken.render import decimals
from tradeguard.sim.kraken.state import state_of
from tradeguard.sim.rest_market import day_ticker
from tradeguard.sim.streams_hub import StreamConn, serve_ws
from tradeguard.sim.venue_market import plain
from tradeguard.sim.venue_streams import Topic, VenueSink

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.records import SymbolSpec

PATH: Final = "/v2/public"
DEPTHS: Final = (10, 25, 100, 500, 1000)
CHECKSUM_LEVELS: Final = 10
OHLC_INTERVALS: Final = {1: "1m", 5: "5m", 15: "15m", 30: "30m", 60: "1h", 240: "4h",
                         1440: "1d", 10080: "1w"}  # fmt: skip
Json = dict[str, Any]


def number(value: Decimal) -> msgspec.Raw:
    """A JSON number written exactly (Kraken's prices are numbers, not strings)."""
    return msgspec.Raw(plain(value).encode("ascii"))


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def checksum(
    asks: list[tuple[Decimal, Decimal]], bids: list[tuple[Decimal, Decimal]], spec: SymbolSpec
) -> int:
    """Kraken's book checksum over the top 10 asks then bids (each best first)."""
    price_places, qty_places = decimals(spec.tick_size), decimals(spec.step_size)

    def text(value: Decimal, places: int) -> str:
        return f"{value:.{places}f}".replace(".", "").lstrip("0")

    payload = "".join(
        text(p, price_places) + text(q, qty_places)
        for side in (asks[:CHECKSUM_LEVELS], bids[:CHECKSUM_LEVELS])
        for p, q in side
    )
    return zlib.crc32(payload.encode("ascii"))


class BookTopic:
    def __init__(self, sim: Sim, spec: SymbolSpec, symbol: str, depth: int) -> None:
        self.sim, self.spec, self.symbol, self.depth = sim, spec, symbol, depth
        self.name = f"book:{symbol}"
        self.feed = f"{spec.symbol.lower()}@depth@100ms"
        self.book_id = 0
        self.full: dict[bool, dict[Decimal, Decimal]] = {True: {}, False: {}}  # bids, asks

    def _top(self, bids: bool) -> list[tuple[Decimal, Decimal]]:
        return sorted(self.full[bids].items(), reverse=bids)[: self.depth]

    def _message(self, kind: str, bids: list[Json], asks: list[Json]) -> Json:
        row: Json = {"symbol": self.symbol, "bids": bids, "asks": asks}
        row["checksum"] = checksum(self._top(False), self._top(True), self.spec)
        if kind == "update":
            row["timestamp"] = iso(self.sim.clock.now_ms())
        return {"channel": "book", "type": kind, "data": [row]}

    def opened(self) -> list[object]:
        self.book_id, bids, asks = venue_market.book(self.sim, self.spec.symbol, 10_000)
        self.full = {True: dict(bids), False: dict(asks)}
        rows = [
            [{"price": number(p), "qty": number(q)} for p, q in self._top(side)]
            for side in (True, False)
        ]
        return [self._message("snapshot", rows[0], rows[1])]

    def said(self, payload: Json) -> list[object]:
        last = int(payload["u"])
        if last <= self.book_id:
            return []
        self.book_id = last
        rows: list[list[Json]] = []
        for side, changes in ((True, payload["b"]), (False, payload["a"])):
            before = dict(self._top(side))
            book = self.full[side]
            for price_text, qty_text in changes:
                price, qty = Decimal(price_text), Decimal(qty_text)
                if qty:
                    book[price] = qty
                else:
                    book.pop(price, None)
            after = dict(self._top(side))
            moved = sorted(
                (p for p in before.keys() | after.keys() if before.get(p) != after.get(p)),
                reverse=side,
            )
            zero = Decimal(0)
            rows.append([{"price": number(p), "qty": number(after.get(p, zero))} for p in moved])
        if not rows[0] and not rows[1]:
            return []  # nothing changed within the depth
        return [self._message("update", rows[0], rows[1])]


class TradeTopic:
    def __init__(self, spec: SymbolSpec, symbol: str) -> None:
        self.symbol = symbol
        self.name = f"trade:{symbol}"
        self.feed = f"{spec.symbol.lower()}@trade"

    def opened(self) -> list[object]:
        return []

    def said(self, payload: Json) -> list[object]:
        row = {
            "symbol": self.symbol, "side": "sell" if payload["m"] else "buy",
            "price": number(Decimal(payload["p"])), "qty": number(Decimal(payload["q"])),
            "ord_type": "limit", "trade_id": payload["t"], "timestamp": iso(payload["T"]),
        }  # fmt: skip
        return [{"channel": "trade", "type": "update", "data": [row]}]


class OhlcTopic:
    def __init__(self, spec: SymbolSpec, symbol: str, minutes: int) -> None:
        self.symbol, self.minutes = symbol, minutes
        self.name = f"ohlc:{symbol}:{minutes}"
        self.feed = f"{spec.symbol.lower()}@kline_{OHLC_INTERVALS[minutes]}"

    def opened(self) -> list[object]:
        return []

    def said(self, payload: Json) -> list[object]:
        k = payload["k"]
        volume, quote = Decimal(k["v"]), Decimal(k["q"])
        close = Decimal(k["c"])
        row = {
            "symbol": self.symbol, "open": number(Decimal(k["o"])),
            "high": number(Decimal(k["h"])), "low": number(Decimal(k["l"])),
            "close": number(close), "trades": k["n"], "volume": number(volume),
            "vwap": number(quote / volume if volume else close),
            "interval_begin": iso(k["t"]), "interval": self.minutes,
            "timestamp": iso(payload["E"]),
        }  # fmt: skip
        return [{"channel": "ohlc", "type": "update", "timestamp": iso(payload["E"]),
                 "data": [row]}]  # fmt: skip


class TickerTopic:
    def __init__(self, sim: Sim, spec: SymbolSpec, symbol: str) -> None:
        self.sim, self.spec, self.symbol = sim, spec, symbol
        self.name = f"ticker:{symbol}"
        self.feed = f"{spec.symbol.lower()}@ticker"

    def _row(self, t: Json, kind: str) -> Json:
        def d(key: str) -> msgspec.Raw:
            return number(Decimal(t[key]))

        row = {
            "symbol": self.symbol, "bid": d("b"), "bid_qty": d("B"), "ask": d("a"),
            "ask_qty": d("A"), "last": d("c"), "volume": d("v"), "vwap": d("w"), "low": d("l"),
            "high": d("h"), "change": d("p"), "change_pct": d("P"),
        }  # fmt: skip
        return {"channel": "ticker", "type": kind, "data": [row]}

    def opened(self) -> list[object]:
        now = self.sim.clock.now_ms()
        day = day_ticker(self.sim, self.spec.symbol, now)
        keys = {"b": "bidPrice", "B": "bidQty", "a": "askPrice", "A": "askQty", "c": "lastPrice",
                "v": "volume", "w": "weightedAvgPrice", "l": "lowPrice", "h": "highPrice",
                "p": "priceChange", "P": "priceChangePercent"}  # fmt: skip
        return [self._row({short: day[long] for short, long in keys.items()}, "snapshot")]

    def said(self, payload: Json) -> list[object]:
        return [self._row(payload, "update")]


def _topic(sim: Sim, params: Json, symbol: str) -> Topic | str:
    """The topic for one symbol of a subscribe, or the error Kraken says."""
    pair = state_of(sim).names.pair(symbol)
    if pair is None:
        return f"Currency pair not supported {symbol}"
    channel = params.get("channel")
    if channel == "book":
        depth = params.get("depth", 10)
        if depth not in DEPTHS:
            return f"Invalid depth {depth}"
        return BookTopic(sim, pair.spec, symbol, depth)
    if channel == "trade":
        return TradeTopic(pair.spec, symbol)
    if channel == "ohlc":
        minutes = params.get("interval", 1)
        if minutes not in OHLC_INTERVALS:
            return f"Invalid interval {minutes}"
        return OhlcTopic(pair.spec, symbol, minutes)
    if channel == "ticker":
        return TickerTopic(sim, pair.spec, symbol)
    return f"Channel not found {channel}"


HEARTBEAT_S: Final = 1.0
HEARTBEAT: Final = {"channel": "heartbeat"}


class HeartbeatSink(VenueSink):
    """A connection's topics, and Kraken's heartbeat once they have said nothing for a second
    (sent as the stream's other messages are: a stream fault silences it too). On the event
    loop's clock: a heartbeat keeps wall time, also when the simulator's clock is manual."""

    def __init__(self, sim: Sim, conn: StreamConn) -> None:
        super().__init__(sim, conn)
        self._loop = asyncio.get_running_loop()
        self.spoke_at = self._loop.time()
        self._timer = self._loop.call_later(HEARTBEAT_S / 4, self._beat)

    def event(self, stream: str, payload: dict[str, Any]) -> None:
        super().event(stream, payload)
        self.spoke_at = self._loop.time()

    def _beat(self) -> None:
        now = self._loop.time()
        if self.topics and now - self.spoke_at >= HEARTBEAT_S and self.conn.outbox.open:
            self.conn.pending.append(HEARTBEAT)
            self.conn.flush(self.sim.clock.now_ms())
            self.spoke_at = now
        self._timer = self._loop.call_later(HEARTBEAT_S / 4, self._beat)

    def close(self) -> None:
        self._timer.cancel()
        super().close()


def handler(sim: Sim) -> Any:
    async def handle(request: web.Request) -> web.StreamResponse:
        sinks: list[VenueSink] = []

        def on_open(conn: StreamConn) -> Any:
            sink = HeartbeatSink(sim, conn)
            sinks.append(sink)
            conn.outbox.send(
                {"channel": "status", "type": "update",
                 "data": [{"api_version": "v2", "system": "online", "version": "2.0.0"}]}
            )  # fmt: skip

            def on_text(text: str) -> object:
                sim.requests.count("WS", PATH)
                now = iso(sim.clock.now_ms())
                try:
                    message = msgspec.json.decode(text)
                except msgspec.DecodeError:
                    message = None
                if not isinstance(message, dict):
                    return {"error": "Malformed request", "success": False, "time_in": now}
                method = message.get("method")
                req = {"req_id": message["req_id"]} if "req_id" in message else {}
                stamps = {"time_in": now, "time_out": now, **req}
                if method == "ping":
                    return {"method": "pong", **stamps}
                params = message.get("params")
                if method not in ("subscribe", "unsubscribe") or not isinstance(params, dict):
                    return {"error": f"Method not found {method}", "success": False, **stamps}
                symbols = params.get("symbol")
                if not isinstance(symbols, list) or not symbols:
                    return {"error": "Missing symbol", "method": method, "success": False, **stamps}
                for symbol in symbols:
                    found = _topic(sim, params, str(symbol))
                    if isinstance(found, str):
                        conn.outbox.send(
                            {"error": found, "method": method, "success": False,
                             "symbol": symbol, **stamps}
                        )  # fmt: skip
                        continue
                    result = {k: v for k, v in params.items() if k != "symbol"} | {"symbol": symbol}
                    conn.outbox.send(
                        {"method": method, "result": result, "success": True, **stamps}
                    )
                    if method == "subscribe":
                        sink.add(found)
                    else:
                        sink.remove(found.name)
                sim.pump()
                return None

            return on_text

        def cleanup() -> None:
            for sink in sinks:
                sink.close()

        return await serve_ws(request, sim, "market", on_open, cleanup)

    return handle
