"""Kraken's public stream, WebSocket v2 (/v2/public): book, trade, ohlc and ticker. Prices and
quantities are JSON numbers, read exactly (as Decimal, never a float).

    → {"method":"subscribe","params":{"channel":"book","symbol":["BTC/USDT"],"depth":10},
       "req_id":7}  (one topic each; `req_id` is the topic's request number)
    ← {"method":"subscribe","success":true,"result":{"channel","symbol",…},"req_id":7}
      | {"method":"subscribe","success":false,"error":…,"symbol":…,"req_id":7} (no channel
      named: the req_id it echoes names the request)
    ← {"channel","type":"snapshot"|"update","data":[…]}
    ← {"channel":"heartbeat"} (a quiet subscription, about once a second): the stream is
      alive (`codec.ALIVE`), with no data
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import msgspec

from tradeguard.market.codec import ALIVE, Ack, Heard, Ids, RequestNumbers, not_streamed, plain
from tradeguard.market.sync import BookFrame, KrakenBook, StreamBook
from tradeguard.market.values import Candle, Ticker, Trade

DEPTH = 25  # levels a side kept (the checksum covers the top 10 of them)
MINUTES = {"1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "4h": 240, "1d": 1440, "1w": 10080}


class _Result(msgspec.Struct):
    channel: str = ""
    symbol: str = ""
    interval: int | None = None


class _Frame(msgspec.Struct, gc=False):
    channel: str = ""
    type: str = ""
    method: str = ""
    success: bool | None = None
    error: str = ""
    result: _Result | None = None
    req_id: int | None = None
    data: msgspec.Raw = msgspec.Raw(b"null")


class _Level(msgspec.Struct, gc=False):
    price: Decimal
    qty: Decimal


class _Book(msgspec.Struct, gc=False):
    symbol: str
    bids: list[_Level]
    asks: list[_Level]
    checksum: int | None = None


class _Trade(msgspec.Struct):
    symbol: str
    side: str
    price: Decimal
    qty: Decimal
    trade_id: int
    timestamp: str


class _Ohlc(msgspec.Struct):
    symbol: str
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    interval_begin: str
    interval: int
    trades: int = 0
    vwap: Decimal = Decimal(0)


class _Ticker(msgspec.Struct):
    symbol: str
    last: Decimal
    bid: Decimal | None = None
    bid_qty: Decimal | None = None
    ask: Decimal | None = None
    ask_qty: Decimal | None = None
    volume: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    change: Decimal | None = None


_frame = msgspec.json.Decoder(_Frame)
_books = msgspec.json.Decoder(list[_Book], float_hook=Decimal)
_trades = msgspec.json.Decoder(list[_Trade], float_hook=Decimal)
_ohlcs = msgspec.json.Decoder(list[_Ohlc], float_hook=Decimal)
_tickers = msgspec.json.Decoder(list[_Ticker], float_hook=Decimal)


def iso_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


class KrakenCodec:
    venue = "kraken"
    ping = '{"method":"ping"}'
    keepalive_s = 30.0
    heartbeat_s: float | None = (
        1.0  # its heartbeat channel, about once a second: the only sign a quiet one lives
    )
    book_depth = DEPTH

    def __init__(self, ids: Ids, places: Mapping[str, tuple[int, int]]) -> None:
        self.ids = ids
        self.places = places  # compact symbol -> (price decimals, quantity decimals)
        self.requests = RequestNumbers()

    def topic(self, kind: str, symbol: str, interval: str = "") -> str | None:
        sid = self.ids.of(symbol)
        if kind in ("book", "trade", "ticker"):
            return f"{kind}:{sid}"
        if kind == "kline" and interval in MINUTES:
            return f"ohlc:{sid}:{MINUTES[interval]}"
        return None

    def unserved(self, kind: str, interval: str = "") -> str:
        return not_streamed("kraken", kind, interval, MINUTES)

    def subscribe(self, names: list[str], unsubscribe: bool = False) -> list[str]:
        method = "unsubscribe" if unsubscribe else "subscribe"
        frames = []
        for name in names:
            channel, symbol, *rest = name.split(":")
            params: dict[str, object] = {"channel": channel, "symbol": [symbol]}
            if channel == "book":
                params["depth"] = DEPTH
            if rest:
                params["interval"] = int(rest[0])
            frames.append(msgspec.json.encode(
                {"method": method, "params": params, "req_id": self.requests.of(name)}
            ).decode())  # fmt: skip
        return frames

    def new_book(self, symbol: str) -> StreamBook:
        price, qty = self.places.get(symbol, (8, 8))
        return KrakenBook(symbol, depth=DEPTH, price_places=price, qty_places=qty)

    def decode(self, data: str | bytes) -> list[Heard]:
        frame = _frame.decode(data)
        if frame.method:
            if frame.method != "subscribe" or frame.success is None:
                return []  # a pong (the heartbeat says a quiet stream is alive), an unsubscribe
            r = frame.result
            if not frame.success or r is None:
                return [Ack(False, self.requests.name(frame.req_id), frame.error)]
            suffix = f":{r.interval}" if r.channel == "ohlc" else ""
            return [Ack(True, f"{r.channel}:{r.symbol}{suffix}")]
        channel = frame.channel
        if channel == "heartbeat":
            return [ALIVE]  # about once a second on a quiet subscription
        if channel == "book":
            return [
                (f"book:{b.symbol}", BookFrame(
                    snapshot=frame.type == "snapshot", checksum=b.checksum,
                    bids=[(plain(x.price), plain(x.qty)) for x in b.bids],
                    asks=[(plain(x.price), plain(x.qty)) for x in b.asks],
                ))
                for b in _books.decode(frame.data)
            ]  # fmt: skip
        if channel == "trade":
            return [(f"trade:{t.symbol}", Trade(
                trade_id=t.trade_id, price=t.price, qty=t.qty, at_ms=iso_ms(t.timestamp),
                buyer_is_maker=t.side == "sell",
            )) for t in _trades.decode(frame.data)]  # fmt: skip
        if channel == "ohlc":
            return [
                (f"ohlc:{k.symbol}:{k.interval}", _candle(k)) for k in _ohlcs.decode(frame.data)
            ]
        if channel == "ticker":
            return [(f"ticker:{t.symbol}", self._ticker(t)) for t in _tickers.decode(frame.data)]
        return []  # status, heartbeat

    def _ticker(self, t: _Ticker) -> Ticker:
        return Ticker(
            symbol=self.ids.compact.get(t.symbol, t.symbol), last=t.last, bid=t.bid,
            bid_qty=t.bid_qty, ask=t.ask, ask_qty=t.ask_qty, volume=t.volume, low=t.low,
            high=t.high, open=None if t.change is None else t.last - t.change,
            at_ms=0,  # Kraken's ticker carries no time: the keeper dates it as it comes
        )  # fmt: skip


def _candle(k: _Ohlc) -> Candle:
    open_ms = iso_ms(k.interval_begin)
    return Candle(
        open_ms=open_ms, close_ms=open_ms + k.interval * 60_000 - 1, open=k.open, high=k.high,
        low=k.low, close=k.close, volume=k.volume, quote_volume=k.vwap * k.volume,
        trades=k.trades, closed=False,
    )  # fmt: skip


__all__ = ["KrakenCodec"]
