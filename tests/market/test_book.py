"""The local order book against Binance's snapshot + diff rules, and against a dict model: random
updates grouped into diffs as the exchange groups them, some lost, some repeated, a snapshot at
any moment. Whatever arrives, a synced book equals the exchange's book at its update id, and a
lost update is always seen (the book is never shown wrong)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tradeguard.market.book import DepthDiff, LocalBook, Step

D = Decimal


def diff(first: int, last: int, bids=(), asks=()) -> DepthDiff:  # type: ignore[no-untyped-def]
    return DepthDiff(first, last, list(bids), list(asks))


def test_diffs_before_the_snapshot_wait_and_those_it_holds_are_dropped() -> None:
    book = LocalBook("BTCUSDT")
    assert book.on_diff(diff(95, 99, bids=[("10", "1")])) is Step.BUFFERED
    assert book.on_diff(diff(100, 102, bids=[("10", "2")], asks=[("11", "3")])) is Step.BUFFERED
    assert book.on_diff(diff(103, 104, asks=[("11", "0")])) is Step.BUFFERED
    # the snapshot at 100: 95..99 is in it, 100..102 straddles 101, 103..104 follows
    step = book.on_snapshot(100, [("10", "5"), ("9", "1")], [("12", "1")])
    assert step is Step.SYNCED and book.synced and book.last_update_id == 104
    assert book.bids() == [(D("10"), D("2")), (D("9"), D("1"))]
    assert book.asks() == [(D("12"), D("1"))]  # 11 came and went
    assert book.dropped == 1


def test_the_first_diff_must_straddle_the_snapshot() -> None:
    book = LocalBook("BTCUSDT")
    book.on_diff(diff(105, 106))
    assert book.on_snapshot(100, [], []) is Step.SNAPSHOT_TOO_OLD  # 101..104 are in neither
    assert not book.synced
    assert book.on_snapshot(104, [], []) is Step.SYNCED
    assert book.last_update_id == 106


def test_after_the_first_each_diff_starts_where_the_last_ended() -> None:
    book = LocalBook("BTCUSDT")
    assert book.on_snapshot(100, [("10", "1")], []) is Step.SYNCED
    assert book.on_diff(diff(99, 101)) is Step.APPLIED  # the first may start before 101
    assert book.on_diff(diff(101, 103)) is Step.GAP  # overlaps: not u + 1
    assert not book.synced and book.bids() == [] and book.gaps == 1


def test_a_missing_id_is_a_gap_and_a_repeat_is_dropped() -> None:
    book = LocalBook("BTCUSDT")
    book.on_snapshot(100, [], [])
    assert book.on_diff(diff(101, 102)) is Step.APPLIED
    assert book.on_diff(diff(101, 102)) is Step.DROPPED  # a duplicated frame
    assert book.on_diff(diff(104, 105, bids=[("1", "1")])) is Step.GAP  # 103 lost
    assert book.wants_snapshot
    # the diff that showed the gap waits for the next snapshot
    assert book.on_snapshot(103, [], []) is Step.SYNCED
    assert book.bids() == [(D("1"), D("1"))]


def test_a_gap_inside_the_buffer_keeps_the_diffs_after_it() -> None:
    book = LocalBook("BTCUSDT")
    for first, last in ((101, 101), (103, 103), (104, 104)):
        book.on_diff(diff(first, last, asks=[(str(first), "1")]))
    assert book.on_snapshot(100, [], []) is Step.GAP
    assert book.on_snapshot(102, [], []) is Step.SYNCED
    assert book.asks() == [(D("103"), D("1")), (D("104"), D("1"))]


def test_quantity_zero_removes_a_level_even_one_never_seen() -> None:
    book = LocalBook("BTCUSDT")
    book.on_snapshot(1, [("10", "1"), ("11", "2")], [("12", "1")])
    book.on_diff(diff(2, 2, bids=[("11", "0.00000000"), ("5", "0")], asks=[("12", "0")]))
    assert book.bids() == [(D("10"), D("1"))] and book.asks() == []
    assert book.best_bid() == (D("10"), D("1")) and book.best_ask() is None


def test_a_price_written_two_ways_is_one_level() -> None:
    book = LocalBook("BTCUSDT")
    book.on_snapshot(1, [("10.50000000", "1.00000000")], [("12", "1")])
    book.on_diff(diff(2, 2, bids=[("10.5", "2")], asks=[("12.000", "0.00000000")]))
    assert book.bids() == [(D("10.5"), D("2"))] and book.asks() == []


def test_amounts_are_read_exactly_as_written() -> None:
    book = LocalBook("BTCUSDT")
    book.on_snapshot(1, [("0.00000001", "123456789.12345678")], [("60000.01000000", "0.001")])
    assert book.best_bid() == (D("0.00000001"), D("123456789.12345678"))
    assert str(book.best_ask()[0]) == "60000.01000000"  # type: ignore[index]


def test_depth_limits_what_is_read() -> None:
    book = LocalBook("BTCUSDT")
    book.on_snapshot(1, [(str(p), "1") for p in (7, 9, 8)], [(str(p), "1") for p in (12, 11, 13)])
    assert [p for p, _ in book.bids(2)] == [D(9), D(8)]
    assert [p for p, _ in book.asks(2)] == [D(11), D(12)]
    assert book.bids(0) == [] and book.asks(0) == []


# ── the property: random streams against a dict model ─────────────────────────────────────────

update = st.tuples(
    st.sampled_from(["b", "a"]),
    st.integers(1, 12),  # price
    st.sampled_from([0, 0, 1, 2, 3]),  # quantity (0: remove)
)


@st.composite
def stream(draw):  # type: ignore[no-untyped-def]
    """Updates 1..N, their cuts into diffs, what happens to each diff on the wire, and when the
    snapshot is taken and delivered."""
    updates = draw(st.lists(update, min_size=1, max_size=60))
    n = len(updates)
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=n - 1))) if n > 1 else []
    bounds = list(zip([0, *cuts], [*cuts, n], strict=True))  # (after id, up to id)
    fates = draw(st.lists(st.sampled_from(["ok"] * 6 + ["lost", "twice"]),
                          min_size=len(bounds), max_size=len(bounds)))  # fmt: skip
    snapshot_at = draw(st.integers(0, len(bounds)))  # delivered after this many diffs
    return updates, bounds, fates, snapshot_at


def model_at(updates: list[tuple[str, int, int]], upto: int) -> dict[str, dict[Decimal, Decimal]]:
    book: dict[str, dict[Decimal, Decimal]] = {"b": {}, "a": {}}
    for side, price, qty in updates[:upto]:
        if qty:
            book[side][D(price)] = D(qty)
        else:
            book[side].pop(D(price), None)
    return book


def written(value: int | Decimal, seed: int) -> str:
    """A number as an exchange may write it: plain, or with trailing zeros (one of three)."""
    return [f"{value}", f"{value}.0", f"{value}.00000000"][seed % 3]


def as_diff(updates: list[tuple[str, int, int]], after: int, upto: int) -> DepthDiff:
    """The exchange's diff for ids after+1..upto: each changed level at its final quantity,
    prices and quantities written one of three ways."""
    final: dict[tuple[str, int], int] = {}
    for side, price, qty in updates[after:upto]:
        final[(side, price)] = qty
    rows = {
        side: [(written(p, upto + p), written(q, upto)) for (s, p), q in final.items() if s == side]
        for side in ("b", "a")
    }
    return DepthDiff(after + 1, upto, rows["b"], rows["a"])


def snapshot(book: LocalBook, updates: list[tuple[str, int, int]], at: int) -> Step:
    held = model_at(updates, at)
    rows = {side: [(written(int(p), at), str(q)) for p, q in held[side].items()] for side in "ba"}
    return book.on_snapshot(at, rows["b"], rows["a"])


@settings(max_examples=400, deadline=None)
@given(stream())
def test_a_synced_book_is_always_the_exchanges_book(case) -> None:  # type: ignore[no-untyped-def]
    updates, bounds, fates, snapshot_at = case
    book = LocalBook("BTCUSDT")
    sent = 0  # the exchange's update id so far (what a snapshot taken now would hold)
    lost_since_sync = False

    def check() -> None:
        if book.synced:
            held = model_at(updates, book.last_update_id)
            assert dict(book.bids()) == held["b"]
            assert dict(book.asks()) == held["a"]
            bids, asks = [p for p, _ in book.bids()], [p for p, _ in book.asks()]
            assert bids == sorted(bids, reverse=True) and asks == sorted(asks)

    def resync() -> None:
        nonlocal lost_since_sync
        while True:
            step = snapshot(book, updates, sent)
            check()
            if step is Step.SYNCED:
                lost_since_sync = False
                return
            # GAP or SNAPSHOT_TOO_OLD at the exchange's latest id can only come from a diff
            # that is still in the buffer from before: taking one more snapshot ends it
            assert step in (Step.GAP, Step.SNAPSHOT_TOO_OLD)

    for index, ((after, upto), fate) in enumerate(zip(bounds, fates, strict=True)):
        if index == snapshot_at:
            resync()
        sent = upto
        if fate == "lost":
            lost_since_sync = lost_since_sync or book.synced
            continue
        for _ in range(2 if fate == "twice" else 1):
            step = book.on_diff(as_diff(updates, after, upto))
            check()
            if step is Step.GAP:
                resync()
    if snapshot_at == len(bounds):
        resync()
    check()
    # liveness: a book synced at the end has every update up to the last one it was sent,
    # unless the last diffs were lost (nothing after them to show the gap yet)
    if book.synced and not lost_since_sync:
        assert book.last_update_id == sent


def test_a_quantity_is_zero_however_it_is_written() -> None:
    book = LocalBook("BTCUSDT")
    book.on_snapshot(1, [("1", "1"), ("2", "1"), ("3", "1"), ("4", "1")], [])
    zeros = [("1", "0"), ("2", "0.0"), ("3", "0.000000000000000000")]
    book.on_diff(diff(2, 2, bids=[*zeros, ("4", "0.00000001"), ("5", "10")]))
    assert book.bids() == [(D(5), D(10)), (D(4), D("0.00000001"))]
