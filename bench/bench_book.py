"""Depth diffs applied to a local order book per second, from the frame bytes, beside ccxt.pro.

- book_updates_per_s: combined-stream frames (`{"stream": "btcusdt@depth@100ms", "data":
  depthUpdate}`) through the session's live path: the market stream's one-pass decode of the
  frame into a typed diff (`frames.decode_envelope`: msgspec, prices and quantities kept as the
  exchange's strings) and dispatch by stream name (the handler table), then the keeper's depth
  handler (`LocalBook.on_diff`: Binance's sequence checks, the dict stores, the sorted prices
  moved only when a level appears or disappears). Counted per frame.
  Baseline: ccxt.pro binance's own `watch_order_book` handler (`handle_message` ->
  `handle_order_book`: the same sequence checks, its OrderBookSide deltas), fed the same frames
  after `json.loads`, as its WebSocket client does, with a fake client whose URL is the combined
  endpoint; no network, the snapshot loaded by hand.
The workload: a book of LEVELS levels a side around 60,000, and FRAMES diffs of CHANGES levels
each (most change a quantity, some remove a level, some add one), their update ids chained as the
exchange sends them. Both books are compared first. Medians of REPS runs of each, taken
alternately, in CPU time.
"""

from __future__ import annotations

import gc
import json
import random
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from ccxt_handlers import FakeWsClient, spot_market
from figures import Figure, median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SYMBOL = "BTCUSDT"
STREAM = "btcusdt@depth@100ms"
LEVELS = 1000
FRAMES = 20_000
CCXT_FRAMES = 3_000  # ccxt is far slower; a slice of the same frames
CHANGES = 20  # levels changed per diff
REPS = 5
TICK = Decimal("0.01")
MID = Decimal("60000")


def _snapshot() -> tuple[list[list[str]], list[list[str]]]:
    bids = [[f"{MID - TICK * (i + 1):.8f}", "1.00000000"] for i in range(LEVELS)]
    asks = [[f"{MID + TICK * (i + 1):.8f}", "1.00000000"] for i in range(LEVELS)]
    return bids, asks


def _frames(count: int) -> list[bytes]:
    rng = random.Random(14)
    sides: dict[str, set[int]] = {"b": set(range(1, LEVELS + 1)), "a": set(range(1, LEVELS + 1))}
    out = []
    update_id = 1
    for n in range(count):
        rows: dict[str, list[list[str]]] = {"b": [], "a": []}
        for _ in range(CHANGES):
            side = rng.choice("ba")
            held = sides[side]
            roll = rng.random()
            if roll < 0.15 and held:
                ticks = rng.choice(tuple(held)) if n % 50 == 0 else min(held) + rng.randrange(5)
                held.discard(ticks)
                qty = "0.00000000"
            elif roll < 0.30:
                ticks = rng.randrange(1, LEVELS + 50)
                held.add(ticks)
                qty = f"{rng.randrange(1, 500) / 100:.8f}"
            else:
                ticks = rng.randrange(1, 40)  # most changes near the top
                held.add(ticks)
                qty = f"{rng.randrange(1, 500) / 100:.8f}"
            price = MID - TICK * ticks if side == "b" else MID + TICK * ticks
            rows[side].append([f"{price:.8f}", qty])
        first, update_id = update_id, update_id + rng.randrange(1, 6)
        event = {
            "e": "depthUpdate", "E": 1_767_225_600_000 + n * 100, "s": SYMBOL,
            "U": first, "u": update_id - 1, "b": rows["b"], "a": rows["a"],
        }  # fmt: skip
        out.append(msgspec.json.encode({"stream": STREAM, "data": event}))
    return out


def _timed(prepare: Callable[[], Callable[[], Any]]) -> float:
    """CPU seconds of one run of the callable `prepare()` returns (preparation untimed). CPU
    time, not wall time: on a machine shared with other work, a process waiting for a core is
    not slower, and both sides are measured alike."""
    run = prepare()
    gc.collect()
    start = time.process_time()
    run()
    return time.process_time() - start


def _ours(frames: list[bytes]) -> tuple[Callable[[], Callable[[], None]], list[Any]]:
    from tradeguard.market import frames as market_frames
    from tradeguard.market.book import LocalBook
    from tradeguard.market.books import KeptBook, StreamedBooks
    from tradeguard.market.cache import MarketStats
    from tradeguard.market.keeper import MarketConfig
    from tradeguard.net.clock import SystemClock

    bids, asks = _snapshot()
    kept: list[Any] = []

    def prepare() -> Callable[[], None]:
        book = LocalBook(SYMBOL)
        book.on_snapshot(0, [(p, q) for p, q in bids], [(p, q) for p, q in asks])
        # the keeper's books without REST or a socket: the book is in sync before timing
        books = StreamedBooks(
            None, None, stats=MarketStats(), config=MarketConfig(),  # type: ignore[arg-type]
            emit=lambda *a, **k: None, tell=lambda *a: None, watched=lambda topic: False,
            wall_ms=lambda: 0, server_now_ms=lambda: 0, monotonic=SystemClock.monotonic, sleep=None,  # type: ignore[arg-type]
        )  # fmt: skip
        handlers = {STREAM: books._depth_handler(KeptBook(SYMBOL, book), book)}
        envelope = market_frames.decode_envelope

        def run() -> None:
            for data in frames:
                env = envelope(data)
                handler = handlers.get(env.stream)
                if handler is not None:
                    handler(env.data)
            assert book.synced and book.applied == len(frames)
            kept[:] = [book.bids(20), book.asks(20)]

        return run

    return prepare, kept


def _ccxt(frames: list[bytes]) -> tuple[Callable[[], Callable[[], None]], list[Any]] | None:
    try:
        import ccxt.pro as ccxtpro
    except ImportError:
        return None
    market = spot_market(SYMBOL, lowercase_id="btcusdt", amount_step=1e-5, info={})
    bids, asks = _snapshot()
    kept: list[Any] = []

    def prepare() -> Callable[[], None]:
        exchange = ccxtpro.binance()
        exchange.set_markets([market])
        book = exchange.order_book({}, None)
        snapshot = exchange.parse_order_book(
            {"lastUpdateId": 0, "bids": bids, "asks": asks}, "BTC/USDT"
        )
        snapshot["nonce"] = 0
        book.reset(snapshot)
        exchange.orderbooks["BTC/USDT"] = book
        client = FakeWsClient("wss://stream.binance.com:9443/stream", strict=True)
        handle, loads = exchange.handle_message, json.loads

        def run() -> None:
            for data in frames:
                handle(client, loads(data))
            assert client.resolved == len(frames), client.resolved
            kept[:] = [book["bids"][:20], book["asks"][:20]]

        return run

    return prepare, kept


def run() -> list[Figure]:
    frames = _frames(FRAMES)
    ccxt_frames = frames[:CCXT_FRAMES]
    ours, ours_top = _ours(frames)
    ccxt = _ccxt(ccxt_frames)
    if ccxt is None:
        return []
    ccxt_prepare, ccxt_top = ccxt
    # the same frames leave the same book
    ours_slice, slice_top = _ours(ccxt_frames)
    _timed(ours_slice)
    _timed(ccxt_prepare)
    for ours_side, ccxt_side in zip(slice_top, ccxt_top, strict=True):
        assert [(float(p), float(q)) for p, q in ours_side] == [
            (float(p), float(q)) for p, q in ccxt_side
        ], "the two books differ"
    # alternate the two, so that a change in the machine's speed falls on both alike
    ours_s, ccxt_s = [], []
    for _ in range(REPS):
        ours_s.append(_timed(ours))
        ccxt_s.append(_timed(ccxt_prepare))
    del ours_top
    return [
        Figure(
            "book_updates_per_s",
            FRAMES / median(ours_s),
            "diffs/s",
            "ccxt",
            CCXT_FRAMES / median(ccxt_s),
        )
    ]


if __name__ == "__main__":
    for figure in run():
        print(figure.describe())
