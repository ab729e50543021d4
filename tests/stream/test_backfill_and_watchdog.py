"""The back-fill on its own, and the watchdog's dead-socket rule against a server that never
answers a ping (the simulator always does)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from aiohttp import WSMsgType, web

from tests.stream.conftest import ASSETS, PROFILE, SYMBOL, Env
from tests.transport.conftest import credentials
from tradeguard.events import OrderFilled, OrderUpdated, StreamGapFilled
from tradeguard.model import OrderStatus
from tradeguard.venues.binance.backfill import backfill
from tradeguard.venues.binance.stream import StreamConfig, UserStream


async def test_backfill_reads_trades_since_the_last_id_open_orders_and_closed_ones(
    env: Env,
) -> None:
    kept, gone, resting = env.intend(), env.intend(), env.intend()
    placed = {o.client_order_id: await env.venue.place_order(o) for o in (kept, gone, resting)}
    await env.paired.remote.fill(SYMBOL, "0.0002", order_id=placed[kept.client_order_id].order_id)
    first = (await env.venue.my_trades(SYMBOL))[-1].trade_id
    await env.paired.remote.fill(SYMBOL, "0.0003", order_id=placed[kept.client_order_id].order_id)
    await env.venue.cancel_order(SYMBOL, client_order_id=gone.client_order_id)
    events = await backfill(
        env.venue, ASSETS, {SYMBOL: first}, profile=PROFILE,
        still_open=[(SYMBOL, gone.client_order_id), (SYMBOL, kept.client_order_id)],
    )  # fmt: skip
    fills = [e for e in events if isinstance(e, OrderFilled)]
    assert [(f.qty, f.source) for f in fills] == [(Decimal("0.0003"), "query")]
    assert fills[0].client_order_id == kept.client_order_id  # looked up by its order id
    updates = {e.client_order_id: e for e in events if isinstance(e, OrderUpdated)}
    assert updates[gone.client_order_id].status is OrderStatus.CANCELED
    assert updates[kept.client_order_id].status is OrderStatus.PARTIALLY_FILLED
    assert updates[kept.client_order_id].executed_qty == Decimal("0.0005")
    assert updates[resting.client_order_id].status is OrderStatus.NEW
    assert all(e.source == "query" for e in updates.values())


@pytest.fixture
async def deaf_server() -> AsyncIterator[tuple[str, list[str]]]:
    """A WS API that answers the subscription and then nothing at all."""
    seen: list[str] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                seen.append(message.data)
                if "subscribe" in message.data:
                    request_id = message.json()["id"]
                    await ws.send_json({"id": request_id, "status": 200,
                                        "result": {"subscriptionId": 0}})  # fmt: skip
        return ws

    app = web.Application()
    app.router.add_get("/ws-api/v3", handler)
    # its sockets never close on their own: cleanup must not wait aiohttp's minute for them
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"ws://127.0.0.1:{port}/ws-api/v3", seen
    finally:
        await runner.cleanup()


async def test_a_socket_that_stops_answering_pings_is_replaced(
    env: Env, deaf_server: tuple[str, list[str]]
) -> None:
    url, seen = deaf_server
    gaps: list[StreamGapFilled] = []

    def on_event(event: object) -> None:
        if isinstance(event, StreamGapFilled):
            gaps.append(event)

    async def no_gap(since_ms: int) -> list[OrderFilled]:
        return []

    stream = UserStream(
        url, credentials(env.paired.running), ASSETS, profile=PROFILE, on_gap=no_gap,
        on_event=on_event, clock=env.paired.clock, sleep=env.timer.sleep,
        config=StreamConfig(ping_after_s=20, pong_timeout_s=10, quiet_after_s=3600),
    )  # fmt: skip
    env.streams.append(stream)
    stream.start()
    await asyncio.wait_for(stream.wait_ready(), 3)
    for _ in range(40):
        if len(gaps) >= 2:
            break
        await env.timer.advance(1)
        for _ in range(20):
            await asyncio.sleep(0)
    assert len(gaps) >= 2, list(stream.restarts)
    assert stream.restarts[0] == "no pong"
    assert any('"method":"ping"' in s for s in seen)
    assert not any("signature=" in r or "secret" in r for r in stream.restarts)


async def test_close_while_a_subscription_is_being_abandoned_ends_the_stream(env: Env) -> None:
    """close() arriving while the stream waits for an abandoned gap fill to end (a rotated key
    cut it short) stops the stream; it used to be swallowed there, and the stream went on
    reconnecting while close() waited for it forever."""
    started, cut = asyncio.Event(), asyncio.Event()

    async def slow_gap(since_ms: int) -> list[OrderFilled]:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cut.set()
            await asyncio.sleep(0.05)  # a hook that takes a moment to clean up
            raise
        return []

    stream = UserStream(
        env.paired.running.ws_api_url, credentials(env.paired.running), ASSETS, profile=PROFILE,
        on_gap=slow_gap, clock=env.paired.clock, sleep=env.timer.sleep,
    )  # fmt: skip
    env.streams.append(stream)
    stream.start()
    await asyncio.wait_for(started.wait(), 3)
    stream.renew(credentials(env.paired.running))
    await asyncio.wait_for(cut.wait(), 3)
    await asyncio.wait_for(stream.close(), 3)
    assert stream.connections == 1
