"""The checks every ccxt venue test runs alike: unmodified ccxt's fetch_order_book, fetch_trades
and fetch_ohlcv parse the dialect's public market REST into the engine's book, trades and
candles; ccxt.pro's watch_order_book follows the engine's book and watch_trades sees a trade."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from tradeguard.sim.engine import Engine

QTY = 0.001


async def check_public_reads(exchange: Any, engine: Engine, symbol: str) -> None:
    """`symbol` is ccxt's ("BTC/USDT"); the engine's is the same without the slash."""
    await exchange.load_markets()
    engine_symbol = symbol.replace("/", "")
    book = await exchange.fetch_order_book(symbol, 5)
    _, bids, asks = engine.depth(engine_symbol, 5)
    assert [(p, q) for p, q, *_ in book["bids"]] == [(float(p), float(q)) for p, q in bids]
    assert [(p, q) for p, q, *_ in book["asks"]] == [(float(p), float(q)) for p, q in asks]
    assert len(book["bids"]) == 5 and book["bids"][0][0] < book["asks"][0][0]

    assert await exchange.fetch_trades(symbol) == []
    above = (engine.last_price(engine_symbol) * Decimal("1.01")).quantize(Decimal("0.01"))
    await exchange.create_order(symbol, "limit", "buy", QTY, float(above))
    trades = await exchange.fetch_trades(symbol)
    assert trades, "the taker's trade is not on the public tape"
    assert sum(t["amount"] for t in trades) == pytest.approx(QTY)
    assert {t["side"] for t in trades} == {"buy"} and all(t["symbol"] == symbol for t in trades)
    assert all(t["id"] for t in trades) and all(t["price"] <= float(above) for t in trades)

    candles = await exchange.fetch_ohlcv(symbol, "1m", limit=5)
    assert candles and [c[0] for c in candles] == sorted(c[0] for c in candles)
    assert sum(c[5] for c in candles) == pytest.approx(QTY)  # the one trade's volume
    assert all(c[3] <= c[1] <= c[2] and c[3] <= c[4] <= c[2] for c in candles)


# ── the public streams: what every venue's ccxt.pro test does the same way ─────────────────

TIMEOUT_S = 10
PRICE_STEP = Decimal("0.1")  # a multiple of every dialect's BTCUSDT tick


async def until(watch: Callable[[], Awaitable[Any]], done: Callable[[Any], bool]) -> Any:
    """Watch again until `done` says what was seen will do (at most TIMEOUT_S)."""

    async def loop() -> Any:
        while True:
            got = await watch()
            if done(got):
                return got

    return await asyncio.wait_for(loop(), TIMEOUT_S)


def engine_book(engine: Engine, symbol: str, depth: int) -> list[list[list[float]]]:
    """[bids, asks] of the engine's top `depth` levels, as ccxt lists them."""
    _, bids, asks = engine.depth(symbol.replace("/", ""), depth)
    return [[[float(p), float(q)] for p, q in side] for side in (bids, asks)]


def _priced(engine: Engine, symbol: str, factor: str) -> float:
    last = engine.last_price(symbol.replace("/", ""))
    return float((last * Decimal(factor)).quantize(PRICE_STEP))


async def check_watched_book(
    exchange: Any,
    engine: Engine,
    symbol: str,
    *,
    limit: int | None,
    levels: tuple[int, int],
    order_at: str,
) -> None:
    """watch_order_book(symbol, limit) shows the engine's top `levels[0]` levels at first, and
    its top `levels[1]` after a 0.5 buy at last × `order_at` changes the book."""
    args = (symbol,) if limit is None else (symbol, limit)
    first = await asyncio.wait_for(exchange.watch_order_book(*args), TIMEOUT_S)
    shown = levels[0]
    assert [first["bids"][:shown], first["asks"][:shown]] == engine_book(engine, symbol, shown)
    await exchange.create_order(symbol, "limit", "buy", 0.5, _priced(engine, symbol, order_at))
    then = levels[1]
    await until(
        lambda: exchange.watch_order_book(*args),
        lambda b: [b["bids"][:then], b["asks"][:then]] == engine_book(engine, symbol, then),
    )


async def check_watched_trade(exchange: Any, engine: Engine, symbol: str) -> None:
    """watch_trades(symbol), subscribed first, sees the taker buy the test places."""
    trades = asyncio.ensure_future(exchange.watch_trades(symbol))
    await asyncio.sleep(0.2)  # subscribed before the trade
    await exchange.create_order(symbol, "limit", "buy", QTY, _priced(engine, symbol, "1.01"))
    got = await asyncio.wait_for(trades, TIMEOUT_S)
    assert got and got[-1]["side"] == "buy" and got[-1]["amount"] > 0 and got[-1]["id"]
