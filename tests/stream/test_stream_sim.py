"""The user stream against the simulator: fills, duplicates, reordering, silence, drops,
termination, the 24-hour limit, a refused key. Each run ends with the ledger's position equal
to the exchange's own trades, every fill booked once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.transport.conftest import credentials
from tradeguard.errors import AuthError
from tradeguard.events import (
    EventBase,
    OrderUpdated,
    StreamConnected,
    StreamGapFilled,
    StreamGapLost,
)
from tradeguard.keys.credentials import ApiCredentials, Secret
from tradeguard.model import OrderStatus, Side

from .conftest import SYMBOL, Env


def connected(n: int):  # type: ignore[no-untyped-def]
    return lambda events: sum(isinstance(e, StreamGapFilled) for e in events) >= n


def trade_ids(env: Env) -> list[int]:
    return sorted(f.trade_id for o in env.ledger.orders.values() for f in o.fills)


async def exchange_position(env: Env) -> tuple[Decimal, list[int]]:
    """Base quantity bought minus sold (minus base commission), from myTrades; the trade ids."""
    trades = await env.venue.my_trades(SYMBOL)
    qty = Decimal(0)
    for t in trades:
        qty += t.qty if t.side is Side.BUY else -t.qty
        if t.commission_asset == "BTC":
            qty -= t.commission
    return qty, sorted(t.trade_id for t in trades)


async def assert_ledger_matches_exchange(env: Env) -> None:
    qty, ids = await exchange_position(env)
    position = env.ledger.position(SYMBOL)
    assert position is not None
    assert position.qty == qty
    assert trade_ids(env) == ids  # every fill booked exactly once
    assert env.refused == []


async def test_a_fill_arrives_as_order_filled_with_exact_decimals(env: Env) -> None:
    env.stream()
    await env.until(connected(1), "the first subscription")
    order = env.intend(qty="0.001")
    placed = await env.venue.place_order(order)
    await env.until(
        lambda ev: any(isinstance(e, OrderUpdated) and e.status is OrderStatus.NEW for e in ev),
        "NEW",
    )
    await env.paired.remote.fill(SYMBOL, "0.0004", order_id=placed.order_id)
    await env.paired.remote.fill(SYMBOL, "0.0006", order_id=placed.order_id)
    fills = await env.until(lambda ev: len(env.fills()) >= 2 and env.fills(), "two fills")
    first, second = fills
    assert (first.qty, first.cum_qty, first.price) == (
        Decimal("0.0004"), Decimal("0.0004"), Decimal("30000"),
    )  # fmt: skip
    assert (second.qty, second.cum_qty) == (Decimal("0.0006"), Decimal("0.001"))
    assert all(type(x) is Decimal for f in fills for x in (f.qty, f.price, f.commission))
    assert first.client_order_id == order.client_order_id and first.source == "stream"
    assert first.order_id == placed.order_id and first.base_asset == "BTC"
    assert first.quote_qty is None  # Y was exactly L * l
    assert first.trade_id < second.trade_id
    held = env.ledger.order(order.client_order_id)
    assert held is not None and held.status is OrderStatus.FILLED
    await assert_ledger_matches_exchange(env)


async def test_duplicated_and_reordered_events_are_booked_once(env: Env) -> None:
    env.stream()
    await env.until(connected(1), "the first subscription")
    orders = [env.intend() for _ in range(2)]
    placed = [await env.venue.place_order(o) for o in orders]
    await env.paired.remote.add_fault({"kind": "duplicate_next", "channel": "user", "count": 6})
    for qty in ("0.0002", "0.0003"):
        await env.paired.remote.fill(SYMBOL, qty, order_id=placed[0].order_id)
    await env.paired.remote.add_fault({"kind": "reorder_next", "channel": "user", "count": 4})
    for qty in ("0.0004", "0.0006"):
        await env.paired.remote.fill(SYMBOL, qty, order_id=placed[1].order_id)
    await env.until(lambda ev: len({f.trade_id for f in env.fills()}) >= 4, "four trades")
    assert len(env.fills()) > len({f.trade_id for f in env.fills()})  # duplicates did arrive
    second = env.ledger.order(orders[1].client_order_id)
    assert second is not None and second.status is OrderStatus.FILLED
    assert second.executed_qty == Decimal("0.001")
    await assert_ledger_matches_exchange(env)


async def test_a_silent_stream_is_noticed_and_resubscribed(env: Env) -> None:
    stream = env.stream(quiet_after_s=120, ping_after_s=30)
    await env.until(connected(1), "the first subscription")
    order = env.intend()
    placed = await env.venue.place_order(order)
    await env.until(lambda ev: any(isinstance(e, OrderUpdated) for e in ev), "NEW")
    await env.paired.remote.add_fault({"kind": "stream_silence", "channel": "user"})
    await env.paired.remote.fill(SYMBOL, "0.0005", order_id=placed.order_id)
    await env.paired.remote.clear_faults()
    # Pings are answered all along (the socket lives); the missing events give it away.
    await env.advance_until(connected(2), "a resubscription", step_s=10, limit_s=300)
    assert "silent stream" in stream.restarts
    recovered = [f for f in env.fills() if f.source == "query"]
    assert [f.qty for f in recovered] == [Decimal("0.0005")]
    assert recovered[0].client_order_id == order.client_order_id
    gap = next(e for e in reversed(env.events) if isinstance(e, StreamGapFilled))
    assert gap.fills == 1
    await env.paired.remote.fill(SYMBOL, "0.0005", order_id=placed.order_id)
    await env.until(lambda ev: any(f.source == "stream" for f in env.fills()), "a live fill")
    await assert_ledger_matches_exchange(env)


async def test_a_drop_during_fills_loses_no_fill(env: Env) -> None:
    stream = env.stream()
    await env.until(connected(1), "the first subscription")
    orders = [env.intend(qty="0.002") for _ in range(3)]
    placed = [await env.venue.place_order(o) for o in orders]
    await env.paired.remote.fill(SYMBOL, "0.0005", order_id=placed[0].order_id)
    await env.until(lambda ev: len(env.fills()) >= 1, "a first fill")
    await env.paired.remote.add_fault({"kind": "stream_drop", "channel": "user", "count": 1})
    for p in placed:
        for qty in ("0.0005", "0.0007"):
            await env.paired.remote.fill(SYMBOL, qty, order_id=p.order_id)
    await env.advance_until(connected(2), "a reconnection", step_s=1)
    assert any(r in ("connection closed",) for r in stream.restarts)
    qty, ids = await exchange_position(env)
    assert len(ids) == 7
    await assert_ledger_matches_exchange(env)
    assert any(f.source == "query" for f in env.fills())
    await env.paired.remote.fill(SYMBOL, "0.0001", order_id=placed[2].order_id)
    await env.until(lambda ev: len(trade_ids(env)) == 8, "a live fill after the reconnect")
    await assert_ledger_matches_exchange(env)


async def test_event_stream_terminated_resubscribes(env: Env) -> None:
    stream = env.stream()
    await env.until(connected(1), "the first subscription")
    await env.paired.remote.add_fault({"kind": "stream_terminate", "channel": "user", "count": 1})
    await env.until(connected(2), "a resubscription")
    assert list(stream.restarts) == ["eventStreamTerminated"]
    assert sum(isinstance(e, StreamConnected) for e in env.events) == 2
    order = env.intend()
    placed = await env.venue.place_order(order)
    await env.paired.remote.fill(SYMBOL, "0.001", order_id=placed.order_id)
    await env.until(lambda ev: env.fills(), "a fill on the new subscription")
    await assert_ledger_matches_exchange(env)


async def test_the_connection_is_renewed_before_24_hours(env: Env) -> None:
    stream = env.stream(quiet_after_s=48 * 3600, ping_after_s=3600, watch_every_s=60)
    await env.until(connected(1), "the first subscription")
    await env.timer.advance(22 * 3600)
    assert stream.connections == 1
    await env.advance_until(connected(2), "a renewed connection", step_s=600, limit_s=7200)
    assert list(stream.restarts) == ["connection age (24-hour limit)"]
    assert stream.ready.is_set()


@pytest.mark.parametrize("key", ["trade-only", "trade-only-ed25519", "trade-only-rsa"])
async def test_every_key_type_subscribes(env: Env, key: str) -> None:
    stream = env.stream(key=key)
    await env.until(connected(1), "the first subscription")
    assert stream.ready.is_set() and stream.connections == 1


async def test_a_refused_key_stops_the_stream_with_a_reason(env: Env) -> None:
    real = credentials(env.paired.running)
    stream = env.stream(credentials=ApiCredentials(real.api_key, Secret("x" * 64)))
    lost: list[EventBase] = await env.until(
        lambda ev: [e for e in ev if isinstance(e, StreamGapLost)], "StreamGapLost"
    )
    assert "AuthError" in lost[0].reason  # type: ignore[attr-defined]
    assert isinstance(stream.error, AuthError)
