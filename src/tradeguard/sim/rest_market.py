"""Public market-data endpoints: ping, time, exchangeInfo, depth, tickers, klines, trades.

Shapes and weights as Binance Spot serves them (reference/exchange-wire.md §1). Numbers are
strings with Binance's 8 decimals; times are milliseconds of the simulator's clock.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tradeguard.sim import wire
from tradeguard.sim.records import MarketEvent, SymbolSpec
from tradeguard.sim.rest_params import Params, reject
from tradeguard.sim.rest_pipeline import Call, Endpoint

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

TAPE_LENGTH = 1000  # /api/v3/trades answers at most 1000 recent trades
AVG_PRICE_MINS = 5


fmt = wire.d8  # Binance prints prices and quantities with 8 decimals


# What the tape keeps of one trade event: its id, price, qty, time and buyer-is-maker flag.
_Kept = tuple[object, object, object, object, bool]


class TradeTape:
    """The recent public trades per symbol, kept from the engine's `<symbol>@trade` events.

    Every trade passes here, and few are ever read (GET /api/v3/trades, aggTrades, avgPrice):
    an event's fields are kept as they came, and made into Binance's row (two decimals parsed,
    three formatted) only when one is read.
    """

    def __init__(self) -> None:
        self._trades: dict[str, deque[_Kept]] = {}

    def record(self, event: MarketEvent) -> None:
        payload = event.payload
        if payload.get("e") != "trade":
            return
        kept = (
            payload["t"],
            payload["p"],
            payload["q"],
            payload["T"],
            bool(payload.get("m", False)),
        )
        symbol = str(payload["s"])
        tape = self._trades.get(symbol)
        if tape is None:
            tape = self._trades[symbol] = deque(maxlen=TAPE_LENGTH)
        tape.append(kept)

    def recent(self, symbol: str, limit: int) -> list[dict[str, Any]]:
        trades = self._trades.get(symbol)
        return [_row(kept) for kept in list(trades)[-limit:]] if trades else []

    def average_price(self, symbol: str, since_ms: int) -> Decimal | None:
        qty = quote = Decimal(0)
        for kept in reversed(self._trades.get(symbol, ())):
            trade = _row(kept)
            if trade["time"] < since_ms:
                break
            qty += Decimal(trade["qty"])
            quote += Decimal(trade["quoteQty"])
        return quote / qty if qty else None


def _row(kept: _Kept) -> dict[str, Any]:
    """A kept trade as GET /api/v3/trades shows it."""
    trade_id, raw_price, raw_qty, time, buyer_is_maker = kept
    price, qty = Decimal(str(raw_price)), Decimal(str(raw_qty))
    return {
        "id": trade_id,
        "price": fmt(price),
        "qty": fmt(qty),
        "quoteQty": fmt(price * qty),
        "time": time,
        "isBuyerMaker": buyer_is_maker,
        "isBestMatch": True,
    }


def _depth_weight(params: Params) -> int:
    limit = params.limit("limit", 100, 5000)
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


def _one_or_all(params: Params, one: int, many: int) -> int:
    return one if "symbol" in params else many


def endpoints(sim: Sim) -> list[Endpoint]:
    engine_symbols = sim.symbols

    def spec(name: str) -> SymbolSpec:
        found = engine_symbols().get(name)
        if found is None:
            raise reject(-1121)
        return found

    def selected(params: Params) -> list[SymbolSpec] | None:
        """The symbols named by `symbol` or `symbols`; None when neither was sent."""
        one = params.symbol(required=False)
        many = params.symbol_list()
        if one is not None and many is not None:
            raise reject(-1128)
        if one is not None:
            return [spec(one)]
        if many is not None:
            return [spec(name) for name in many]
        return None

    def ping(call: Call) -> object:
        return {}

    def server_time(call: Call) -> object:
        return {"serverTime": call.now_ms}

    def exchange_info(call: Call) -> object:
        specs = selected(call.params)
        if specs is None:
            specs = list(engine_symbols().values())
        permissions = call.params.text("permissions")
        if permissions is not None and "SPOT" not in permissions:
            specs = []  # every simulated symbol is a SPOT symbol
        status = call.params.text("symbolStatus")
        if status is not None:
            specs = [s for s in specs if s.status == status]
        return {
            "timezone": "UTC",
            "serverTime": call.now_ms,
            "rateLimits": sim.ledger.rate_limits_json(),
            "exchangeFilters": [],
            "symbols": [wire.symbol_json(s) for s in specs],
        }

    def depth(call: Call) -> object:
        symbol = spec(call.params.the_symbol()).symbol
        limit = call.params.limit("limit", 100, 5000)
        return wire.depth_json(*sim.engine.depth(symbol, limit))

    def ticker_price(call: Call) -> object:
        specs = selected(call.params)
        rows = [
            {"symbol": s.symbol, "price": fmt(sim.engine.last_price(s.symbol))}
            for s in (specs if specs is not None else engine_symbols().values())
        ]
        return rows[0] if "symbol" in call.params else rows

    def book_ticker(call: Call) -> object:
        specs = selected(call.params)
        rows = []
        for s in specs if specs is not None else engine_symbols().values():
            bid, bid_qty, ask, ask_qty = sim.engine.book_ticker(s.symbol)
            rows.append(
                {
                    "symbol": s.symbol,
                    "bidPrice": fmt(bid),
                    "bidQty": fmt(bid_qty),
                    "askPrice": fmt(ask),
                    "askQty": fmt(ask_qty),
                }
            )
        return rows[0] if "symbol" in call.params else rows

    def ticker_24hr(call: Call) -> object:
        specs = selected(call.params)
        rows = [
            day_ticker(sim, s.symbol, call.now_ms)
            for s in (specs if specs is not None else engine_symbols().values())
        ]
        return rows[0] if "symbol" in call.params else rows

    def klines(call: Call) -> object:
        p = call.params
        symbol = spec(p.the_symbol()).symbol
        interval = p.interval_ms()
        start, end = p.integer("startTime"), p.integer("endTime")
        return sim.engine.klines(symbol, interval, start, end, p.limit("limit", 500, 1000))

    def trades(call: Call) -> object:
        symbol = spec(call.params.the_symbol()).symbol
        return sim.tape.recent(symbol, call.params.limit("limit", 500, 1000))

    def agg_trades(call: Call) -> object:
        # Every simulated trade is its own aggregate (one taker, one price level at a time).
        symbol = spec(call.params.the_symbol()).symbol
        p = call.params
        from_id, start, end = p.integer("fromId"), p.integer("startTime"), p.integer("endTime")
        rows = sim.tape.recent(symbol, TAPE_LENGTH)
        if from_id is not None:
            rows = [t for t in rows if t["id"] >= from_id]
        if start is not None:
            rows = [t for t in rows if t["time"] >= start]
        if end is not None:
            rows = [t for t in rows if t["time"] <= end]
        limit = p.limit("limit", 500, 1000)
        rows = rows[:limit] if from_id is not None or start is not None else rows[-limit:]
        return [
            {
                "a": t["id"],
                "p": t["price"],
                "q": t["qty"],
                "f": t["id"],
                "l": t["id"],
                "T": t["time"],
                "m": t["isBuyerMaker"],
                "M": True,
            }
            for t in rows
        ]

    def avg_price(call: Call) -> object:
        symbol = spec(call.params.the_symbol()).symbol
        since = call.now_ms - AVG_PRICE_MINS * 60_000
        price = sim.tape.average_price(symbol, since) or sim.engine.last_price(symbol)
        return {"mins": AVG_PRICE_MINS, "price": fmt(price), "closeTime": call.now_ms}

    return [
        Endpoint("GET", "/api/v3/ping", ping),
        Endpoint("GET", "/api/v3/time", server_time),
        Endpoint("GET", "/api/v3/exchangeInfo", exchange_info, weight=20),
        Endpoint("GET", "/api/v3/depth", depth, weight=_depth_weight),
        Endpoint(
            "GET", "/api/v3/ticker/price", ticker_price, weight=lambda p: _one_or_all(p, 2, 4)
        ),
        Endpoint(
            "GET", "/api/v3/ticker/bookTicker", book_ticker, weight=lambda p: _one_or_all(p, 2, 4)
        ),
        Endpoint("GET", "/api/v3/ticker/24hr", ticker_24hr, weight=lambda p: _one_or_all(p, 2, 80)),
        Endpoint("GET", "/api/v3/klines", klines, weight=2),
        Endpoint("GET", "/api/v3/uiKlines", klines, weight=2),
        Endpoint("GET", "/api/v3/trades", trades, weight=25),
        Endpoint("GET", "/api/v3/aggTrades", agg_trades, weight=4),
        Endpoint("GET", "/api/v3/avgPrice", avg_price, weight=2),
    ]


def day_ticker(sim: Sim, symbol: str, now_ms: int) -> dict[str, Any]:
    """24h statistics from the engine's hourly klines and the current book."""
    day_ms = 86_400_000
    rows = sim.engine.klines(symbol, 3_600_000, now_ms - day_ms, now_ms, 24)
    last = sim.engine.last_price(symbol)
    bid, bid_qty, ask, ask_qty = sim.engine.book_ticker(symbol)
    open_ = Decimal(str(rows[0][1])) if rows else last
    high = max((Decimal(str(r[2])) for r in rows), default=last)
    low = min((Decimal(str(r[3])) for r in rows), default=last)
    volume = sum((Decimal(str(r[5])) for r in rows), Decimal(0))
    quote_volume = sum((Decimal(str(r[7])) for r in rows), Decimal(0))
    count = sum(int(str(r[8])) for r in rows)
    change = last - open_
    return {
        "symbol": symbol,
        "priceChange": fmt(change),
        "priceChangePercent": f"{(change / open_ * 100) if open_ else Decimal(0):.3f}",
        "weightedAvgPrice": fmt(quote_volume / volume if volume else last),
        "prevClosePrice": fmt(open_),
        "lastPrice": fmt(last),
        "lastQty": fmt(Decimal(0)),
        "bidPrice": fmt(bid),
        "bidQty": fmt(bid_qty),
        "askPrice": fmt(ask),
        "askQty": fmt(ask_qty),
        "openPrice": fmt(open_),
        "highPrice": fmt(high),
        "lowPrice": fmt(low),
        "volume": fmt(volume),
        "quoteVolume": fmt(quote_volume),
        "openTime": now_ms - day_ms,
        "closeTime": now_ms,
        "firstId": -1,
        "lastId": -1,
        "count": count,
    }
