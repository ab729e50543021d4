"""Binance JSON for the public market streams (web-socket-streams.md), one builder per payload.

Numbers go out as strings with 8 decimals like the REST bodies (wire.py); ids and times are
integers. The 24-hour tickers are built from the REST ticker's row (rest_market.day_ticker), so
the stream and `GET /api/v3/ticker/24hr` can never disagree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeguard.sim.records import KlineBar
from tradeguard.sim.wire import d8

Json = dict[str, Any]
Levels = list[list[str]]


def trade_event(
    symbol: str, trade_id: int, price: Decimal, qty: Decimal, time: int, buyer_is_maker: bool
) -> Json:
    """<symbol>@trade."""
    return {
        "e": "trade",
        "E": time,
        "s": symbol,
        "t": trade_id,
        "p": d8(price),
        "q": d8(qty),
        "T": time,
        "m": buyer_is_maker,
        "M": True,
    }


def agg_trade_event(trade: Json) -> Json:
    """<symbol>@aggTrade from a @trade payload: every simulated trade is its own aggregate, as
    GET /api/v3/aggTrades answers (the aggregate id is the trade id)."""
    trade_id = trade["t"]
    return {
        "e": "aggTrade",
        "E": trade["E"],
        "s": trade["s"],
        "a": trade_id,
        "p": trade["p"],
        "q": trade["q"],
        "f": trade_id,
        "l": trade_id,
        "T": trade["T"],
        "m": trade["m"],
        "M": True,
    }


def book_ticker_event(
    update_id: int, symbol: str, top: tuple[Decimal, Decimal, Decimal, Decimal]
) -> Json:
    """<symbol>@bookTicker."""
    bid, bid_qty, ask, ask_qty = top
    return {
        "u": update_id,
        "s": symbol,
        "b": d8(bid),
        "B": d8(bid_qty),
        "a": d8(ask),
        "A": d8(ask_qty),
    }


def depth_update_event(
    event_time: int, symbol: str, first_id: int, last_id: int, bids: Levels, asks: Levels
) -> Json:
    """<symbol>@depth[@100ms]: the levels that changed (quantity "0.00000000": gone)."""
    return {
        "e": "depthUpdate",
        "E": event_time,
        "s": symbol,
        "U": first_id,
        "u": last_id,
        "b": bids,
        "a": asks,
    }


def levels_json(rows: list[tuple[Decimal, Decimal]]) -> Levels:
    return [[d8(price), d8(qty)] for price, qty in rows]


def kline_event(event_time: int, symbol: str, interval: str, bar: KlineBar, closed: bool) -> Json:
    """<symbol>@kline_<interval>."""
    return {
        "e": "kline",
        "E": event_time,
        "s": symbol,
        "k": {
            "t": bar.open_time,
            "T": bar.close_time,
            "s": symbol,
            "i": interval,
            "f": bar.first_trade_id,
            "L": bar.last_trade_id,
            "o": d8(bar.open),
            "c": d8(bar.close),
            "h": d8(bar.high),
            "l": d8(bar.low),
            "v": d8(bar.volume),
            "n": bar.trades,
            "x": closed,
            "q": d8(bar.quote_volume),
            "V": d8(bar.taker_buy_volume),
            "Q": d8(bar.taker_buy_quote_volume),
            "B": "0",
        },
    }


def ticker_event(event_time: int, row: Json) -> Json:
    """<symbol>@ticker from a GET /api/v3/ticker/24hr row."""
    return {
        "e": "24hrTicker",
        "E": event_time,
        "s": row["symbol"],
        "p": row["priceChange"],
        "P": row["priceChangePercent"],
        "w": row["weightedAvgPrice"],
        "x": row["prevClosePrice"],
        "c": row["lastPrice"],
        "Q": row["lastQty"],
        "b": row["bidPrice"],
        "B": row["bidQty"],
        "a": row["askPrice"],
        "A": row["askQty"],
        "o": row["openPrice"],
        "h": row["highPrice"],
        "l": row["lowPrice"],
        "v": row["volume"],
        "q": row["quoteVolume"],
        "O": row["openTime"],
        "C": row["closeTime"],
        "F": row["firstId"],
        "L": row["lastId"],
        "n": row["count"],
    }


def mini_ticker_event(event_time: int, row: Json) -> Json:
    """<symbol>@miniTicker from a GET /api/v3/ticker/24hr row."""
    return {
        "e": "24hrMiniTicker",
        "E": event_time,
        "s": row["symbol"],
        "c": row["lastPrice"],
        "o": row["openPrice"],
        "h": row["highPrice"],
        "l": row["lowPrice"],
        "v": row["volume"],
        "q": row["quoteVolume"],
    }
