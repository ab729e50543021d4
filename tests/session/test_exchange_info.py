"""exchangeInfo is read once at connect and refreshed on a timer, in place."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

import msgspec

from tradeguard.session.guard import Session
from tradeguard.venues.binance import exchange_info


async def test_stale_rules_are_refreshed_in_place(tg: Session) -> None:
    fresh = tg.rules["BTCUSDT"]
    rules = tg.rules
    assert isinstance(rules, dict)
    rules["BTCUSDT"] = msgspec.structs.replace(fresh, tick_size=Decimal("1"))
    task = asyncio.ensure_future(exchange_info.keep_fresh(tg.transport, rules, tg.profile, 0.01))
    try:
        for _ in range(200):
            await asyncio.sleep(0.01)
            if rules["BTCUSDT"].tick_size == fresh.tick_size:
                break
        assert rules["BTCUSDT"] == fresh
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
