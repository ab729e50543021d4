"""CcxtUserStream (ccxt.pro watch_orders / watch_my_trades) against the simulator's dialects:
fills arrive as OrderFilled with their trade ids, `ready` only after the gap hook ran."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from tradeguard.events import EventBase, OrderFilled, StreamConnected, StreamGapFilled
from tradeguard.model import OrderIntent, OrderType, Side, Symbol


async def test_a_market_fill_arrives_with_its_trade_id(venue: Any) -> None:
    await venue.symbol_rules(["BTCUSDT"], "p")
    seen: list[EventBase] = []
    filled = asyncio.Event()
    gaps: list[int] = []

    def on_event(event: EventBase) -> None:
        seen.append(event)
        if type(event) is OrderFilled:
            filled.set()

    async def on_gap(since_ms: int) -> list[EventBase]:
        gaps.append(since_ms)
        return []

    stream = venue.user_stream(
        {"BTCUSDT": ("BTC", "USDT")}, profile="p", on_gap=on_gap, on_event=on_event
    )
    stream.start()
    try:
        await asyncio.wait_for(stream.ready.wait(), 10)
        assert len(gaps) == 1
        report = await venue.submit(
            OrderIntent(
                client_order_id="tgStream1", symbol=Symbol("BTC", "USDT"), side=Side.BUY,
                type=OrderType.MARKET, qty=Decimal("0.001"),
            )
        )  # fmt: skip
        await asyncio.wait_for(filled.wait(), 10)
    finally:
        await stream.close()
    fills = [e for e in seen if type(e) is OrderFilled]
    assert [type(e) for e in seen[:2]] == [StreamConnected, StreamGapFilled]
    assert fills[0].order_id == report.order_id
    assert fills[0].client_order_id == "tgStream1"
    assert sum(f.qty for f in fills) <= Decimal("0.001")
    assert all(f.trade_id > 0 for f in fills)
