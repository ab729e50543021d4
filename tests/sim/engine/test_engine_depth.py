"""The public book's change feed: depth updates numbered so a snapshot plus diffs is the book."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from tradeguard.sim.engine import Engine
from tradeguard.sim.rejects import Reject

from .scenario import BEST_BID, LEVEL_QTY, SYMBOL, D, limit, make, market

DEPTH = "btcusdt@depthUpdate"
ALL_LEVELS = 5000


class LocalBook:
    """A client's book kept as Binance's "manage a local order book" recipe says."""

    def __init__(self, snapshot: tuple[int, list[Any], list[Any]]) -> None:
        self.update_id, bids, asks = snapshot
        self.sides: dict[str, dict[Decimal, Decimal]] = {"b": dict(bids), "a": dict(asks)}
        self.applied = 0

    def apply(self, event: dict[str, Any]) -> None:
        if event["u"] <= self.update_id:
            return  # older than the snapshot
        assert event["U"] <= self.update_id + 1, "a gap: an update was never sent"
        if self.applied:
            assert event["U"] == self.update_id + 1
        for side in ("b", "a"):
            for price, qty in event[side]:
                level = self.sides[side]
                if Decimal(qty) == 0:
                    level.pop(Decimal(price), None)
                else:
                    level[Decimal(price)] = Decimal(qty)
        self.update_id = event["u"]
        self.applied += 1

    def levels(self) -> tuple[list[Any], list[Any]]:
        bids = sorted(self.sides["b"].items(), reverse=True)
        asks = sorted(self.sides["a"].items())
        return bids, asks


def _place_near_the_price(engine: Engine, rng: random.Random, owner: str, now: int) -> None:
    """A random limit order a little either side of the last price (some cross it)."""
    side = rng.choice(("BUY", "SELL"))
    last = engine.last_price(SYMBOL)
    offset = D(rng.randint(-40, 400)) / 100
    price = last - offset if side == "BUY" else last + offset
    qty = D(rng.randint(1, 60)) / 1000
    engine.place_order(owner, limit(side, str(qty), str(price)), now)


def depth_events(engine: Engine) -> list[dict[str, Any]]:
    return [ev.payload for ev in engine.drain_market_events() if ev.stream == DEPTH]


def test_a_new_resting_order_is_one_update_with_the_level_it_changed() -> None:
    e = make()
    update_id, _, _ = e.depth(SYMBOL, 10)
    e.drain_market_events()
    e.place_order("alice", limit("BUY", "0.1", str(BEST_BID)), 10)
    (event,) = depth_events(e)
    assert event == {
        "e": "depthUpdate",
        "E": 10,
        "s": SYMBOL,
        "U": update_id + 1,
        "u": update_id + 1,
        "b": [["59999.98000000", f"{LEVEL_QTY + D('0.1'):.8f}"]],
        "a": [],
    }
    assert e.depth(SYMBOL, 10)[0] == update_id + 1


def test_a_quiet_book_sends_nothing_and_keeps_its_update_id() -> None:
    e = make()
    update_id = e.depth(SYMBOL, 10)[0]
    e.drain_market_events()
    e.advance(60_000)
    e.place_order("alice", limit("BUY", "0.1", "50000"), 60_000)
    e.cancel_open_orders("alice", SYMBOL, 60_000)
    events = depth_events(e)
    assert [len(ev["b"]) for ev in events] == [1, 1]  # the level came, then went (qty 0)
    assert events[1]["b"] == [["50000.00000000", "0.00000000"]]
    e.advance(120_000)
    assert depth_events(e) == []
    assert e.depth(SYMBOL, 10)[0] == update_id + 2


def test_book_ticker_carries_the_books_update_id() -> None:
    e = make()
    e.place_order("alice", limit("BUY", "0.1", "59999.99"), 10)
    tickers = [ev.payload for ev in e.drain_market_events() if ev.stream.endswith("@bookTicker")]
    assert tickers[-1]["u"] == e.depth(SYMBOL, 5)[0]


def test_snapshot_plus_diffs_is_the_book_through_fills_moves_and_cancels() -> None:
    # A moving market with synthetic flow, random orders, cancels, market orders and price
    # jumps: a local book built from a snapshot taken midway and the diffs after it must equal
    # every later snapshot, level for level.
    e = make(vol="5", flow="500")
    rng = random.Random(3)
    now = 0
    book: LocalBook | None = None
    for step in range(400):
        now += rng.choice((0, 10, 250, 1000))
        action = rng.random()
        try:
            if action < 0.45:
                _place_near_the_price(e, rng, rng.choice(("alice", "bob")), now)
            elif action < 0.6:
                owner = rng.choice(("alice", "bob"))
                open_orders = e.open_orders(owner, SYMBOL)
                if open_orders:
                    o = rng.choice(open_orders)
                    e.cancel_order(owner, SYMBOL, o.order_id, None, None, now)
            elif action < 0.7:
                e.place_order("carol", market(rng.choice(("BUY", "SELL")), "0.2"), now)
            elif action < 0.75:
                jump = e.last_price(SYMBOL) * D(rng.choice(("0.999", "1.001")))
                e.set_price(SYMBOL, jump.quantize(D("0.01")), now)
            else:
                e.advance(now)
        except Reject:
            pass  # a refused order (funds, filters) changes nothing
        events = depth_events(e)
        if step == 50:
            book = LocalBook(e.depth(SYMBOL, ALL_LEVELS))
            continue
        if book is not None:
            for event in events:
                book.apply(event)
            update_id, bids, asks = e.depth(SYMBOL, ALL_LEVELS)
            assert book.update_id == update_id
            assert book.levels() == (bids, asks)
    assert book is not None and book.applied > 100


@pytest.mark.parametrize("heard", ["btcusdt@depthUpdate", "btcusdt@bookTicker", ""])
def test_an_engine_builds_the_book_events_only_of_the_streams_heard(heard: str) -> None:
    """The simulator has only the book streams a feed follows get their events built: those
    are the very events an engine that builds them all queues, the others are not queued,
    trades always are, and the book and its update ids are the same."""

    def run(engine: Engine) -> tuple[list[tuple[str, dict[str, Any]]], object]:
        engine.place_order("bob", limit("SELL", "0.1", "60000.01"), 10)
        engine.place_order("alice", market("BUY", "0.3"), 11)
        engine.place_order("alice", limit("BUY", "0.2", "59999.99"), 12)
        engine.set_price(SYMBOL, D("59990"), 13)
        events = [(ev.stream, ev.payload) for ev in engine.drain_market_events()]
        return events, engine.depth(SYMBOL, 100)

    every, every_book = run(make(vol="5", flow="100"))
    some = make(vol="5", flow="100")
    some.build_stream_events_for(lambda stream: stream == heard)
    only, some_book = run(some)
    kept = {heard, "btcusdt@trade"}
    assert {stream for stream, _ in every} == {
        "btcusdt@trade",
        "btcusdt@depthUpdate",
        "btcusdt@bookTicker",
    }
    assert only == [(stream, ev) for stream, ev in every if stream in kept]
    assert some_book == every_book


def test_book_streams_heard_now_and_then_carry_what_an_engine_hearing_all_sends() -> None:
    """A depth or bookTicker stream that nobody followed for a while and then is followed again
    gets, call for call, the events an engine that builds them all sends (the same update ids,
    the same top of book), and the book and its update ids never depend on who listened."""
    steps = 300

    def listened(step: int) -> bool:
        return (step // 20) % 2 == 1  # 20 calls heard, 20 not, ...

    def run(engine: Engine, step_now: list[int]) -> list[tuple[int, str, object]]:
        rng = random.Random(11)
        now = 0
        out: list[tuple[int, str, object]] = []
        for step in range(steps):
            step_now[0] = step
            now += rng.choice((0, 10, 250, 1000))
            action = rng.random()
            try:
                if action < 0.4:
                    _place_near_the_price(engine, rng, "alice", now)
                elif action < 0.55:
                    open_orders = engine.open_orders("alice", SYMBOL)
                    if open_orders:
                        o = rng.choice(open_orders)
                        engine.cancel_order("alice", SYMBOL, o.order_id, None, None, now)
                elif action < 0.8:
                    engine.place_order("carol", market(rng.choice(("BUY", "SELL")), "0.05"), now)
                else:
                    engine.advance(now)
            except Reject:
                pass  # a refused order changes nothing
            for ev in engine.drain_market_events():
                if not ev.stream.endswith("@trade"):
                    out.append((step, ev.stream, ev.payload))
            out.append((step, "snapshot", engine.depth(SYMBOL, ALL_LEVELS)))
            out.append((step, "top", engine.book_ticker(SYMBOL)))
        return out

    every = run(make(vol="5", flow="500"), [0])
    some = make(vol="5", flow="500")
    at = [0]
    some.build_stream_events_for(lambda stream: listened(at[0]))
    some_events = run(some, at)
    assert some_events == [ev for ev in every if listened(ev[0]) or ev[1] in ("snapshot", "top")]
    heard_streams = {stream for step, stream, _ in some_events if listened(step)}
    assert {"btcusdt@depthUpdate", "btcusdt@bookTicker"} <= heard_streams
