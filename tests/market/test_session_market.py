"""Market data on the session, against the embedded simulator: the local book kept from the
depth stream stands where the exchange's book does, reads come from the streams and are counted
as saved, and REST reads go through the transport's ledger."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import aiohttp

from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote

from .conftest import SYMBOL, book_matches_exchange, soon


async def test_book_reads_come_from_the_stream_and_cost_no_request(tg: Session) -> None:
    book = await tg.book("BTC/USDT", depth=5)
    assert book.best_bid is not None and book.best_ask is not None
    assert book.best_bid < book.best_ask and len(book.bids) <= 5
    made = tg.market_stats().requests
    for _ in range(20):
        assert (await tg.book(SYMBOL, 5)).best_bid is not None
    stats = tg.market_stats()
    assert stats.requests == made == 1  # the snapshot, then twenty reads without a request
    assert stats.from_stream == 20 and stats.weight_saved == 20 * 5  # depth limit 5: weight 5


async def test_the_local_book_follows_the_exchange_through_a_price_move(
    tg: Session, remote: SimRemote, http: aiohttp.ClientSession
) -> None:
    before = await book_matches_exchange(tg, http)
    assert before.best_bid is not None
    await remote.set_price(SYMBOL, before.best_bid * Decimal("1.01"))
    for _ in range(100):
        after = await book_matches_exchange(tg, http)
        assert after.best_bid is not None
        if after.best_bid > before.best_bid:
            assert tg.market_stats().requests == 1  # the move came over the stream
            return
    raise AssertionError("the price move never reached the local book")


async def test_market_rest_reads_are_weighed_by_the_transports_ledger(tg: Session) -> None:
    spent = tg.transport.ledger.peaks()
    trades = await tg.trades(SYMBOL, limit=5)
    candles = await tg.candles(SYMBOL, "1m", limit=3, closed_only=False)
    assert len(trades) <= 5 and candles and candles[-1].open_ms >= candles[0].open_ms
    stats = tg.market_stats()
    assert stats.requests == 2 and stats.weight == 25 + 2  # trades 25, klines 2
    assert tg.transport.ledger.peaks() != spent


async def test_the_ticker_comes_from_rest_once_then_from_the_stream(tg: Session) -> None:
    first = await tg.ticker("BTC/USDT")
    assert first.symbol == SYMBOL and first.last > 0
    assert first.bid is not None and first.ask is not None and first.bid <= first.ask
    assert tg.market_stats().requests == 1
    async for streamed in tg.watch_ticker(SYMBOL):  # the stream's first frame
        assert streamed.symbol == SYMBOL
        break
    for _ in range(10):
        await tg.ticker(SYMBOL)
    stats = tg.market_stats()
    assert stats.requests == 1 and stats.from_stream == 10


async def test_watch_book_yields_the_book_as_diffs_come(tg: Session, remote: SimRemote) -> None:
    start = await tg.book(SYMBOL, 5)
    assert start.best_bid is not None
    await remote.set_price(SYMBOL, start.best_bid * Decimal("0.99"))
    seen = 0
    async for book in tg.watch_book(SYMBOL, depth=5):
        assert len(book.bids) <= 5 and book.update_id > start.update_id
        seen += 1
        if book.best_bid is not None and book.best_bid < start.best_bid:
            break
    assert seen >= 1


async def test_watch_trades_sees_a_trade_the_exchange_makes(tg: Session, remote: SimRemote) -> None:
    before = await tg.trades(SYMBOL, 10)
    watcher = tg.watch_trades(SYMBOL)
    order = await tg.limit_buy(
        "BTC/USDT", qty="0.001", price=str((await tg.book(SYMBOL, 1)).best_bid)
    )
    assert order.order_id is not None
    await remote.fill(SYMBOL, "0.001", order_id=order.order_id)
    trade = await anext(watcher)
    assert trade.qty == Decimal("0.001") and trade.trade_id not in {t.trade_id for t in before}
    assert trade.trade_id in {t.trade_id for t in await tg.trades(SYMBOL, 10)}


async def test_candles_merge_rest_history_with_the_kline_stream(tg: Session) -> None:
    first = await tg.candles(SYMBOL, "1s", limit=5, closed_only=False)
    assert first
    # the candle still forming comes when asked: the one the stream is updating is the last
    # (said closed only once its second has passed, which a loaded machine can reach)
    forming = None
    async for candle in tg.watch_candles(SYMBOL, "1s"):
        if not candle.closed:
            forming = candle
            break
    assert forming is not None
    history = await tg.candles(SYMBOL, "1s", limit=5, closed_only=False)
    assert forming.open_ms in [c.open_ms for c in history[-2:]]
    assert all(c.closed for c in await tg.candles(SYMBOL, "1s", limit=5))
    made = tg.market_stats().requests
    closed_one = None
    async for candle in tg.watch_candles(SYMBOL, "1s"):
        if candle.closed:
            closed_one = candle
            break
    assert closed_one is not None
    now = await tg.candles(SYMBOL, "1s", limit=5)
    assert closed_one in now  # the stream's closed candle, merged into the history
    assert tg.market_stats().requests == made  # without another request


async def test_an_orders_price_checks_read_the_streamed_ticker_not_rest(
    tg: Session, remote: SimRemote
) -> None:
    await tg.ticker(SYMBOL)
    streamed = await anext(tg.watch_ticker(SYMBOL))  # the ticker stream is up
    await remote.reset_requests()
    price = (streamed.last * Decimal("0.99")).quantize(Decimal("0.01"))
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=str(price))  # band-checked
    assert order.order_id is not None
    sent = (await remote.requests())["requests"]
    assert not any("/api/v3/ticker/price" in path for path in sent), sent


async def test_the_book_of_a_symbol_the_exchange_does_not_list_is_refused_at_once(
    tg: Session,
) -> None:
    import pytest

    from tradeguard.errors import ConfigError

    with pytest.raises(ConfigError) as refused:
        await asyncio.wait_for(tg.book("DOGE/EUR"), 5)  # well before sync_timeout_s
    assert "DOGEEUR" in str(refused.value) and "refused" in str(refused.value)
    assert tg.market_stats().requests == 0  # no snapshot asked for a stream refused


async def test_an_orders_price_checks_read_the_streamed_book_when_no_ticker_is_read(
    tg: Session, remote: SimRemote
) -> None:
    book = await anext(tg.watch_book(SYMBOL, 5))  # the bot reads the book, not the ticker
    assert book.best_bid is not None
    await remote.reset_requests()
    price = (book.best_bid * Decimal("0.99")).quantize(Decimal("0.01"))
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=str(price))  # band-checked
    assert order.order_id is not None
    sent = (await remote.requests())["requests"]
    assert not any("/api/v3/ticker/price" in path for path in sent), sent


class _SteppedClock:
    """The session's clock with a monotonic time the test moves on (the wall stays real, so
    the exchange's recvWindow holds)."""

    def __init__(self, real: Any) -> None:
        self.real, self.offset = real, 0.0

    def wall_ms(self) -> int:
        return int(self.real.wall_ms())

    def monotonic(self) -> float:
        return float(self.real.monotonic()) + self.offset


async def test_a_fresh_fill_stands_for_the_price_check_and_rest_is_read_once_it_is_old(
    tg: Session, remote: SimRemote
) -> None:
    clock = _SteppedClock(tg.clock)
    tg.clock = clock

    async def ticker_reads() -> int:
        sent: dict[str, int] = (await remote.requests())["requests"]
        return sent.get("GET /api/v3/ticker/price", 0)

    await remote.reset_requests()
    first = await tg.market_buy("BTC/USDT", qty="0.001")  # the check reads the price (REST)
    await tg.wait_for(first.client_order_id)
    assert await ticker_reads() == 1
    clock.offset += 1.5  # the price read is 1.5 s old: still good
    second = await tg.market_buy("BTC/USDT", qty="0.001")
    await tg.wait_for(second.client_order_id)  # its fill is the last price, seen just now
    assert await ticker_reads() == 1
    clock.offset += 1.0  # the read is 2.5 s old, the fill 1 s: the fill stands
    await tg.wait_for((await tg.market_buy("BTC/USDT", qty="0.001")).client_order_id)
    assert await ticker_reads() == 1
    clock.offset += 5.0  # every price seen is old: REST again
    await tg.market_buy("BTC/USDT", qty="0.001")
    assert await ticker_reads() == 2


async def test_a_streamed_ticker_stands_for_the_price_check_only_as_old_as_its_frame(
    tg: Session, remote: SimRemote
) -> None:
    """The price check's 2 s rule counts from the ticker frame's own time, not from when the
    check read it: a ticker 3 s old (the stream silent since) is read again over REST."""
    clock = _SteppedClock(tg.clock)
    tg.clock = clock  # before the first market read: the keeper takes the same clock

    async def ticker_reads() -> int:
        sent: dict[str, int] = (await remote.requests())["requests"]
        return sent.get("GET /api/v3/ticker/price", 0)

    await tg.ticker(SYMBOL)
    streamed = await anext(tg.watch_ticker(SYMBOL))  # a frame, stamped now
    await remote.add_fault({"kind": "stream_silence", "channel": "market"})
    await asyncio.sleep(0.05)  # a frame already under way lands before the silence is timed
    await remote.reset_requests()
    clock.offset += 1.0  # the ticker is 1 s old: it stands
    price = (streamed.last * Decimal("0.99")).quantize(Decimal("0.01"))
    await tg.limit_buy("BTC/USDT", qty="0.001", price=str(price))
    assert await ticker_reads() == 0
    clock.offset += 2.0  # 3 s old: older than the rule, though read by the check 2 s ago
    await tg.limit_buy("BTC/USDT", qty="0.001", price=str(price))
    assert await ticker_reads() == 1


async def test_while_the_market_stream_is_down_reads_are_not_answered_from_what_it_left(
    tg: Session, remote: SimRemote
) -> None:
    """A ticker, trades and candles kept from a stream that dropped stop where it dropped:
    while it is down (its reconnection held here by a rate-limit pause) they are read over
    REST, which the pause refuses, rather than served as if current."""
    import pytest

    from tradeguard.errors import RateLimited

    clock = _SteppedClock(tg.clock)
    tg.clock = clock  # before the first market read: the keeper takes the same clock
    await tg.ticker(SYMBOL)
    await anext(tg.watch_ticker(SYMBOL))
    await tg.trades(SYMBOL, 5)
    await tg.candles(SYMBOL, "1m", 5)
    stream = tg._keeper().stream
    assert stream is not None and stream.up.is_set()
    tg.transport.ledger.observe_pause(600.0, tg.transport.server_now_ms())
    await remote.add_fault({"kind": "stream_drop", "channel": "market", "count": 1})
    await soon(lambda: not stream.up.is_set(), "the drop")
    clock.offset += 10.0  # past every REST read's cache
    with pytest.raises(RateLimited, match="not sent"):
        await tg.ticker(SYMBOL)
    with pytest.raises(RateLimited, match="not sent"):
        await tg.trades(SYMBOL, 5)
    with pytest.raises(RateLimited, match="not sent"):
        await tg.candles(SYMBOL, "1m", 5)


async def test_while_the_market_stream_is_down_the_book_it_left_is_not_served(
    tg: Session, remote: SimRemote
) -> None:
    """A book kept from a stream that dropped stops where it dropped: while the stream is
    down (its reconnection held here by a rate-limit pause, as a ban would hold it for
    minutes) the book is read over REST, which the pause refuses, rather than served as if
    current while the market moves on."""
    import pytest

    from tradeguard.errors import RateLimited

    before = await tg.book(SYMBOL, 1)
    assert before.bids
    stream = tg._keeper().stream
    assert stream is not None and stream.up.is_set()
    tg.transport.ledger.observe_pause(600.0, tg.transport.server_now_ms())
    await remote.add_fault({"kind": "stream_drop", "channel": "market", "count": 1})
    await soon(lambda: not stream.up.is_set(), "the drop")
    await remote.set_price(SYMBOL, before.bids[0][0] * Decimal("1.01"))  # the market moves on
    with pytest.raises(RateLimited, match="not sent"):
        await tg.book(SYMBOL, 1)


async def test_a_streamed_book_stands_for_the_price_check_only_as_old_as_its_last_change(
    tg: Session, remote: SimRemote
) -> None:
    """The book's middle is as old as the book's last change, not as the check's read: a book
    in sync whose depth stream went silent 3 s ago (not yet given up as stale) is not taken as
    a fresh price, and the ticker is read over REST."""
    clock = _SteppedClock(tg.clock)
    tg.clock = clock  # before the first market read: the keeper takes the same clock

    async def ticker_reads() -> int:
        sent: dict[str, int] = (await remote.requests())["requests"]
        return sent.get("GET /api/v3/ticker/price", 0)

    book = await anext(tg.watch_book(SYMBOL, 5))  # the bot reads the book, not the ticker
    assert book.best_bid is not None
    await remote.add_fault({"kind": "stream_silence", "channel": "market"})
    await asyncio.sleep(0.05)  # a diff already under way lands before the silence is timed
    await remote.reset_requests()
    clock.offset += 1.0  # the book last changed 1 s ago: it stands
    price = (book.best_bid * Decimal("0.99")).quantize(Decimal("0.01"))
    await tg.limit_buy("BTC/USDT", qty="0.001", price=str(price))
    assert await ticker_reads() == 0
    clock.offset += 2.0  # 3 s: older than the rule, though the check read it 2 s ago
    await tg.limit_buy("BTC/USDT", qty="0.001", price=str(price))
    assert await ticker_reads() == 1


async def test_a_rest_read_of_a_symbol_the_exchange_does_not_list_names_it_with_a_hint(
    tg: Session,
) -> None:
    """The exchange's bare -1121 "Invalid symbol." gets which symbol and what to do (the class
    stays ExchangeError: a bot that catches it still does)."""
    import pytest

    from tradeguard.errors import ExchangeError

    for read in (tg.ticker("DOGE/EUR"), tg.candles("DOGE/EUR", "1m"), tg.trades("DOGE/EUR")):
        with pytest.raises(ExchangeError) as refused:
            await read
        assert refused.value.code == -1121
        assert "DOGEEUR" in str(refused.value) and refused.value.hint, refused.value
