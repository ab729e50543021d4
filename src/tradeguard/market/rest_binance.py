"""Binance's market-data REST reads, sent through the venue's one way out
(`BinanceTransport.call`): priced in request weight by the same ledger as orders, held during
the same 418 ban or 429 pause, retried as any read is. Counted in `MarketStats`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradeguard.errors import ExchangeError
from tradeguard.market import frames
from tradeguard.market.book import WireLevel
from tradeguard.market.cache import MarketStats
from tradeguard.market.values import Candle, OrderBook, Ticker, Trade
from tradeguard.venues.binance import endpoints

if TYPE_CHECKING:
    from tradeguard.venues.binance.client import BinanceTransport
    from tradeguard.venues.binance.endpoints import Request

INVALID_SYMBOL = -1121  # Binance's "Invalid symbol."
MAX_PAGE = 1000  # klines and trades answer at most this many rows


class BinanceMarketRest:
    """The REST half of Binance's market data."""

    has_streams = True  # the keeper keeps books, tickers, candles and trades from the streams
    max_book_depth = 5000  # GET /api/v3/depth's largest limit

    def __init__(self, transport: BinanceTransport, stats: MarketStats) -> None:
        self.transport = transport
        self.stats = stats
        self.venue = transport.name

    async def _call(self, request: Request, symbol: str) -> bytes:
        self.stats.requests += 1
        self.stats.weight += request.weight
        try:
            return await self.transport.call(request)
        except ExchangeError as exc:
            if exc.code != INVALID_SYMBOL or exc.hint is not None:
                raise
            # the exchange's bare "Invalid symbol.": say which, and what to do
            raise ExchangeError(
                exc.code, f"{exc.msg} ({symbol} is not a symbol {self.venue} lists)",
                exc.http_status, hint="check the symbol's spelling and that the exchange lists it",
            ) from None  # fmt: skip

    # what each read would cost, for the count of what the cache and streams saved
    @staticmethod
    def book_weight(depth: int) -> int:
        return endpoints.depth("X", depth).weight

    ticker_weight = endpoints.ticker_24hr("X").weight
    candles_weight = endpoints.klines("X", "1m").weight
    trades_weight = endpoints.recent_trades("X").weight

    async def depth_snapshot(
        self, symbol: str, limit: int
    ) -> tuple[int, list[WireLevel], list[WireLevel]]:
        return frames.rest_depth(await self._call(endpoints.depth(symbol, limit), symbol))

    async def book(self, symbol: str, depth: int) -> OrderBook:
        last, bids, asks = await self.depth_snapshot(symbol, _depth_limit(depth))
        return OrderBook(
            symbol=symbol, bids=frames.levels(bids[:depth]), asks=frames.levels(asks[:depth]),
            update_id=last, at_ms=self.transport.server_now_ms(),
        )  # fmt: skip

    async def ticker(self, symbol: str) -> Ticker:
        return frames.rest_ticker(await self._call(endpoints.ticker_24hr(symbol), symbol))

    async def candles(self, symbol: str, interval: str, limit: int) -> list[Candle]:
        body = await self._call(endpoints.klines(symbol, interval, min(limit, MAX_PAGE)), symbol)
        return frames.rest_klines(body, self.transport.server_now_ms())

    async def trades(self, symbol: str, limit: int) -> list[Trade]:
        return frames.rest_trades(
            await self._call(endpoints.recent_trades(symbol, min(limit, MAX_PAGE)), symbol)
        )


def _depth_limit(depth: int) -> int:
    """The smallest of Binance's depth limits that holds `depth` levels (each its own weight)."""
    for limit in (5, 10, 20, 50, 100, 500, 1000, 5000):
        if depth <= limit:
            return limit
    return 5000


__all__ = ["BinanceMarketRest"]
