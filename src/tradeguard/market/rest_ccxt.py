"""Market data on the ccxt venues (Bybit, OKX, Kraken) over REST: ccxt's fetch_ticker,
fetch_order_book, fetch_ohlcv and fetch_trades, each through the venue's wire (`Wire.call`: the
same rate ledger, call counter, pauses and bans as its orders). The keeper caches them
(cache.TTL_S), and reads them only to start, or what the venue's stream (venue_stream.py) does
not carry.

A read the venue does not offer (ccxt's `has` table says so), or an endpoint the exchange does
not serve, is refused with that reason, never answered with something made up. The embedded
simulator's dialects serve all four (sim/<venue>/rest_market.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeguard.errors import ExchangeError, GuardError
from tradeguard.market.book import WireLevel
from tradeguard.market.cache import MarketStats
from tradeguard.market.values import Candle, Level, OrderBook, Ticker, Trade

_HAS = {
    "fetch_ticker": "fetchTicker",
    "fetch_order_book": "fetchOrderBook",
    "fetch_ohlcv": "fetchOHLCV",
    "fetch_trades": "fetchTrades",
}
_WHAT = {
    "fetch_ticker": "the ticker",
    "fetch_order_book": "the order book",
    "fetch_ohlcv": "candles",
    "fetch_trades": "public trades",
}

# How each venue says it has no such endpoint: Bybit's retCode 10017, OKX's 404 code, Kraken's
# EGeneral (each as its simulator dialect says it too)
_UNSERVED = ("request path not found", "unknown endpoint", "unknown method")


def _dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


# the deepest book each venue's REST serves (Bybit's spot orderbook `limit`, OKX's books-full `sz`,
# Kraken's Depth `count`); deeper is the venue's own "params error"
MAX_BOOK_DEPTH = {"bybit": 200, "okx": 5000, "kraken": 500}


class CcxtMarketRest:
    """The REST market reads of one ccxt venue (`venues.ccxt.venue.CcxtVenue`)."""

    has_streams = False
    # one request each; the venue's own ledger prices it
    ticker_weight = candles_weight = trades_weight = 1

    def __init__(self, venue: Any, stats: MarketStats) -> None:
        self.venue_obj = venue
        self.venue: str = venue.name
        self.stats = stats
        self.max_book_depth = MAX_BOOK_DEPTH.get(self.venue, 100)

    @staticmethod
    def book_weight(depth: int) -> int:
        return 1

    async def _read(self, method: str, symbol: str, *args: Any) -> Any:
        exchange = self.venue_obj.exchange
        if not exchange.has.get(_HAS[method]):
            raise GuardError(
                f"{self.venue} offers no {_WHAT[method]} over its API (ccxt's {_HAS[method]})",
                hint="read it on a venue that has it",
            )
        unified = (await self.venue_obj.symbols()).to_unified(symbol)
        self.stats.requests += 1
        self.stats.weight += 1
        call = getattr(exchange, method)
        try:
            return await self.venue_obj._wire.call(method, lambda: call(unified, *args))
        except ExchangeError as exc:
            if exc.http_status == 404 or any(m in str(exc).lower() for m in _UNSERVED):
                raise GuardError(
                    f"{self.venue} did not serve {_WHAT[method]}: {exc.msg}",
                    hint="read it on a venue (or a simulator version) that serves it",
                ) from exc
            raise

    async def depth_snapshot(
        self, symbol: str, limit: int
    ) -> tuple[int, list[WireLevel], list[WireLevel]]:
        book = await self.book(symbol, limit)
        return (
            book.update_id,
            [(str(p), str(q)) for p, q in book.bids],
            [(str(p), str(q)) for p, q in book.asks],
        )

    async def book(self, symbol: str, depth: int) -> OrderBook:
        raw = await self._read("fetch_order_book", symbol, depth)
        return OrderBook(
            symbol=symbol,
            bids=tuple(_levels(raw.get("bids"), depth)),
            asks=tuple(_levels(raw.get("asks"), depth)),
            update_id=int(raw.get("nonce") or 0),
            at_ms=self._dated(raw),
        )

    async def ticker(self, symbol: str) -> Ticker:
        raw = await self._read("fetch_ticker", symbol)
        last = _dec(raw.get("last"))
        if last is None:
            raise GuardError(f"{self.venue} gave no last price for {symbol}")
        return Ticker(
            symbol=symbol, last=last, bid=_dec(raw.get("bid")),
            bid_qty=_dec(raw.get("bidVolume")), ask=_dec(raw.get("ask")),
            ask_qty=_dec(raw.get("askVolume")), open=_dec(raw.get("open")),
            high=_dec(raw.get("high")), low=_dec(raw.get("low")),
            volume=_dec(raw.get("baseVolume")), quote_volume=_dec(raw.get("quoteVolume")),
            at_ms=self._dated(raw),
        )  # fmt: skip

    def _dated(self, raw: Any) -> int:
        """When a reply's figures are from: the exchange's time, or where the reply carries
        none (Kraken's ticker and book, Bybit's ticker) the time it came, never 0 (1970)."""
        return int(raw.get("timestamp") or self.venue_obj.server_now_ms())

    async def candles(self, symbol: str, interval: str, limit: int) -> list[Candle]:
        from tradeguard.market.frames import INTERVALS_MS

        rows = await self._read("fetch_ohlcv", symbol, interval, None, limit)
        now = self.venue_obj.server_now_ms()
        length = INTERVALS_MS[interval]
        return [
            Candle(
                open_ms=int(r[0]),
                close_ms=int(r[0]) + length - 1,
                open=Decimal(str(r[1])),
                high=Decimal(str(r[2])),
                low=Decimal(str(r[3])),
                close=Decimal(str(r[4])),
                volume=Decimal(str(r[5] or 0)),
                closed=int(r[0]) + length <= now,
            )
            for r in rows
        ]

    async def trades(self, symbol: str, limit: int) -> list[Trade]:
        rows = await self._read("fetch_trades", symbol, None, limit)
        out = []
        for r in rows:
            trade_id = r.get("id")
            out.append(
                Trade(
                    trade_id=int(trade_id) if str(trade_id or "").isdigit() else 0,
                    price=Decimal(str(r["price"])),
                    qty=Decimal(str(r["amount"])),
                    at_ms=int(r.get("timestamp") or 0),
                    buyer_is_maker=r.get("side") == "sell",  # ccxt's side: the taker's
                )
            )
        return out


def _levels(rows: Any, depth: int) -> list[Level]:
    return [(Decimal(str(row[0])), Decimal(str(row[1]))) for row in (rows or [])[:depth]]


__all__ = ["CcxtMarketRest"]
