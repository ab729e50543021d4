"""The session's market data: books, tickers, candles and trades kept from the market streams,
REST only to start or to resync, every REST read cached for as long as it stays true enough.

    book(symbol, depth)     the local book (book.py) kept from `<s>@depth@100ms`: subscribed on
                            first use, the REST snapshot taken once the subscription is
                            confirmed, diffs buffered meanwhile; rebuilt after a gap or a new
                            connection. A read never waits for REST once the book is in sync;
                            REST (cached) while the stream is down
    ticker(symbol)          `<s>@ticker`'s last frame; the REST 24hr ticker (cached) until the
                            first one comes, and whenever the stream is down
    candles(symbol, ...)    REST history once, then `<s>@kline_<i>` merged into it (closed
                            candles only, unless asked); history read again after a reconnect,
                            and REST alone (cached) while the stream is down
    trades(symbol)          REST recent trades once, then `<s>@trade` appended, by trade id;
                            REST alone (cached) while the stream is down
    watch_*                 every update as it is applied (a slow reader loses the oldest)

On Bybit, OKX and Kraken the stream is the venue's own (venue_stream.py, codec_<venue>.py):
the same reads and watches, a book kept by its venue's rule (sync.py, books_venue.py) from the
snapshot its stream sends. OKX's candles come on a second connection of their own (the
stream's `candles`, to OKX's /ws/v5/business), journaled as stream "market:candles"; its
reconnection re-reads the candle history and leaves the books alone. What a venue does not
stream is read over REST, cached with `cache.TTL_S`, and its watch_* call is refused with the
reason; so is every watch_* where no stream is kept.

The stream's state goes into the journal as `StreamConnected` / `StreamGapLost` (stream
"market": a drop or a stale stream, with why) and a book's as `StreamGapLost` /
`StreamGapFilled` (stream "book:<SYMBOL>": a gap in its update ids, then the rebuilt book), so
the alerts see a market stream or a book that stays down.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from tradeguard.errors import ConfigError, GuardError
from tradeguard.events import EventBase
from tradeguard.market import frames
from tradeguard.market import series as kept
from tradeguard.market.books import StreamedBooks, raise_if_refused
from tradeguard.market.books_venue import SelfSyncedBooks
from tradeguard.market.cache import TTL_S, MarketStats, TtlCache
from tradeguard.market.rest import MarketRest, checked_depth, whole
from tradeguard.market.stream import MarketStream
from tradeguard.market.stream_base import Handler, MarketStreamConfig
from tradeguard.market.stream_journal import StreamJournal
from tradeguard.market.values import Candle, OrderBook, Ticker, Trade
from tradeguard.market.venue_stream import VenueStream
from tradeguard.market.watchers import Watchers

T = TypeVar("T")

CANDLES_STREAM = "market:candles"  # the journal's name for a separate candle connection


@dataclass(frozen=True, slots=True)
class MarketConfig:
    """How the session keeps market data (`connect(..., market=MarketConfig(...))`)."""

    stream: MarketStreamConfig = field(default_factory=MarketStreamConfig)
    snapshot_levels: int = 1000  # a book's REST snapshot (weight 50 on Binance)
    sync_timeout_s: float = 30.0  # a book not in sync after this: the read fails
    resync_backoff_s: float = 1.0  # between two failed snapshots (a ban waits its own length)
    depth_speed: str = "100ms"  # <s>@depth@100ms


class MarketKeeper:
    def __init__(
        self,
        rest: MarketRest,
        *,
        stream: MarketStream | VenueStream | None,
        stats: MarketStats,
        config: MarketConfig,
        monotonic: Callable[[], float],
        server_now_ms: Callable[[], int],
        record: Callable[[EventBase], None] | None = None,
        profile: str = "",
        wall_ms: Callable[[], int] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rest = rest
        self.stream = stream
        self.stats = stats
        self.cache = TtlCache(stats)
        self.config = config
        self._monotonic = monotonic
        self._server_now_ms = server_now_ms
        self._record = record
        self._profile = profile
        self._wall_ms = wall_ms or server_now_ms
        self._sleep = sleep
        self.books: StreamedBooks | None = None
        self._tickers: dict[str, Ticker] = {}
        self._ticker_at: dict[str, float] = {}  # monotonic time of each ticker's last frame
        self._candles: dict[tuple[str, str], kept.Series] = {}
        self._trades: dict[str, kept.Series] = {}
        self.watchers = Watchers()
        self._watched_names: dict[str, tuple[str, Hashable]] = {}  # name -> (call, topic)
        self.journal = StreamJournal(self._emit, self._wall_ms)
        # where kline topics are subscribed: OKX's candles have a connection of their own
        separate = stream.candles if isinstance(stream, VenueStream) else None
        self.kline_stream = separate or stream
        if separate is not None:
            separate.on_up = self._on_candles_up
            separate.on_down = lambda reason: self.journal.lost(CANDLES_STREAM, reason)
            separate.on_refused = self._on_refused
        if stream is not None:
            stream.on_up = self._on_up
            stream.on_down = self._on_down
            stream.on_refused = self._on_refused
            kind = SelfSyncedBooks if isinstance(stream, VenueStream) else StreamedBooks
            self.books = kind(
                rest, stream, stats=stats, config=config, emit=self._emit, tell=self.watchers.tell,
                watched=self.watchers.watched, wall_ms=self._wall_ms, server_now_ms=server_now_ms,
                monotonic=monotonic, sleep=sleep,
            )  # fmt: skip

    # ── reads ─────────────────────────────────────────────────────────────────────────────
    async def ticker(self, symbol: str) -> Ticker:
        name = self._name("ticker", symbol)
        if name is not None:
            self._start_ticker(name, symbol)
            held = None if self.journal.down("market") else self._tickers.get(symbol)
            if held is not None and held.bid is None and held.ask is None:
                held = self._with_book_top(symbol, held)
            if held is not None:
                self._from_stream(self.rest.ticker_weight)
                return held
        return await self._cached(
            ("ticker", symbol), TTL_S["ticker"], self.rest.ticker_weight,
            lambda: self.rest.ticker(symbol),
        )  # fmt: skip

    def _with_book_top(self, symbol: str, ticker: Ticker) -> Ticker | None:
        """A streamed ticker without the best bid and ask (Bybit's spot tickers topic) takes
        them from the book kept from the stream; None (read REST) if no book is in sync."""
        state = None if self.books is None else self.books.kept.get(symbol)
        if state is None or not state.book.synced:
            return None
        bids, asks = state.book.bids(1), state.book.asks(1)
        if not bids or not asks:
            return None
        return msgspec.structs.replace(
            ticker, bid=bids[0][0], bid_qty=bids[0][1], ask=asks[0][0], ask_qty=asks[0][1]
        )

    def streamed_last(self, symbol: str, max_age_s: float) -> tuple[Decimal, float] | None:
        """The ticker stream's last price and the monotonic time its frame came, while the
        stream is up and that frame is younger than `max_age_s` (Binance sends one a second);
        None otherwise."""
        at = self._ticker_at.get(symbol)
        up = self.stream is not None and self.stream.up.is_set()
        if at is None or not up or self._monotonic() - at >= max_age_s:
            return None
        self._from_stream(self.rest.ticker_weight)
        return self._tickers[symbol].last, at

    async def book(self, symbol: str, depth: int = 20) -> OrderBook:
        checked_depth(self.rest, depth)
        if (
            self.books is None
            or not self._streaming()
            or depth > self._stream_depth()
            or self.journal.down("market")
        ):
            # no stream, deeper than the stream's book holds, or its connection is down (the
            # book it left stopped where it dropped, however long the reconnection is held):
            # REST, cached
            return await self._cached(
                ("book", symbol, depth), TTL_S["book"], self.rest.book_weight(depth),
                lambda: self.rest.book(symbol, depth),
            )  # fmt: skip
        state = self.books.get(symbol)
        if state.book.synced:
            self._from_stream(self.rest.book_weight(depth))
        else:
            await self.books.until_synced(state)  # raises what refused the book, if anything
        return state.view(depth)

    async def candles(
        self, symbol: str, interval: str, limit: int = 100, *, closed_only: bool = True
    ) -> list[Candle]:
        kept.known_interval(interval)
        if not whole(limit) or not 0 < limit < kept.HISTORY:
            raise ConfigError(
                f"limit must be in 1..{kept.HISTORY - 1}, got {limit!r}",
                hint=f"ask for 1 to {kept.HISTORY - 1} candles",
            )
        wanted = limit + 1  # the candle still forming, beside `limit` closed ones
        name = self._name("kline", symbol, interval)
        if name is not None:
            series = self._candle_series(symbol, interval)
            self._subscribe(name, kept.kline_handler(series, self.watchers.tell), self.kline_stream)
        if name is None or self.journal.down(self._kline_journal):
            # no stream, or its connection is down: what was kept misses what closed since
            rows = await self._cached(
                ("candles", symbol, interval, wanted), TTL_S["candles"], self.rest.candles_weight,
                lambda: self.rest.candles(symbol, interval, wanted),
            )  # fmt: skip
            return kept.last_candles(rows, limit, closed_only)
        if series.filled < wanted:
            kept.merge_candles(series, await self.rest.candles(symbol, interval, wanted))
            series.filled = wanted
        else:
            self._from_stream(self.rest.candles_weight)
        return kept.last_candles(kept.candles_at(series, self._server_now_ms()), limit, closed_only)

    async def trades(self, symbol: str, limit: int = 100) -> list[Trade]:
        if not whole(limit) or not 0 < limit <= kept.HISTORY:
            raise ConfigError(
                f"limit must be in 1..{kept.HISTORY}, got {limit!r}",
                hint=f"ask for 1 to {kept.HISTORY} trades",
            )
        name = self._name("trade", symbol)
        if name is not None:
            series = self._trade_series(symbol)
            self._subscribe(name, kept.trade_handler(series, self.watchers.tell))
        if name is None or self.journal.down("market"):
            # no stream, or its connection is down: what was kept misses the trades since
            return await self._cached(
                ("trades", symbol, limit), TTL_S["trades"], self.rest.trades_weight,
                lambda: self.rest.trades(symbol, limit),
            )  # fmt: skip
        if series.filled < limit:
            kept.merge_trades(series, await self.rest.trades(symbol, limit))
            series.filled = limit
        else:
            self._from_stream(self.rest.trades_weight)
        return [series.rows[k] for k in sorted(series.rows)[-limit:]]

    # ── watching ──────────────────────────────────────────────────────────────────────────
    async def watch_ticker(self, symbol: str) -> AsyncIterator[Ticker]:
        name = self._served("watch_ticker", "ticker", symbol)
        topic = self._watching(name, "watch_ticker", ("ticker", symbol))
        async for item in self.watchers.watch(topic, lambda: self._start_ticker(name, symbol)):
            yield item

    async def watch_trades(self, symbol: str) -> AsyncIterator[Trade]:
        name = self._served("watch_trades", "trade", symbol)
        series = self._trade_series(symbol)
        start = lambda: self._subscribe(name, kept.trade_handler(series, self.watchers.tell))  # noqa: E731
        topic = self._watching(name, "watch_trades", ("trade", symbol))
        async for item in self.watchers.watch(topic, start):
            yield item

    async def watch_candles(self, symbol: str, interval: str) -> AsyncIterator[Candle]:
        """Every kline frame: the forming candle as it changes, then closed (`closed`)."""
        kept.known_interval(interval)
        name = self._served("watch_candles", "kline", symbol, interval)
        series = self._candle_series(symbol, interval)
        handler = kept.kline_handler(series, self.watchers.tell)
        start = lambda: self._subscribe(name, handler, self.kline_stream)  # noqa: E731
        topic = self._watching(name, "watch_candles", ("kline", symbol, interval))
        async for item in self.watchers.watch(topic, start):
            yield item

    async def watch_book(self, symbol: str, depth: int = 20) -> AsyncIterator[OrderBook]:
        """The book after every diff applied (a slow reader gets the latest, not every one)."""
        self._require_streams("watch_book")
        checked_depth(self.rest, depth)
        assert self.books is not None
        state = self.books.get(symbol)
        raise_if_refused(state)  # refused before: nothing will come
        async for _ in self.watchers.watch(("book", symbol), lambda: None, latest_only=True):
            raise_if_refused(state)  # refused now (its snapshot, or its stream)
            if state.book.synced:
                yield state.view(depth)

    def _watching(self, name: str, call: str, topic: Hashable) -> Hashable:
        """The watchers' topic of a watch of stream `name`, remembered so that the venue's
        refusal of `name` ends the watch with why instead of leaving it waiting forever."""
        self._watched_names[name] = (call, topic)
        return topic

    def _on_refused(self, name: str, why: str) -> None:
        watched = self._watched_names.get(name)
        if watched is None:
            return
        call, topic = watched
        self.watchers.fail(
            topic,
            ConfigError(
                f"{call}: the exchange refused the stream {name}: {why}",
                hint="check the symbol is one the exchange lists",
            ),
        )

    def _candle_series(self, symbol: str, interval: str) -> kept.Series:
        key = (symbol, interval)
        if key not in self._candles:
            self._candles[key] = kept.Series(("kline", symbol, interval))
        return self._candles[key]

    def _trade_series(self, symbol: str) -> kept.Series:
        if symbol not in self._trades:
            self._trades[symbol] = kept.Series(("trade", symbol))
        return self._trades[symbol]

    # ── stream handlers ───────────────────────────────────────────────────────────────────
    def _start_ticker(self, name: str, symbol: str) -> None:
        self._subscribe(name, self._ticker_handler(symbol))

    def _ticker_handler(self, symbol: str) -> Handler:
        topic = ("ticker", symbol)

        def on_ticker(event: Any) -> None:
            if isinstance(event, frames.TickerEvent | Ticker):
                ticker = frames.ticker_of(event) if isinstance(event, frames.TickerEvent) else event
                if not ticker.at_ms:  # a venue's ticker without a time (Kraken's): as it came
                    ticker = msgspec.structs.replace(ticker, at_ms=self._server_now_ms())
                self._tickers[symbol] = ticker
                self._ticker_at[symbol] = self._monotonic()
                self.watchers.tell(topic, ticker)

        return on_ticker

    # ── the connection's life ─────────────────────────────────────────────────────────────
    def _on_up(self) -> None:
        """A new connection: every book starts over (the old stream's diffs say nothing of the
        new one), and candles and trades are read over REST again (what closed meanwhile)."""
        since = self.journal.connected("market")
        if since is None:
            return  # the first connection: nothing was kept from before it
        # the market stream has nothing to back-fill: what it missed, books rebuild from a
        # snapshot (each journaled as "book:<SYMBOL>") and candles and trades re-read over REST
        if self.books is not None:
            self.books.reconnected(since)
        candles = self._candles.values() if self.kline_stream is self.stream else ()
        for series in (*candles, *self._trades.values()):
            series.filled = 0

    def _on_candles_up(self) -> None:
        """A new candle connection (OKX's /business): the candle history is read again."""
        if self.journal.connected(CANDLES_STREAM) is not None:
            for series in self._candles.values():
                series.filled = 0

    def _on_down(self, reason: str) -> None:
        self.journal.lost("market", reason)
        if self.books is not None:
            self.books.down()

    # ── plumbing ──────────────────────────────────────────────────────────────────────────
    def _streaming(self) -> bool:
        return self.stream is not None and not self.stream.closed

    def _name(self, kind: str, symbol: str, interval: str = "") -> str | None:
        """The stream's name for what is read, None if no stream carries it here."""
        if not self._streaming():
            return None
        stream = self.kline_stream if kind == "kline" else self.stream
        assert stream is not None
        return stream.topic(kind, symbol, interval)

    @property
    def _kline_journal(self) -> str:
        """The journal's name for the connection klines come on."""
        return "market" if self.kline_stream is self.stream else CANDLES_STREAM

    def _stream_depth(self) -> int:
        return 0 if self.stream is None else self.stream.book_depth

    def _subscribe(
        self, name: str, handler: Handler, stream: MarketStream | VenueStream | None = None
    ) -> None:
        stream = stream or self.stream
        assert stream is not None
        if name not in stream.names:
            stream.subscribe(name, handler)

    def _require_streams(self, call: str) -> None:
        if self.stream is None:
            raise GuardError(
                f"{call} needs a market stream, which tradeguard does not keep on "
                f"{self.rest.venue} yet (a later slice)",
                hint=f"poll tg.{call.removeprefix('watch_')}(...) instead: its REST reads are "
                "cached and go through the venue's rate limiter",
            )
        if self.stream.closed:
            # nothing would ever come: the watch ends here rather than wait forever
            raise GuardError(
                f"{call}: the session is closed, and its market streams with it",
                hint="connect again (tradeguard.connect) to watch the market",
            )

    def _served(self, call: str, kind: str, symbol: str, interval: str = "") -> str:
        """The stream's name for what a watch_* call follows; refused, with why, where no
        stream is kept, it is closed, or the venue does not stream it."""
        self._require_streams(call)
        name = self._name(kind, symbol, interval)
        if name is None:
            stream = self.kline_stream if kind == "kline" else self.stream
            assert stream is not None
            raise GuardError(
                f"{call}: {stream.unserved(kind, interval)}",
                hint=f"poll tg.{call.removeprefix('watch_')}(...) instead: its REST reads are "
                "cached and go through the venue's rate limiter",
            )
        return name

    def _from_stream(self, weight: int) -> None:
        self.stats.from_stream += 1
        self.stats.weight_saved += weight

    async def _cached(
        self, key: Hashable, ttl_s: float, weight: int, fetch: Callable[[], Awaitable[T]]
    ) -> T:
        now = self._monotonic()
        held = self.cache.get(key, now, weight)
        if held is not None:
            return held  # type: ignore[no-any-return]
        value = await fetch()
        self.cache.put(key, value, ttl_s, self._monotonic())
        return value

    def _emit(self, kind: type[EventBase], **fields: Any) -> None:
        if self._record is not None:
            self._record(kind(at_ms=self._wall_ms(), profile=self._profile, **fields))

    async def close(self) -> None:
        if self.books is not None:
            self.books.close()
        self.watchers.close()
        if self.stream is not None:
            await self.stream.close()
        if self.kline_stream is not self.stream and self.kline_stream is not None:
            await self.kline_stream.close()


__all__ = ["MarketConfig", "MarketKeeper", "MarketRest"]
