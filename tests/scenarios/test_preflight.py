"""Pains 17 and 22 through `connect`: the clock and the key are checked before any order.

17: a host clock a few seconds off signs through the measured offset; thirty seconds off is
refused with a clear error and no signed request. 22: a key that can withdraw is refused at
connect, naming the fix; the trade-only key passes."""

from __future__ import annotations

import aiohttp
import pytest

from tradeguard.errors import ClockSkewError, KeyAuditFailed
from tradeguard.sim import server
from tradeguard.sim.remote import SimRemote

from .conftest import Connect, assert_invariants


@pytest.mark.parametrize("offset_ms", [3_000, -3_000])
async def test_pain17_a_few_seconds_of_skew_trade_through_the_offset(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote, offset_ms: int
) -> None:
    await control.clock(offset_ms=offset_ms)
    tg = await sessions("bot")
    assert tg.ledger.clock is not None and abs(tg.ledger.clock.offset_ms - offset_ms) < 100
    order = await tg.market_buy("BTC/USDT", qty="0.001")
    assert order.order_id is not None
    await assert_invariants(tg, exchange)


async def test_pain17_thirty_seconds_of_skew_is_refused_before_any_signed_request(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote
) -> None:
    await control.clock(offset_ms=30_000)
    before = (await control.requests())["requests"]
    with pytest.raises(ClockSkewError) as refused:
        await sessions("bot")
    assert "NTP" in str(refused.value)
    after = (await control.requests())["requests"]
    signed = [k for k in after if k.startswith(("GET /api/v3/account", "POST /api/v3/order"))]
    assert all(after.get(k) == before.get(k) for k in signed)


async def test_pain22_a_key_that_can_withdraw_is_refused_at_connect(
    sessions: Connect, exchange: server.RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    unsafe = exchange.key("withdraw-enabled")
    monkeypatch.setenv("TG_SCENARIO_KEY", unsafe.api_key)
    monkeypatch.setenv("TG_SCENARIO_SECRET", unsafe.secret)
    with pytest.raises(KeyAuditFailed) as refused:
        await sessions("bot")
    assert "withdraw" in str(refused.value).lower()
    async with aiohttp.ClientSession() as http:
        counts = await SimRemote(exchange.control_url, http).requests()
    assert counts["requests"].get("POST /api/v3/order", 0) == 0
