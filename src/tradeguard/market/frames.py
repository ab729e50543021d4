"""Binance's market-data JSON into the values the session returns: stream payloads
(web-socket-streams.md) and REST bodies (depth, klines, trades, ticker/24hr). Pure.

Every amount decodes straight into a Decimal (msgspec, in C); an unexpected shape is a
`ExchangeError` naming what was being read, never a KeyError from deep inside.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from tradeguard.errors import ExchangeError
from tradeguard.market.book import DepthDiff
from tradeguard.market.values import Candle, Level, OrderBook, Ticker, Trade

# Binance's kline intervals and their length (the month counted as 31 days: only for "closed")
INTERVALS_MS = {
    "1s": 1_000, "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000,
    "30m": 1_800_000, "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000,
    "6h": 21_600_000, "8h": 28_800_000, "12h": 43_200_000, "1d": 86_400_000,
    "3d": 259_200_000, "1w": 604_800_000, "1M": 2_678_400_000,
}  # fmt: skip


class Envelope(msgspec.Struct, frozen=True):
    """A combined-stream frame (`{"stream", "data"}`) or the answer to a request (`result` or
    `error`, with the request's `id`)."""

    stream: str = ""
    data: msgspec.Raw = msgspec.Raw(b"null")
    id: int | None = None
    result: Any = None
    error: dict[str, Any] | None = None


class _WireTrade(msgspec.Struct, frozen=True):
    t: int
    p: Decimal
    q: Decimal
    T: int
    m: bool = False


class _WireKline(msgspec.Struct, frozen=True):
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


class _WireKlineEvent(msgspec.Struct, frozen=True):
    k: _WireKline


class _WireTicker(msgspec.Struct, frozen=True):
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


class _RestDepth(msgspec.Struct, frozen=True):
    lastUpdateId: int
    bids: list[Level]
    asks: list[Level]


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

_envelope = msgspec.json.Decoder(Envelope)
_depth = msgspec.json.Decoder(DepthDiff)
_trade = msgspec.json.Decoder(_WireTrade)
_kline = msgspec.json.Decoder(_WireKlineEvent)
_ticker = msgspec.json.Decoder(_WireTicker)


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
        return _envelope.decode(frame)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise _bad("market stream frame", exc) from exc


def depth_diff(data: bytes) -> DepthDiff:
    try:
        return _depth.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise _bad("depth update", exc) from exc


def stream_trade(data: bytes) -> Trade:
    try:
        w = _trade.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise _bad("trade event", exc) from exc
    return Trade(trade_id=w.t, price=w.p, qty=w.q, at_ms=w.T, buyer_is_maker=w.m)


def stream_kline(data: bytes) -> Candle:
    try:
        k = _kline.decode(data).k
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise _bad("kline event", exc) from exc
    return Candle(
        open_ms=k.t, close_ms=k.T, open=k.o, high=k.h, low=k.l, close=k.c, volume=k.v,
        quote_volume=k.q, trades=k.n, closed=k.x,
    )  # fmt: skip


def stream_ticker(data: bytes) -> Ticker:
    try:
        w = _ticker.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise _bad("ticker event", exc) from exc
    return Ticker(
        symbol=w.s, last=w.c, bid=w.b, bid_qty=w.B, ask=w.a, ask_qty=w.A, open=w.o, high=w.h,
        low=w.l, volume=w.v, quote_volume=w.q, at_ms=w.E,
    )  # fmt: skip


def _rest(body: bytes, kind: Any, what: str) -> Any:
    try:
        return msgspec.json.decode(body, type=kind)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise _bad(what, exc) from exc


def rest_depth(body: bytes) -> tuple[int, list[Level], list[Level]]:
    """GET /api/v3/depth: lastUpdateId, bids, asks."""
    wire: _RestDepth = _rest(body, _RestDepth, "depth snapshot")
    return wire.lastUpdateId, wire.bids, wire.asks


def rest_book(symbol: str, body: bytes, depth: int, at_ms: int) -> OrderBook:
    last, bids, asks = rest_depth(body)
    return OrderBook(
        symbol=symbol, bids=tuple(bids[:depth]), asks=tuple(asks[:depth]), update_id=last,
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
    "Envelope",
    "depth_diff",
    "envelope",
    "rest_book",
    "rest_depth",
    "rest_klines",
    "rest_ticker",
    "rest_trades",
    "stream_kline",
    "stream_ticker",
    "stream_trade",
]
