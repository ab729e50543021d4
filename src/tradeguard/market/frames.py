"""Binance's market-data JSON into the values the session returns: stream payloads
(web-socket-streams.md) and REST bodies (depth, klines, trades, ticker/24hr). Pure.

A combined-stream frame decodes in one pass, straight into the typed event its "e" names
(`Envelope.data`); amounts become Decimals in C, a depth diff's stay strings (book.py says why).
An unexpected REST body is an `ExchangeError` naming what was being read, never a KeyError from
deep inside; an unreadable stream frame is skipped by the stream.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from tradeguard.errors import ExchangeError
from tradeguard.market.book import DepthDiff, WireLevel
from tradeguard.market.values import Candle, Level, OrderBook, Ticker, Trade

# Binance's kline intervals and their length (the month counted as 31 days: only for "closed")
INTERVALS_MS = {
    "1s": 1_000, "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000,
    "30m": 1_800_000, "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000,
    "6h": 21_600_000, "8h": 28_800_000, "12h": 43_200_000, "1d": 86_400_000,
    "3d": 259_200_000, "1w": 604_800_000, "1M": 2_678_400_000,
}  # fmt: skip


class TradeEvent(msgspec.Struct, frozen=True, gc=False, tag_field="e", tag="trade"):
    t: int
    p: Decimal
    q: Decimal
    T: int
    m: bool = False


class _WireKline(msgspec.Struct, frozen=True, gc=False):
    t: int
    T: int
    o: Decimal
    c: Decimal
    h: Decimal
    l: Decimal  # noqa: E741 (Binance's name)
    v: Decimal
    q: Decimal = Decimal(0)
    n: int = 0
    x: bool = False


class KlineEvent(msgspec.Struct, frozen=True, gc=False, tag_field="e", tag="kline"):
    k: _WireKline


class TickerEvent(msgspec.Struct, frozen=True, gc=False, tag_field="e", tag="24hrTicker"):
    s: str
    c: Decimal
    E: int = 0
    b: Decimal | None = None
    B: Decimal | None = None
    a: Decimal | None = None
    A: Decimal | None = None
    o: Decimal | None = None
    h: Decimal | None = None
    l: Decimal | None = None  # noqa: E741
    v: Decimal | None = None
    q: Decimal | None = None


# The payloads the keeper subscribes to, told apart by their "e" as the frame is decoded
MarketEvent = DepthDiff | TradeEvent | KlineEvent | TickerEvent


class Envelope(msgspec.Struct, frozen=True, gc=False):
    """A combined-stream frame (`{"stream", "data"}`) or the answer to a request (`result` or
    `error`, with the request's `id`)."""

    stream: str = ""
    data: MarketEvent | None = None
    id: int | None = None
    result: Any = None
    error: dict[str, Any] | None = None


class _RestDepth(msgspec.Struct, frozen=True):
    lastUpdateId: int
    bids: list[WireLevel]
    asks: list[WireLevel]


class _RestTrade(msgspec.Struct, frozen=True):
    id: int
    price: Decimal
    qty: Decimal
    time: int
    isBuyerMaker: bool = False


class _RestTicker(msgspec.Struct, frozen=True):
    symbol: str
    lastPrice: Decimal
    bidPrice: Decimal | None = None
    bidQty: Decimal | None = None
    askPrice: Decimal | None = None
    askQty: Decimal | None = None
    openPrice: Decimal | None = None
    highPrice: Decimal | None = None
    lowPrice: Decimal | None = None
    volume: Decimal | None = None
    quoteVolume: Decimal | None = None
    closeTime: int = 0


_KlineRow = tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal, int, Decimal, int]

# The hot path's decoder, called bare (the stream catches UNREADABLE and skips the frame)
decode_envelope = msgspec.json.Decoder(Envelope).decode
UNREADABLE = (msgspec.DecodeError, msgspec.ValidationError)


def _bad(what: str, exc: Exception) -> ExchangeError:
    return ExchangeError(
        None,
        f"the exchange's {what} could not be read: {exc}",
        None,
        hint="the exchange changed its format or the connection corrupted a frame; it is "
        "skipped, and reported if it keeps happening",
    )


def envelope(frame: bytes | str) -> Envelope:
    try:
        return decode_envelope(frame)
    except UNREADABLE as exc:
        raise _bad("market stream frame", exc) from exc


def trade_of(w: TradeEvent) -> Trade:
    return Trade(trade_id=w.t, price=w.p, qty=w.q, at_ms=w.T, buyer_is_maker=w.m)


def candle_of(event: KlineEvent) -> Candle:
    k = event.k
    return Candle(
        open_ms=k.t, close_ms=k.T, open=k.o, high=k.h, low=k.l, close=k.c, volume=k.v,
        quote_volume=k.q, trades=k.n, closed=k.x,
    )  # fmt: skip


def ticker_of(w: TickerEvent) -> Ticker:
    return Ticker(
        symbol=w.s, last=w.c, bid=w.b, bid_qty=w.B, ask=w.a, ask_qty=w.A, open=w.o, high=w.h,
        low=w.l, volume=w.v, quote_volume=w.q, at_ms=w.E,
    )  # fmt: skip


def _rest(body: bytes, kind: Any, what: str) -> Any:
    try:
        return msgspec.json.decode(body, type=kind)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise _bad(what, exc) from exc


def rest_depth(body: bytes) -> tuple[int, list[WireLevel], list[WireLevel]]:
    """GET /api/v3/depth: lastUpdateId, bids, asks, as written (what the local book takes)."""
    wire: _RestDepth = _rest(body, _RestDepth, "depth snapshot")
    return wire.lastUpdateId, wire.bids, wire.asks


def levels(rows: list[WireLevel]) -> tuple[Level, ...]:
    return tuple((Decimal(price), Decimal(qty)) for price, qty in rows)


def rest_book(symbol: str, body: bytes, depth: int, at_ms: int) -> OrderBook:
    last, bids, asks = rest_depth(body)
    return OrderBook(
        symbol=symbol, bids=levels(bids[:depth]), asks=levels(asks[:depth]), update_id=last,
        at_ms=at_ms,
    )  # fmt: skip


def rest_ticker(body: bytes) -> Ticker:
    """GET /api/v3/ticker/24hr?symbol=..."""
    w: _RestTicker = _rest(body, _RestTicker, "24hr ticker")
    return Ticker(
        symbol=w.symbol, last=w.lastPrice, bid=w.bidPrice, bid_qty=w.bidQty, ask=w.askPrice,
        ask_qty=w.askQty, open=w.openPrice, high=w.highPrice, low=w.lowPrice, volume=w.volume,
        quote_volume=w.quoteVolume, at_ms=w.closeTime,
    )  # fmt: skip


def rest_klines(body: bytes, now_ms: int) -> list[Candle]:
    """GET /api/v3/klines: oldest first; a candle is closed once its close time has passed."""
    rows: list[list[Any]] = _rest(body, list[list[Any]], "klines")
    try:
        typed = [msgspec.convert(row[:9], _KlineRow, strict=False) for row in rows]
    except msgspec.ValidationError as exc:
        raise _bad("klines", exc) from exc
    return [
        Candle(
            open_ms=r[0],
            open=r[1],
            high=r[2],
            low=r[3],
            close=r[4],
            volume=r[5],
            close_ms=r[6],
            quote_volume=r[7],
            trades=r[8],
            closed=r[6] < now_ms,
        )
        for r in typed
    ]


def rest_trades(body: bytes) -> list[Trade]:
    """GET /api/v3/trades: oldest first."""
    rows: list[_RestTrade] = _rest(body, list[_RestTrade], "trades")
    return [
        Trade(trade_id=t.id, price=t.price, qty=t.qty, at_ms=t.time, buyer_is_maker=t.isBuyerMaker)
        for t in rows
    ]


__all__ = [
    "INTERVALS_MS",
    "UNREADABLE",
    "Envelope",
    "KlineEvent",
    "MarketEvent",
    "TickerEvent",
    "TradeEvent",
    "candle_of",
    "decode_envelope",
    "envelope",
    "levels",
    "rest_book",
    "rest_depth",
    "rest_klines",
    "rest_ticker",
    "rest_trades",
    "ticker_of",
    "trade_of",
]
