"""Bybit's public spot stream (/v5/public/spot): orderbook.50, publicTrade, kline and tickers.

→ {"op":"subscribe","req_id":<the topic>,"args":[<the topic>]}  (req_id names the answer)
← {"success":true,"op":"subscribe","req_id":…} | {"success":false,"ret_msg":…,"req_id":…}
← {"topic","type":"snapshot"|"delta","ts","data"}
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from tradeguard.market.book import WireLevel
from tradeguard.market.codec import ALIVE, Ack, Heard, Ids, dec, not_streamed
from tradeguard.market.sync import BookFrame, BybitBook, StreamBook
from tradeguard.market.values import Candle, Ticker, Trade

DEPTH = 50
INTERVALS = {
    "1m": "1", "3m": "3", "5m": "5", "15m": "15", "30m": "30", "1h": "60", "2h": "120",
    "4h": "240", "6h": "360", "12h": "720", "1d": "D", "1w": "W",
}  # fmt: skip


class _Frame(msgspec.Struct, gc=False):
    topic: str = ""
    type: str = ""
    ts: int = 0
    data: msgspec.Raw = msgspec.Raw(b"null")
    op: str = ""
    success: bool | None = None
    ret_msg: str = ""
    req_id: str = ""


class _Book(msgspec.Struct, gc=False):
    u: int
    b: list[WireLevel]
    a: list[WireLevel]


class _Trade(msgspec.Struct):
    T: int
    S: str
    v: str
    p: str
    i: str


class _Kline(msgspec.Struct):
    start: int
    end: int
    open: str
    close: str
    high: str
    low: str
    volume: str
    turnover: str
    confirm: bool


class _Ticker(msgspec.Struct):
    symbol: str
    lastPrice: str
    highPrice24h: str = ""
    lowPrice24h: str = ""
    prevPrice24h: str = ""
    volume24h: str = ""
    turnover24h: str = ""


_frame = msgspec.json.Decoder(_Frame)
_book = msgspec.json.Decoder(_Book)
_trades = msgspec.json.Decoder(list[_Trade])
_klines = msgspec.json.Decoder(list[_Kline])
_ticker = msgspec.json.Decoder(_Ticker)


class BybitCodec:
    venue = "bybit"
    ping = '{"op":"ping"}'
    keepalive_s = 20.0
    heartbeat_s: float | None = None  # a quiet subscription is heard only in the pong to our ping
    book_depth = DEPTH

    def __init__(self, ids: Ids) -> None:
        self.ids = ids

    def topic(self, kind: str, symbol: str, interval: str = "") -> str | None:
        sid = self.ids.of(symbol)
        if kind == "book":
            return f"orderbook.{DEPTH}.{sid}"
        if kind == "trade":
            return f"publicTrade.{sid}"
        if kind == "ticker":
            return f"tickers.{sid}"
        if kind == "kline" and interval in INTERVALS:
            return f"kline.{INTERVALS[interval]}.{sid}"
        return None

    def unserved(self, kind: str, interval: str = "") -> str:
        return not_streamed("bybit", kind, interval, INTERVALS, candles="klines")

    def subscribe(self, names: list[str], unsubscribe: bool = False) -> list[str]:
        op = "unsubscribe" if unsubscribe else "subscribe"
        return [
            msgspec.json.encode({"op": op, "req_id": f"{op}:{n}", "args": [n]}).decode()
            for n in names
        ]

    def new_book(self, symbol: str) -> StreamBook:
        return BybitBook(symbol, keep=DEPTH)

    def decode(self, data: str | bytes) -> list[Heard]:
        frame = _frame.decode(data)
        topic = frame.topic
        if not topic:
            if frame.op == "subscribe" and frame.success is not None:
                name = frame.req_id.removeprefix("subscribe:") or None
                return [Ack(frame.success, name, frame.ret_msg)]
            if frame.op == "ping" or frame.ret_msg == "pong":
                return [ALIVE]  # all Bybit sends on a quiet book
            return []  # an unsubscribe's answer
        kind = topic.partition(".")[0]
        if kind == "orderbook":
            book = _book.decode(frame.data)
            return [(topic, BookFrame(snapshot=frame.type == "snapshot", bids=book.b,
                                      asks=book.a, update_id=book.u, at_ms=frame.ts))]  # fmt: skip
        if kind == "publicTrade":
            return [(topic, _trade(t)) for t in _trades.decode(frame.data)]
        if kind == "kline":
            return [(topic, _candle(k)) for k in _klines.decode(frame.data)]
        if kind == "tickers":
            return [(topic, self._ticker(_ticker.decode(frame.data), frame.ts))]
        return []

    def _ticker(self, t: _Ticker, at_ms: int) -> Ticker:
        return Ticker(
            symbol=self.ids.compact.get(t.symbol, t.symbol), last=Decimal(t.lastPrice),
            open=dec(t.prevPrice24h), high=dec(t.highPrice24h), low=dec(t.lowPrice24h),
            volume=dec(t.volume24h), quote_volume=dec(t.turnover24h), at_ms=at_ms,
        )  # fmt: skip


def _trade(t: _Trade) -> Trade:
    return Trade(trade_id=_int_id(t.i), price=Decimal(t.p), qty=Decimal(t.v), at_ms=t.T,
                 buyer_is_maker=t.S == "Sell")  # fmt: skip


def _candle(k: _Kline) -> Candle:
    return Candle(
        open_ms=k.start, close_ms=k.end, open=Decimal(k.open), high=Decimal(k.high),
        low=Decimal(k.low), close=Decimal(k.close), volume=Decimal(k.volume),
        quote_volume=Decimal(k.turnover), closed=k.confirm,
    )  # fmt: skip


def _int_id(text: Any) -> int:
    """A trade id as a number (the trades are kept by id); digits as they are, else a stable
    number from the text."""
    text = str(text)
    if text.isdigit():
        return int(text)
    import zlib

    return zlib.crc32(text.encode())


__all__ = ["BybitCodec"]
