"""What the session's market-data calls return: a ticker, an order book, a candle, a trade.
Money is Decimal, exactly as the exchange wrote it; times are the exchange's, in ms, or where a
reply carries none, the time it came (pure)."""

from __future__ import annotations

from decimal import Decimal

import msgspec

Level = tuple[Decimal, Decimal]  # price, quantity


class Ticker(msgspec.Struct, frozen=True, kw_only=True):
    """The symbol's last price, best bid and ask, and its rolling 24-hour statistics.
    `at_ms` is when they are from: the exchange's time where its reply carries one, else
    (Kraken's ticker, over REST and streamed; Bybit's over REST) the time the reply was
    received, on the session's estimate of the exchange's clock."""

    symbol: str
    last: Decimal
    bid: Decimal | None = None
    bid_qty: Decimal | None = None
    ask: Decimal | None = None
    ask_qty: Decimal | None = None
    open: Decimal | None = None  # 24 hours ago
    high: Decimal | None = None
    low: Decimal | None = None
    volume: Decimal | None = None  # base asset, 24 hours
    quote_volume: Decimal | None = None
    at_ms: int  # required: a ticker always says when it is from


class OrderBook(msgspec.Struct, frozen=True, kw_only=True):
    """The top of a symbol's book: bids best (highest) first, asks best (lowest) first.
    `update_id` is the exchange's id of the last change it holds (0 where the venue has none)."""

    symbol: str
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    update_id: int = 0
    at_ms: int = 0

    @property
    def best_bid(self) -> Decimal | None:
        return self.bids[0][0] if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return self.asks[0][0] if self.asks else None

    @property
    def mid(self) -> Decimal | None:
        if not self.bids or not self.asks:
            return None
        return (self.bids[0][0] + self.asks[0][0]) / 2


class Candle(msgspec.Struct, frozen=True, kw_only=True):
    """One kline: `closed` is False for the candle still forming."""

    open_ms: int
    close_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal = Decimal(0)
    trades: int = 0
    closed: bool = True


class Trade(msgspec.Struct, frozen=True, kw_only=True):
    """One public trade on the symbol (anyone's)."""

    trade_id: int
    price: Decimal
    qty: Decimal
    at_ms: int
    buyer_is_maker: bool = False


__all__ = ["Candle", "Level", "OrderBook", "Ticker", "Trade"]
