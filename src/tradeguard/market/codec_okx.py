"""OKX's public streams: books, trades and tickers on /ws/v5/public, candles on /ws/v5/business
(OKX serves them there only, and refuses a candle channel on /public with 60018). One codec
speaks both: the session keeps a connection to each (venue_stream.stream_for), and sends kline
topics to the /business one.

    → {"id":"7","op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}  (one topic
      each; `id` is the topic's request number, "u7" for its unsubscribe)
    ← {"id":"7","event":"subscribe","arg":{…}} | {"id":"7","event":"error","code","msg"} (an
      error names its request by the id it echoes; one with no id, or an unsubscribe's, no topic)
    ← {"arg":{channel, instId},"action":"snapshot"|"update","data":[…]}
    ← {"arg":{"channel":"candle1m",instId},"data":[[ts, o, h, l, c, vol, volCcy, volCcyQuote,
      confirm]]}  (ts the open time, confirm "1" once closed)
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradeguard.market.codec import ALIVE, Ack, Heard, Ids, RequestNumbers, dec, not_streamed
from tradeguard.market.frames import INTERVALS_MS
from tradeguard.market.sync import BookFrame, OkxBook, StreamBook
from tradeguard.market.values import Candle, Ticker, Trade

CHANNELS = {"book": "books", "trade": "trades", "ticker": "tickers"}
CANDLE = "candle"
# tradeguard's intervals and OKX's bars; from 6 hours up the UTC-aligned ones (OKX's plain 6H,
# 1D, ... are aligned to Hong Kong time); OKX has no 8-hour bar
BARS = {
    "1s": "1s", "1m": "1m", "3m": "3m", "5m": "5m", "15m": "15m", "30m": "30m", "1h": "1H",
    "2h": "2H", "4h": "4H", "6h": "6Hutc", "12h": "12Hutc", "1d": "1Dutc", "3d": "3Dutc",
    "1w": "1Wutc", "1M": "1Mutc",
}  # fmt: skip
_BAR_MS = {bar: INTERVALS_MS[interval] for interval, bar in BARS.items()}


class _Arg(msgspec.Struct):
    channel: str = ""
    instId: str = ""


class _Frame(msgspec.Struct, gc=False):
    arg: _Arg | None = None
    event: str = ""
    id: str = ""
    action: str = ""
    code: str = ""
    msg: str = ""
    data: msgspec.Raw = msgspec.Raw(b"null")


class _Book(msgspec.Struct, gc=False):
    asks: list[list[str]]
    bids: list[list[str]]
    ts: str = "0"
    checksum: int | None = None
    prevSeqId: int = -1
    seqId: int = 0


class _Trade(msgspec.Struct):
    tradeId: str
    px: str
    sz: str
    side: str
    ts: str


class _Ticker(msgspec.Struct):
    instId: str
    last: str
    askPx: str = ""
    askSz: str = ""
    bidPx: str = ""
    bidSz: str = ""
    open24h: str = ""
    high24h: str = ""
    low24h: str = ""
    vol24h: str = ""
    volCcy24h: str = ""
    ts: str = "0"


_frame = msgspec.json.Decoder(_Frame)
_books = msgspec.json.Decoder(list[_Book])
_trades = msgspec.json.Decoder(list[_Trade])
_tickers = msgspec.json.Decoder(list[_Ticker])
_candles = msgspec.json.Decoder(list[list[str]])


class OkxCodec:
    venue = "okx"
    ping = "ping"
    keepalive_s = 25.0
    heartbeat_s: float | None = None  # a quiet subscription is heard only in the pong to our ping
    book_depth = 400  # what OKX's books channel holds

    def __init__(self, ids: Ids) -> None:
        self.ids = ids
        self.requests = RequestNumbers()

    def topic(self, kind: str, symbol: str, interval: str = "") -> str | None:
        if kind == "kline":
            bar = BARS.get(interval)
            return None if bar is None else f"{CANDLE}{bar}:{self.ids.of(symbol)}"
        channel = CHANNELS.get(kind)
        return None if channel is None else f"{channel}:{self.ids.of(symbol)}"

    def unserved(self, kind: str, interval: str = "") -> str:
        return not_streamed("okx", kind, interval, BARS)

    def subscribe(self, names: list[str], unsubscribe: bool = False) -> list[str]:
        op = "unsubscribe" if unsubscribe else "subscribe"
        frames = []
        for name in names:
            channel, _, inst = name.partition(":")
            number = f"{'u' if unsubscribe else ''}{self.requests.of(name)}"
            frames.append(msgspec.json.encode(
                {"id": number, "op": op, "args": [{"channel": channel, "instId": inst}]}
            ))  # fmt: skip
        return [f.decode() for f in frames]

    def new_book(self, symbol: str) -> StreamBook:
        return OkxBook(symbol)

    def decode(self, data: str | bytes) -> list[Heard]:
        if data in ("pong", b"pong"):
            return [ALIVE]  # all OKX sends on a quiet book or candle
        frame = _frame.decode(data)
        arg = frame.arg
        if frame.event:
            if frame.event == "subscribe" and arg is not None:
                return [Ack(True, f"{arg.channel}:{arg.instId}")]
            if frame.event == "error":
                if frame.id.startswith("u"):
                    return []  # an unsubscribe refused: no subscription is
                if arg is not None:
                    name: str | None = f"{arg.channel}:{arg.instId}"
                else:
                    name = self.requests.name(frame.id)
                return [Ack(False, name, f"{frame.code} {frame.msg}".strip())]
            return []
        if arg is None:
            return []
        name = f"{arg.channel}:{arg.instId}"
        if arg.channel == "books":
            heard: list[Heard] = []
            for b in _books.decode(frame.data):
                heard.append((name, BookFrame(
                    snapshot=frame.action == "snapshot",
                    bids=[(r[0], r[1]) for r in b.bids], asks=[(r[0], r[1]) for r in b.asks],
                    update_id=b.seqId, prev_id=b.prevSeqId, checksum=b.checksum, at_ms=int(b.ts),
                )))  # fmt: skip
            return heard
        if arg.channel == "trades":
            return [(name, _trade(t)) for t in _trades.decode(frame.data)]
        if arg.channel == "tickers":
            return [(name, self._ticker(t)) for t in _tickers.decode(frame.data)]
        bar_ms = _BAR_MS.get(arg.channel.removeprefix(CANDLE))
        if bar_ms is not None and arg.channel.startswith(CANDLE):
            return [(name, _candle(row, bar_ms)) for row in _candles.decode(frame.data)]
        return []

    def _ticker(self, t: _Ticker) -> Ticker:
        return Ticker(
            symbol=self.ids.compact.get(t.instId, t.instId), last=Decimal(t.last),
            bid=dec(t.bidPx), bid_qty=dec(t.bidSz), ask=dec(t.askPx), ask_qty=dec(t.askSz),
            open=dec(t.open24h), high=dec(t.high24h), low=dec(t.low24h), volume=dec(t.vol24h),
            quote_volume=dec(t.volCcy24h), at_ms=int(t.ts),
        )  # fmt: skip


def _trade(t: _Trade) -> Trade:
    return Trade(trade_id=int(t.tradeId), price=Decimal(t.px), qty=Decimal(t.sz),
                 at_ms=int(t.ts), buyer_is_maker=t.side == "sell")  # fmt: skip


def _candle(row: list[str], bar_ms: int) -> Candle:
    ts, o, h, low, c, vol, _, quote, confirm = row[:9]
    return Candle(
        open_ms=int(ts), close_ms=int(ts) + bar_ms - 1, open=Decimal(o), high=Decimal(h),
        low=Decimal(low), close=Decimal(c), volume=Decimal(vol), quote_volume=Decimal(quote),
        closed=confirm == "1",
    )  # fmt: skip


__all__ = ["OkxCodec"]
