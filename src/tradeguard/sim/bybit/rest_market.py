"""Bybit's public market REST on spot: the order book, klines and recent trades of the engine.

GET /v5/market/orderbook     category=spot, symbol, limit 1-200 (default 1): {s, b, a, ts, u,
                             seq, cts}, levels [price, size] best first; `u` is the engine's
                             book update id (the one the public stream numbers by)
GET /v5/market/kline         category=spot, symbol, interval 1 3 5 15 30 60 120 240 360 720 D W
                             (M, a calendar month, is refused), start, end, limit 1-1000
                             (default 200): list of [start, open, high, low, close, volume,
                             turnover], newest first
GET /v5/market/recent-trade  category=spot, symbol, limit 1-60 (default 60): list of {execId,
                             symbol, price, size, side (the taker's), time, isBlockTrade},
                             newest first

Public calls count only against the IP limit (600 per 5 s, pipeline.py), as on Bybit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from tradeguard.sim import venue_market
from tradeguard.sim.bybit.errors import params_error, unknown_symbol
from tradeguard.sim.bybit.pipeline import Call, Params, Route
from tradeguard.sim.venue_market import plain

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

MINUTE_MS: Final = 60_000
INTERVALS_MS: Final = {
    **{str(m): m * MINUTE_MS for m in (1, 3, 5, 15, 30, 60, 120, 240, 360, 720)},
    "D": 1440 * MINUTE_MS,
    "W": 7 * 1440 * MINUTE_MS,
}


def _limit(p: Params, default: int, most: int) -> int:
    value = p.integer("limit")
    if value is None:
        return default
    if not 1 <= value <= most:
        raise params_error(f"limit must be between 1 and {most}")
    return value


def routes(sim: Sim) -> list[Route]:
    def symbol_of(p: Params) -> str:
        if p.required("category") != "spot":
            raise params_error("category only support spot")
        name = p.required("symbol")
        if name not in sim.engine.symbols:
            raise unknown_symbol()
        return name

    def orderbook(call: Call) -> object:
        symbol = symbol_of(call.params)
        update_id, bids, asks = venue_market.book(sim, symbol, _limit(call.params, 1, 200))
        return {
            "s": symbol,
            "b": [[plain(p), plain(q)] for p, q in bids],
            "a": [[plain(p), plain(q)] for p, q in asks],
            "ts": call.now_ms,
            "u": update_id,
            "seq": update_id,
            "cts": call.now_ms,
        }

    def kline(call: Call) -> object:
        p = call.params
        symbol = symbol_of(p)
        interval = p.required("interval")
        if interval not in INTERVALS_MS:
            raise params_error(
                f"interval must be one of {', '.join(INTERVALS_MS)} "
                "(the simulator keeps no calendar months)"
            )
        bars = venue_market.bars(
            sim,
            symbol,
            INTERVALS_MS[interval],
            p.integer("start"),
            p.integer("end"),
            _limit(p, 200, 1000),
        )
        rows = [
            [str(b.open_ms), plain(b.open), plain(b.high), plain(b.low), plain(b.close),
             plain(b.volume), plain(b.quote_volume)]
            for b in reversed(bars)
        ]  # fmt: skip
        return {"category": "spot", "symbol": symbol, "list": rows}

    def recent_trade(call: Call) -> object:
        symbol = symbol_of(call.params)
        trades = venue_market.trades(sim, symbol, _limit(call.params, 60, 60))
        rows = [
            {
                "execId": str(t.trade_id),
                "symbol": symbol,
                "price": plain(t.price),
                "size": plain(t.qty),
                "side": "Buy" if t.taker_buys else "Sell",
                "time": str(t.at_ms),
                "isBlockTrade": False,
                "isRPITrade": False,
            }
            for t in reversed(trades)
        ]
        return {"category": "spot", "list": rows}

    return [
        Route("GET", "/v5/market/orderbook", orderbook, signed=False),
        Route("GET", "/v5/market/kline", kline, signed=False),
        Route("GET", "/v5/market/recent-trade", recent_trade, signed=False),
    ]
