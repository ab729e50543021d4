"""The private stream on a failed gap fill: live events that arrived while `on_gap` ran are
kept for the next gap fill (Binance's stream keeps them too), never dropped with the failed
attempt; the failure is said as StreamGapLost and the stream reconnects."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from tests.venues.ccxt.test_stream_watchdog import until
from tradeguard.errors import TransportError
from tradeguard.events import EventBase, OrderFilled, StreamGapFilled, StreamGapLost
from tradeguard.model import OrderIntent, OrderType, Side, Symbol
from tradeguard.venues.binance.stream import StreamConfig

WAIT_S = 10.0


async def test_live_events_held_during_a_failed_gap_fill_are_delivered_after_the_next(
    venue: Any,
) -> None:
    await venue.symbol_rules(["BTCUSDT"], "p")
    seen: list[EventBase] = []
    filled = asyncio.Event()
    calls = 0

    def on_event(event: EventBase) -> None:
        seen.append(event)
        if type(event) is OrderFilled:
            filled.set()

    async def on_gap(since_ms: int) -> list[EventBase]:
        nonlocal calls
        calls += 1
        if calls == 1:  # the first gap fill: a fill arrives live meanwhile, then it fails
            await venue.submit(
                OrderIntent(
                    client_order_id="tgHeld1", symbol=Symbol("BTC", "USDT"), side=Side.BUY,
                    type=OrderType.MARKET, qty=Decimal("0.001"),
                )
            )  # fmt: skip
            await until(lambda: bool(stream._holding))  # held, not yet delivered
            raise TransportError("the trades query failed")
        return []

    async def no_wait(seconds: float) -> None:
        await asyncio.sleep(0)

    stream = venue.user_stream(
        {"BTCUSDT": ("BTC", "USDT")}, profile="p", on_gap=on_gap, on_event=on_event,
        config=StreamConfig(quiet_after_s=3600.0), sleep=no_wait,
    )  # fmt: skip
    stream.start()
    try:
        await asyncio.wait_for(filled.wait(), WAIT_S)
    finally:
        await stream.close()
    lost = [e for e in seen if type(e) is StreamGapLost]
    assert lost and "trades query failed" in lost[0].reason
    fills = [e for e in seen if type(e) is OrderFilled]
    assert {f.client_order_id for f in fills} == {"tgHeld1"}
    [gap_filled] = [e for e in seen if type(e) is StreamGapFilled]
    assert calls == 2 and seen.index(fills[0]) > seen.index(gap_filled)
