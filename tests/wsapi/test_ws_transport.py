"""order_transport = "ws": orders placed, queried and cancelled over the WebSocket API with
REST's guarantees: the ledger fed by the replies' rateLimits, a ban holding REST and WS alike,
a lost reply an unknown outcome resolved by client order id and never resent."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tests.scenarios.conftest import (
    assert_invariants,
    eventually,
    fill,
    placements,
    price_off,
    sent_counts,
)
from tests.wsapi.conftest import request_counts
from tradeguard.errors import NotSent, OutcomeUnknown, RateLimited
from tradeguard.events import ReplyReceived, StreamGapFilled
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim.rejects import Reject
from tradeguard.sim.remote import SimRemote
from tradeguard.venues.binance.client import BinanceTransport
from tradeguard.venues.binance.wsapi import WsApiConfig, WsOrderWire


def wire_connections(tg: Session) -> int:
    assert isinstance(tg.transport, BinanceTransport) and tg.transport.order_wire is not None
    return tg.transport.order_wire.connections


async def test_orders_go_over_the_websocket_api(ws_tg: Session, ws_remote: SimRemote) -> None:
    await ws_remote.reset_requests()
    order = await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(ws_tg, "-1"))
    assert order.status is OrderStatus.NEW and order.order_id is not None
    canceled = await ws_tg.cancel(order.client_order_id)
    assert canceled.status is OrderStatus.CANCELED
    counts = await request_counts(ws_remote)
    assert (counts.get("WS order.place"), counts.get("WS order.cancel")) == (1, 1)
    assert "POST /api/v3/order" not in counts and "DELETE /api/v3/order" not in counts
    assert wire_connections(ws_tg) == 1
    # the intent was journaled before its request left; the reply after it
    kinds = [
        type(e).__name__
        for e in ws_tg.recorder.journal.events()
        if getattr(e, "client_order_id", None) == order.client_order_id
    ]
    assert kinds.index("OrderIntended") < kinds.index("ReplyReceived")
    # each reply journaled under the method that was sent, not its REST twin's path
    sent = [
        (e.method, e.path)
        for e in ws_tg.recorder.journal.events()
        if isinstance(e, ReplyReceived) and e.client_order_id == order.client_order_id
    ]
    assert sent == [("WS", "order.place"), ("WS", "order.cancel")]
    await assert_invariants(ws_tg)


async def test_the_replies_rate_limits_feed_the_ledger(ws_tg: Session) -> None:
    """Orders another client placed on the account (the exchange's count, not ours) show in
    the ledger after one order over the WebSocket API, as REST's X-MBX-ORDER-COUNT does."""
    assert ws_tg.sim is not None
    sim = ws_tg.sim.sim
    for _ in range(7):
        sim.ledger.count_order("main", sim.clock.now_ms())
    await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(ws_tg, "-1"))
    assert ws_tg.transport.ledger.peak_used["ORDERS/10SECOND"] == 8


async def test_a_ban_met_on_the_websocket_api_holds_rest_too(
    ws_tg: Session, ws_remote: SimRemote
) -> None:
    assert ws_tg.sim is not None
    sim = ws_tg.sim.sim
    price = await price_off(ws_tg, "-1")  # the risk guard's last price, read before the ban
    # Another process on this IP went over the weight limit: a 429 pause, so the next request
    # from the IP is banned (418) by the exchange.
    with pytest.raises(Reject):
        sim.ledger.admit(
            "127.0.0.1", sim.ledger.limits.request_weight_per_min + 1, sim.clock.now_ms()
        )
    with pytest.raises(RateLimited) as banned:
        await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    assert banned.value.http_status == 418 and not banned.value.local
    await ws_remote.reset_requests()
    with pytest.raises(RateLimited) as held:
        await ws_tg.transport.last_price("BTCUSDT")  # REST: refused here, never sent
    assert held.value.local
    with pytest.raises(RateLimited):
        await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    assert await request_counts(ws_remote) == {}


async def test_a_dropped_connection_is_an_unknown_outcome_resolved_never_resent(
    ws_tg: Session, ws_remote: SimRemote
) -> None:
    price = await price_off(ws_tg, "-1")
    await ws_remote.add_fault(
        {"kind": "drop_after_execute", "path_prefix": "/ws-api/v3/order.place", "count": 1}
    )
    with pytest.raises(OutcomeUnknown) as lost:
        await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    coid = lost.value.client_order_id
    assert coid is not None
    resolved = await ws_tg.resolved(coid, timeout_s=5)
    assert resolved.status is OrderStatus.NEW
    assert placements(ws_tg.sim)[coid] == 1  # type: ignore[arg-type]
    again = await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price)  # a new connection
    assert again.status is OrderStatus.NEW and wire_connections(ws_tg) == 2
    assert sent_counts(ws_tg)[coid] == 0  # no answered placement: the lost one was not resent
    await assert_invariants(ws_tg)


async def test_every_request_in_flight_is_unknown_when_the_connection_drops(
    ws_tg: Session, ws_remote: SimRemote
) -> None:
    """One reply held, the next request's connection cut: both orders are unknown at once (not
    after the held one's timeout), both resolved, neither resent."""
    price = await price_off(ws_tg, "-1")
    await ws_remote.add_fault(
        {"kind": "hold_after_execute", "seconds": 30, "path_prefix": "/ws-api/v3", "count": 1}
    )
    await ws_remote.add_fault({"kind": "drop_after_execute", "path_prefix": "/ws-api/v3"})
    first = asyncio.create_task(ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price))
    outcomes = await asyncio.wait_for(
        asyncio.gather(first, second, return_exceptions=True), timeout=1.5
    )
    assert all(isinstance(o, OutcomeUnknown) for o in outcomes), outcomes
    await ws_remote.clear_faults()
    for lost in outcomes:
        assert isinstance(lost, OutcomeUnknown) and lost.client_order_id is not None
        assert (await ws_tg.resolved(lost.client_order_id, timeout_s=5)).status is OrderStatus.NEW
        assert placements(ws_tg.sim)[lost.client_order_id] == 1  # type: ignore[arg-type]
    await assert_invariants(ws_tg)


async def test_a_websocket_api_that_does_not_open_is_not_sent_and_backs_off(
    ws_tg: Session,
) -> None:
    """No connection: nothing left, so the order is refused as not sent (REJECTED, no unknown
    outcome to resolve); each failed connect waits longer before the next."""
    assert isinstance(ws_tg.transport, BinanceTransport)
    good = ws_tg.transport.order_wire
    dead = WsOrderWire(
        "ws://127.0.0.1:9/ws-api/v3", config=WsApiConfig(backoff_base_s=0.01, backoff_cap_s=0.05)
    )
    ws_tg.transport.order_wire = dead
    price = await price_off(ws_tg, "-1")
    with pytest.raises(NotSent):
        await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    # each attempt one connect (the stream's back-fill, if its watchdog fires, may add some)
    assert dead.connections == 0 and dead.failed_connects >= ws_tg.transport.config.max_attempts
    [refused] = list(ws_tg.ledger.orders.values())
    assert refused.status is OrderStatus.REJECTED
    await dead.close()
    ws_tg.transport.order_wire = good
    placed = await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    assert placed.status is OrderStatus.NEW
    await assert_invariants(ws_tg)


async def test_a_closed_connection_is_opened_again_for_the_next_order(ws_tg: Session) -> None:
    price = await price_off(ws_tg, "-1")
    await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    assert isinstance(ws_tg.transport, BinanceTransport)
    wire = ws_tg.transport.order_wire
    assert wire is not None
    assert ws_tg.sim is not None and wire.connected
    # the exchange closes the order connection (as Binance does after 24 h)
    for conn in list(ws_tg.sim.sim.hub._conns):
        if conn.path == "/ws-api/v3" and not conn.active():
            conn.outbox.close()
    await eventually(lambda: _closed(wire))
    placed = await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    assert placed.status is OrderStatus.NEW and wire.connections == 2
    await assert_invariants(ws_tg)


def _closed(wire: WsOrderWire) -> None:
    assert not wire.connected


async def test_a_websocket_api_that_does_not_open_is_named_in_not_sent(ws_tg: Session) -> None:
    """The NotSent says where nothing was sent: the WebSocket API's address, not REST's."""
    assert isinstance(ws_tg.transport, BinanceTransport)
    good = ws_tg.transport.order_wire
    dead = WsOrderWire(
        "ws://127.0.0.1:9/ws-api/v3", config=WsApiConfig(backoff_base_s=0.01, backoff_cap_s=0.05)
    )
    ws_tg.transport.order_wire = dead
    try:
        with pytest.raises(NotSent) as refused:
            await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(ws_tg, "-1"))
        assert "ws://127.0.0.1:9/ws-api/v3" in str(refused.value)
        assert ws_tg.transport.base_url not in str(refused.value)
    finally:
        await dead.close()
        ws_tg.transport.order_wire = good


async def test_reads_go_over_rest_while_the_websocket_api_is_down(
    ws_tg: Session, ws_remote: SimRemote
) -> None:
    """The WebSocket API refuses connections: the user stream's back-fill (openOrders, an
    order's status) still completes, over REST; orders stay on the WebSocket API."""
    assert isinstance(ws_tg.transport, BinanceTransport)
    price = await price_off(ws_tg, "-1")
    resting = await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    good = ws_tg.transport.order_wire
    dead = WsOrderWire(
        "ws://127.0.0.1:9/ws-api/v3", config=WsApiConfig(backoff_base_s=0.01, backoff_cap_s=0.05)
    )
    ws_tg.transport.order_wire = dead
    try:
        gaps = _count(ws_tg, StreamGapFilled)
        await ws_remote.reset_requests()
        await ws_remote.add_fault({"kind": "stream_drop", "channel": "user", "count": 1})
        await fill(ws_remote, ws_tg.venue, resting.client_order_id, "0.0004")
        await eventually(lambda: _more(ws_tg, StreamGapFilled, gaps), timeout_s=5)
        counts = await request_counts(ws_remote)
        assert counts.get("GET /api/v3/openOrders", 0) >= 1
        assert not any(name.startswith("WS ") and "status" in name for name in counts)
        partly = await ws_tg.wait_for(
            resting.client_order_id, OrderStatus.PARTIALLY_FILLED, timeout_s=5
        )
        assert partly.executed_qty == Decimal("0.0004")
        with pytest.raises(NotSent):  # an order is never moved to REST
            await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    finally:
        await dead.close()
        ws_tg.transport.order_wire = good
    await ws_tg.cancel(resting.client_order_id)
    await assert_invariants(ws_tg)


def _count(tg: Session, kind: type) -> int:
    return sum(1 for e in tg.recorder.journal.events() if isinstance(e, kind))


def _more(tg: Session, kind: type, than: int) -> None:
    assert _count(tg, kind) > than


async def test_server_shutdown_is_a_planned_reconnect_with_the_reply_in_flight_kept(
    ws_tg: Session, ws_remote: SimRemote
) -> None:
    """serverShutdown: the next connection opens at once and takes new orders; an order in
    flight on the old one gets its reply there (no unknown outcome), and nothing is resent."""
    price = await price_off(ws_tg, "-1")
    await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price)  # the order connection is open
    await ws_remote.add_fault(
        {"kind": "hold_after_execute", "seconds": 0.5, "path_prefix": "/ws-api/v3/order.place",
         "count": 1}
    )  # fmt: skip
    in_flight = asyncio.create_task(ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price))
    await eventually(lambda: _placed(ws_tg, 2))
    await ws_remote.add_fault(
        {"kind": "server_shutdown", "path_prefix": "/ws-api/v3", "close_after_s": 3}
    )
    await ws_remote.clear_faults()  # it acted on every open connection when added
    await eventually(lambda: _renewed(ws_tg))
    after = await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price)  # the new connection
    assert after.status is OrderStatus.NEW
    kept = await asyncio.wait_for(in_flight, timeout=5)
    assert kept.status is OrderStatus.NEW  # answered on the old connection, not unknown
    wire = ws_tg.transport.order_wire  # type: ignore[attr-defined]
    assert (wire.connections, wire.planned_reconnects) == (2, 1)
    assert all(n == 1 for n in placements(ws_tg.sim).values())  # type: ignore[arg-type]
    await assert_invariants(ws_tg)


async def test_an_order_in_flight_when_the_shutdown_closes_is_unknown_resolved_never_resent(
    ws_tg: Session, ws_remote: SimRemote
) -> None:
    price = await price_off(ws_tg, "-1")
    await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    await ws_remote.add_fault(
        {"kind": "hold_after_execute", "seconds": 30, "path_prefix": "/ws-api/v3/order.place",
         "count": 1}
    )  # fmt: skip
    in_flight = asyncio.create_task(ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price))
    await eventually(lambda: _placed(ws_tg, 2))
    await ws_remote.add_fault(
        {"kind": "server_shutdown", "path_prefix": "/ws-api/v3", "close_after_s": 0.2}
    )
    await ws_remote.clear_faults()
    with pytest.raises(OutcomeUnknown) as lost:
        await asyncio.wait_for(in_flight, timeout=5)
    coid = lost.value.client_order_id
    assert coid is not None
    assert (await ws_tg.resolved(coid, timeout_s=5)).status is OrderStatus.NEW
    after = await ws_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    assert after.status is OrderStatus.NEW
    assert placements(ws_tg.sim)[coid] == 1  # type: ignore[arg-type]
    assert sent_counts(ws_tg)[coid] == 0  # never answered, never sent again
    await assert_invariants(ws_tg)


def _placed(tg: Session, n: int) -> None:
    assert tg.sim is not None and sum(placements(tg.sim).values()) >= n


def _renewed(tg: Session) -> None:
    wire = tg.transport.order_wire  # type: ignore[attr-defined]
    assert wire.planned_reconnects == 1 and wire.connected and wire.connections == 2
