"""OKX's public market REST on spot: the order book, candles and trades of the engine.

GET /api/v5/market/books            instId, sz 1-400 (default 1): data [{asks, bids, ts,
                                    seqId}], levels [px, sz, "0", orders] best first
GET /api/v5/market/books-full       the same, sz 1-5000 (ccxt asks it above 400 levels)
GET /api/v5/market/candles          instId, bar (default 1m), after (older than), before
GET /api/v5/market/history-candles  (newer than), limit 1-300 (default 100): data [[ts, o, h,
                                    l, c, vol, volCcy, volCcyQuote, confirm]], newest first;
                                    confirm "0" while the candle is still forming
GET /api/v5/market/trades           instId, limit 1-500 (default 100): data [{instId, side (the
                                    taker's), sz, px, tradeId, ts, source}], newest first

Bars: 1s 1m 3m 5m 15m 30m 1H 2H 4H, and from 6H up only the UTC-aligned ones (6Hutc 12Hutc
1Dutc 2Dutc 3Dutc 1Wutc, which ccxt sends): the engine aligns candles to UTC, so OKX's default
Hong Kong-aligned 6H and longer bars are refused rather than served misaligned, as is 1M.

Rate limits per IP, per 2 s [D okx.com/docs-v5, each endpoint's "Rate Limit"]: books 40,
books-full 10, candles 40, history-candles 20, trades 100, ticker 20.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from tradeguard.sim import venue_market
from tradeguard.sim.okx import wire
from tradeguard.sim.okx.errors import OkxReject, param_error
from tradeguard.sim.okx.pipeline import Call, Endpoint
from tradeguard.sim.venue_market import plain

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

PER_2S: Final = {
    "GET /api/v5/market/ticker": 20,
    "GET /api/v5/market/books": 40,
    "GET /api/v5/market/books-full": 10,
    "GET /api/v5/market/candles": 40,
    "GET /api/v5/market/history-candles": 20,
    "GET /api/v5/market/trades": 100,
}
SECOND_MS: Final = 1000
KEPT_BARS: Final = 1000  # the engine keeps no more (engine_klines.KEEP)
HOUR_MS: Final = 3_600_000
BARS_MS: Final = {
    "1s": SECOND_MS,
    **{f"{m}m": m * 60 * SECOND_MS for m in (1, 3, 5, 15, 30)},
    **{f"{h}H": h * HOUR_MS for h in (1, 2, 4)},
    **{f"{h}Hutc": h * HOUR_MS for h in (6, 12)},
    **{f"{d}Dutc": d * 24 * HOUR_MS for d in (1, 2, 3)},
    "1Wutc": 7 * 24 * HOUR_MS,
}


def _number(call: Call, name: str, default: int, most: int) -> int:
    text = call.text(name)
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= most:
        raise param_error(name)
    return int(text)


def _time(call: Call, name: str) -> int | None:
    text = call.text(name)
    if text is None:
        return None
    if not text.isdigit():
        raise param_error(name)
    return int(text)


def endpoints(sim: Sim) -> list[Endpoint]:
    def symbol_of(call: Call) -> str:
        inst = call.text("instId", required=True)
        for spec in sim.symbols().values():
            if wire.inst_id(spec) == inst:
                return spec.symbol
        raise OkxReject("51001")

    def books_of(most: int) -> Callable[[Call], object]:
        def books(call: Call) -> object:
            symbol = symbol_of(call)
            update_id, bids, asks = venue_market.book(sim, symbol, _number(call, "sz", 1, most))
            return [
                {
                    "asks": [[plain(p), plain(q), "0", "1"] for p, q in asks],
                    "bids": [[plain(p), plain(q), "0", "1"] for p, q in bids],
                    "ts": str(call.now_ms),
                    "seqId": update_id,
                }
            ]

        return books

    def candles(call: Call) -> object:
        symbol = symbol_of(call)
        bar = call.text("bar") or "1m"
        length = BARS_MS.get(bar)
        if length is None:
            raise OkxReject(
                "51000",
                f"Parameter bar error: the simulator serves {' '.join(BARS_MS)} "
                "(candles aligned to UTC)",
            )
        after, before = _time(call, "after"), _time(call, "before")
        limit = _number(call, "limit", 100, 300)
        start = None if before is None else before + 1
        end = None if after is None else after - 1
        bars = venue_market.bars(sim, symbol, length, start, end, KEPT_BARS)
        forming = call.now_ms - call.now_ms % length
        return [
            [str(b.open_ms), plain(b.open), plain(b.high), plain(b.low), plain(b.close),
             plain(b.volume), plain(b.volume), plain(b.quote_volume),
             "0" if b.open_ms >= forming else "1"]
            for b in reversed(bars[-limit:])
        ]  # fmt: skip

    def trades(call: Call) -> object:
        symbol = symbol_of(call)
        inst = call.text("instId")
        rows = venue_market.trades(sim, symbol, _number(call, "limit", 100, 500))
        return [
            {
                "instId": inst,
                "side": "buy" if t.taker_buys else "sell",
                "sz": plain(t.qty),
                "px": plain(t.price),
                "tradeId": str(t.trade_id),
                "ts": str(t.at_ms),
                "source": "0",
            }
            for t in reversed(rows)
        ]

    return [
        Endpoint("GET", "/api/v5/market/books", books_of(400), signed=False),
        Endpoint("GET", "/api/v5/market/books-full", books_of(5000), signed=False),
        Endpoint("GET", "/api/v5/market/candles", candles, signed=False),
        Endpoint("GET", "/api/v5/market/history-candles", candles, signed=False),
        Endpoint("GET", "/api/v5/market/trades", trades, signed=False),
    ]
