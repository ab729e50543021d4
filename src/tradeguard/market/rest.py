"""What the market keeper asks of a venue's market REST reads (rest_binance.py on Binance,
rest_ccxt.py on the ccxt venues), and what each read weighs in the venue's rate ledger."""

from __future__ import annotations

from typing import Protocol

from tradeguard.errors import ConfigError
from tradeguard.market.book import WireLevel
from tradeguard.market.values import Candle, OrderBook, Ticker, Trade


class MarketRest(Protocol):
    """The REST half of a venue's market data (rest_binance, rest_ccxt)."""

    venue: str
    has_streams: bool
    ticker_weight: int
    candles_weight: int
    trades_weight: int
    max_book_depth: int  # the deepest book its REST serves

    def book_weight(self, depth: int) -> int: ...
    async def depth_snapshot(
        self, symbol: str, limit: int
    ) -> tuple[int, list[WireLevel], list[WireLevel]]: ...
    async def book(self, symbol: str, depth: int) -> OrderBook: ...
    async def ticker(self, symbol: str) -> Ticker: ...
    async def candles(self, symbol: str, interval: str, limit: int) -> list[Candle]: ...
    async def trades(self, symbol: str, limit: int) -> list[Trade]: ...


def whole(value: object) -> bool:
    """Whether `value` is a whole number as a count is given (an int, not a bool or "5")."""
    return isinstance(value, int) and not isinstance(value, bool)


def checked_depth(rest: MarketRest, depth: int) -> int:
    """`depth`, if the venue serves a book that deep; else refused before any request, naming
    the venue's own range (not its raw "params error")."""
    deepest = rest.max_book_depth
    if not whole(depth) or not 0 < depth <= deepest:
        raise ConfigError(
            f"depth must be in 1..{deepest} on {rest.venue}, got {depth!r}",
            hint=f"ask for 1 to {deepest} levels",
        )
    return depth


__all__ = ["MarketRest", "checked_depth", "whole"]
