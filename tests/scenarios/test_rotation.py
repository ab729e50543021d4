"""Pain 23: a key rotated without a restart. `tradeguard keys rotate` swaps the key where the
profile reads it and touches a stamp; the running session audits the new key and signs with it
from then on, and refuses a replacement that fails its audit, keeping the old key."""

from __future__ import annotations

import pytest

from tradeguard.events import ErrorRaised, KeyAudited
from tradeguard.keys.rotation import rotate_now
from tradeguard.sim import server

from .conftest import Connect, assert_invariants


async def test_pain23_a_rotated_key_is_audited_and_used_without_a_restart(
    sessions: Connect, exchange: server.RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    tg = await sessions("bot")
    old = tg.transport.credentials.api_key
    await tg.market_buy("BTC/USDT", qty="0.001")

    replacement = exchange.key("no-ip-restriction")  # same account, a fresh key
    monkeypatch.setenv("TG_SCENARIO_KEY", replacement.api_key)
    monkeypatch.setenv("TG_SCENARIO_SECRET", replacement.secret)
    from tradeguard.profile.profiles import load

    assert await rotate_now(tg, load("bot")) is True
    assert tg.transport.credentials.api_key == replacement.api_key != old
    order = await tg.market_sell("BTC/USDT", qty="0.001")
    assert order.order_id is not None
    audited = [r.event for r in tg.recorder.journal.records() if isinstance(r.event, KeyAudited)]
    assert "rotation: replaces" in audited[-1].findings[0]
    await assert_invariants(tg, exchange)


async def test_pain23_a_replacement_that_fails_its_audit_is_not_used(
    sessions: Connect, exchange: server.RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    tg = await sessions("bot")
    old = tg.transport.credentials.api_key
    unsafe = exchange.key("withdraw-enabled")
    monkeypatch.setenv("TG_SCENARIO_KEY", unsafe.api_key)
    monkeypatch.setenv("TG_SCENARIO_SECRET", unsafe.secret)
    from tradeguard.profile.profiles import load

    assert await rotate_now(tg, load("bot")) is False
    assert tg.transport.credentials.api_key == old
    errors = [r.event for r in tg.recorder.journal.records() if isinstance(r.event, ErrorRaised)]
    assert "key rotation refused" in errors[-1].message and "withdraw" in errors[-1].message.lower()
    await tg.market_buy("BTC/USDT", qty="0.001")  # still trading on the old key
