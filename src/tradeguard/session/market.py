"""Market data on the session: `tg.ticker`, `tg.book`, `tg.candles`, `tg.trades`, their
`watch_*` iterators and `tg.market_stats()`. Mixed into `Session`; the work is done by
`market.keeper.MarketKeeper`, made on first use (a bot that reads no market data opens no
market stream).

On Binance the keeper keeps one market-stream connection (combined streams) and reads REST only
to start or resync, through the transport's own `call`: the same rate-limit ledger, the same
418 ban and 429 pause as orders. On the ccxt venues it reads REST through the venue's wire (the
same limiter and pauses as its orders), cached, only to start and when the stream does not
carry a read; it keeps each venue's own public stream (market.venue_stream).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tradeguard.errors import GuardError
from tradeguard.market.cache import MarketStats
from tradeguard.market.keeper import MarketConfig, MarketKeeper
from tradeguard.market.values import Candle, OrderBook, Ticker, Trade

if TYPE_CHECKING:
    from tradeguard.events import EventBase
    from tradeguard.model import Symbol
    from tradeguard.net.clock import Clock
    from tradeguard.venues.protocol import Venue

# Binance's public market streams for a REST host (stream_url for the simulator's)
_STREAM_HOSTS = {
    "api.binance.com": "wss://stream.binance.com:9443/stream",
    "testnet.binance.vision": "wss://stream.testnet.binance.vision/stream",
}


def market_stream_url(base_url: str, sim: Any = None) -> str:
    """The combined market-stream endpoint beside a Binance REST root."""
    if sim is not None and "stream_url" in sim.urls:
        root: str = sim.urls["stream_url"]
        return root.removesuffix("/ws") + "/stream"
    known = _STREAM_HOSTS.get(urlsplit(base_url).hostname or "")
    if known is not None:
        return known
    return base_url.rstrip("/").replace("http", "ws", 1) + "/stream"


def open_keeper(
    transport: Venue,
    *,
    config: MarketConfig | None,
    clock: Clock,
    record: Any,
    profile: str,
    sim: Any = None,
) -> MarketKeeper:
    """The venue's market data: Binance's streams and REST, or a ccxt venue's REST."""
    stats = MarketStats()
    config = config or MarketConfig()
    rest: Any
    stream: Any = None  # market.stream.MarketStream, or venue_stream.VenueStream
    if transport.name == "binance" and hasattr(transport, "call"):
        from tradeguard.market.rest_binance import BinanceMarketRest
        from tradeguard.market.stream import MarketStream

        rest = BinanceMarketRest(transport, stats)  # type: ignore[arg-type]
        stream = MarketStream(
            market_stream_url(transport.base_url, sim),
            stats=stats,
            config=config.stream,
            held=getattr(transport, "held", None),
            clock=clock,
        )
    else:
        from tradeguard.market.rest_ccxt import CcxtMarketRest
        from tradeguard.market.venue_stream import stream_for

        rest = CcxtMarketRest(transport, stats)
        if hasattr(transport, "exchange"):
            url = sim.urls.get("public_ws_url") if sim is not None else None
            stream = stream_for(transport, url=url, stats=stats, config=config.stream, clock=clock)
    return MarketKeeper(
        rest,
        stream=stream,
        stats=stats,
        config=config,
        monotonic=clock.monotonic,
        server_now_ms=transport.server_now_ms,
        record=record,
        profile=profile,
        wall_ms=clock.wall_ms,
    )


class MarketCalls:
    """Mixed into `Session`; what it uses of the session is declared here for the checker."""

    if TYPE_CHECKING:
        profile: str
        transport: Venue
        clock: Clock
        sim: Any
        on_close: list[Any]
        closing: bool
        market_config: MarketConfig | None
        _market: MarketKeeper | None

        def _record(self, event: EventBase, *, durable: bool = False) -> None: ...
        def _exchange_symbol(self, symbol: Symbol | str) -> str: ...

    def _keeper(self, call: str = "") -> MarketKeeper:
        if call and self.closing:
            # its REST reads would fail as a network fault ("could not connect"), and a keeper
            # made now would open a market stream nothing closes
            raise GuardError(
                f"tg.{call}: the session is closed (or closing), and its market data with it",
                hint="connect again (tradeguard.connect) to read the market",
            )
        if self._market is None:
            self._market = open_keeper(
                self.transport, config=self.market_config, clock=self.clock,
                record=self._record, profile=self.profile, sim=self.sim,
            )  # fmt: skip
            self.on_close.insert(0, self._market.close)
        return self._market

    async def ticker(self, symbol: Symbol | str) -> Ticker:
        """The last price, best bid and ask and the 24-hour statistics: from the ticker
        stream once it is up (REST, cached for a second, until then)."""
        return await self._keeper("ticker").ticker(self._exchange_symbol(symbol))

    async def book(self, symbol: Symbol | str, depth: int = 20) -> OrderBook:
        """The top `depth` levels of the local order book, kept from the depth stream (a REST
        snapshot only to start and after a gap or a reconnect)."""
        return await self._keeper("book").book(self._exchange_symbol(symbol), depth)

    async def candles(
        self, symbol: Symbol | str, interval: str, limit: int = 100, *, closed_only: bool = True
    ) -> list[Candle]:
        """The last `limit` candles, oldest first: REST history merged with the kline stream;
        the candle still forming only with `closed_only=False`."""
        return await self._keeper("candles").candles(
            self._exchange_symbol(symbol), interval, limit, closed_only=closed_only
        )

    async def trades(self, symbol: Symbol | str, limit: int = 100) -> list[Trade]:
        """The symbol's last `limit` public trades, oldest first."""
        return await self._keeper("trades").trades(self._exchange_symbol(symbol), limit)

    def watch_ticker(self, symbol: Symbol | str) -> AsyncIterator[Ticker]:
        return self._keeper("watch_ticker").watch_ticker(self._exchange_symbol(symbol))

    def watch_book(self, symbol: Symbol | str, depth: int = 20) -> AsyncIterator[OrderBook]:
        return self._keeper("watch_book").watch_book(self._exchange_symbol(symbol), depth)

    def watch_trades(self, symbol: Symbol | str) -> AsyncIterator[Trade]:
        return self._keeper("watch_trades").watch_trades(self._exchange_symbol(symbol))

    def watch_candles(self, symbol: Symbol | str, interval: str) -> AsyncIterator[Candle]:
        return self._keeper("watch_candles").watch_candles(self._exchange_symbol(symbol), interval)

    def _streamed_price(self, symbol: str, max_age_s: float) -> tuple[Decimal, float] | None:
        """A price from the market stream and the monotonic time it was true at: the ticker
        stream's last price, if the bot reads one and its frame is younger than `max_age_s`;
        else the middle of the book kept from the depth stream, if the bot reads one, it is in
        sync and its last change is younger than `max_age_s` (a stream gone silent, not yet
        given up as stale, leaves a book in sync that no longer says the market's now)."""
        market = self._market
        if market is None:
            return None
        last = market.streamed_last(symbol, max_age_s)
        if last is not None:
            return last
        stream, books = market.stream, market.books
        if stream is None or books is None or not stream.up.is_set():
            return None
        state = books.kept.get(symbol)
        if state is None or not state.book.synced:
            return None
        if self.clock.monotonic() - state.changed_at >= max_age_s:
            return None
        bids, asks = state.book.bids(1), state.book.asks(1)
        if not bids or not asks:
            return None
        return (bids[0][0] + asks[0][0]) / 2, state.changed_at

    def market_stats(self) -> MarketStats:
        """Market data requests made, and saved by the cache and the streams, so far."""
        return self._market.stats if self._market is not None else MarketStats()


__all__ = ["MarketCalls", "market_stream_url", "open_keeper"]
