"""One check every ccxt venue test runs: unmodified ccxt's fetch_order_book, fetch_trades and
fetch_ohlcv parse the dialect's public market REST into the engine's book, trades and candles."""

from __future__ import annotations

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
