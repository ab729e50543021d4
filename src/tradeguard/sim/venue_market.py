"""The engine's public market data as plain values, for the Bybit, OKX and Kraken dialects to
render each in its own shape: the merged order book, klines and the recent public trades.

The Binance dialect reads the same sources (`engine.depth`, `engine.klines`, `sim.tape`), so
every dialect of one simulator shows the same book, candles and trades.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from tradeguard.sim.rest_market import TAPE_LENGTH

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

Level = tuple[Decimal, Decimal]


def plain(value: Decimal) -> str:
    """A number as exchanges print it: no exponent, no trailing zeros ("40000.1", "0.001")."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True, slots=True)
class Bar:
    open_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    trades: int


@dataclass(frozen=True, slots=True)
class PublicTrade:
    trade_id: int
    price: Decimal
    qty: Decimal
    at_ms: int
    taker_buys: bool


def book(sim: Sim, symbol: str, limit: int) -> tuple[int, list[Level], list[Level]]:
    """(update id, bids best first, asks best first), `limit` levels a side."""
    return sim.engine.depth(symbol, limit)


def bars(
    sim: Sim, symbol: str, interval_ms: int, start: int | None, end: int | None, limit: int
) -> list[Bar]:
    """Klines of `interval_ms` overlapping [start, end], oldest first: the first `limit` from
    `start` when it is given, else the last `limit`."""
    rows = sim.engine.klines(symbol, interval_ms, start, end, limit)
    return [
        Bar(
            open_ms=int(str(r[0])),
            open=Decimal(str(r[1])),
            high=Decimal(str(r[2])),
            low=Decimal(str(r[3])),
            close=Decimal(str(r[4])),
            volume=Decimal(str(r[5])),
            quote_volume=Decimal(str(r[7])),
            trades=int(str(r[8])),
        )
        for r in rows
    ]


def trades(sim: Sim, symbol: str, limit: int = TAPE_LENGTH) -> list[PublicTrade]:
    """The last `limit` public trades of `symbol`, oldest first."""
    return [
        PublicTrade(
            trade_id=int(t["id"]),
            price=Decimal(t["price"]),
            qty=Decimal(t["qty"]),
            at_ms=int(t["time"]),
            taker_buys=not t["isBuyerMaker"],
        )
        for t in sim.tape.recent(symbol, limit)
    ]
