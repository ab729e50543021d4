"""Pain 23: a key rotated without a restart, on every venue. `tradeguard keys rotate` swaps the
key where the profile reads it and touches a stamp; the running session audits the new key and
signs with it from then on (its user stream logs in again with it), and refuses a replacement
that fails its audit, keeping the old key."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tradeguard.cli.keys import CredentialWatch, rotation_stamp
from tradeguard.events import ErrorRaised, KeyAudited
from tradeguard.keys.rotation import rotate_now, rotation_look
from tradeguard.sim import server
from tradeguard.sim.remote import SimRemote

from .conftest import (
    Connect,
    assert_invariants,
    eventually,
    every_venue,
    fill,
    price_off,
    use_key,
)


@every_venue
async def test_pain23_a_rotated_key_is_audited_and_used_without_a_restart(
    sessions: Connect,
    exchange: server.RunningSim,
    control: SimRemote,
    venue: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tg = await sessions("bot")
    old = tg.transport.credentials.api_key
    await tg.market_buy("BTC/USDT", qty="0.001")
    logins = tg.stream.connections

    replacement = use_key(exchange, "no-ip-restriction", monkeypatch)[0]  # a fresh key
    from tradeguard.profile.profiles import load

    assert await rotate_now(tg, load("bot")) is True
    assert tg.transport.credentials.api_key == replacement.api_key != old
    # the user stream logged in again with the new key, back-filling the moment between
    await eventually(lambda: _logged_in_again(tg, logins))
    exchange.sim.keystore.revoke("trade-only")  # the user deletes the old key
    order = await tg.market_sell("BTC/USDT", qty="0.001")
    assert order.order_id is not None
    resting = await tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(tg, "-1"))
    await fill(control, venue, resting.client_order_id, "0.001")  # over the renewed stream
    done = await tg.wait_for(resting.client_order_id)
    assert done.executed_qty == resting.qty
    audited = [r.event for r in tg.recorder.journal.records() if isinstance(r.event, KeyAudited)]
    assert "rotation: replaces" in audited[-1].findings[0]
    await assert_invariants(tg, exchange)


def _logged_in_again(tg: Any, logins: int) -> None:
    assert tg.stream.connections > logins and tg.ready.is_set()
    assert any("rotated" in why for why in tg.stream.restarts)


@every_venue
async def test_pain23_a_replacement_that_fails_its_audit_is_not_used(
    sessions: Connect, exchange: server.RunningSim, venue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tg = await sessions("bot")
    old = tg.transport.credentials.api_key
    if venue == "kraken":  # Kraken does not say whether a key can withdraw: a deleted key
        use_key(exchange, "no-ip-restriction", monkeypatch)
        exchange.sim.keystore.revoke("no-ip-restriction")
        why = "invalid"
    else:
        use_key(exchange, "withdraw-enabled", monkeypatch)
        why = "withdraw"
    from tradeguard.profile.profiles import load

    assert await rotate_now(tg, load("bot")) is False
    assert tg.transport.credentials.api_key == old
    errors = [r.event for r in tg.recorder.journal.records() if isinstance(r.event, ErrorRaised)]
    assert "key rotation refused" in errors[-1].message and why in errors[-1].message.lower()
    await tg.market_buy("BTC/USDT", qty="0.001")  # still trading on the old key


async def test_pain23_the_rotation_look_rides_the_session_heartbeat(
    sessions: Connect, exchange: server.RunningSim
) -> None:
    # no timer of its own: one idle wake-up of the loop less every 5 s
    tg = await sessions("bot")
    assert tg.transport.credentials is not None  # a key that rotates
    running = [task.get_coro().__qualname__ for task in tg._tasks]  # type: ignore[union-attr]
    assert "follow_rotations" not in running
    assert running.count("StopCalls.heartbeat") == 1


async def test_pain23_the_look_stats_the_stamp_once_its_interval_has_passed(
    sessions: Connect, exchange: server.RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    tg = await sessions("bot")
    looks: list[bool] = []
    poll = CredentialWatch.poll

    def counted(watch: CredentialWatch) -> bool:
        looks.append(changed := poll(watch))
        return changed

    monkeypatch.setattr(CredentialWatch, "poll", counted)
    now = [0.0]
    from tradeguard.profile.profiles import load

    look = rotation_look(tg, load("bot"), every_s=5.0, monotonic=lambda: now[0])
    assert look is not None
    replacement = exchange.key("no-ip-restriction")
    monkeypatch.setenv("TG_SCENARIO_KEY", replacement.api_key)
    monkeypatch.setenv("TG_SCENARIO_SECRET", replacement.secret)
    stamp = rotation_stamp("bot", os.environ)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text("{}")  # what `tradeguard keys rotate` does after its swap
    for beat in range(1, 5):  # four beats of a second: no look yet
        now[0] = float(beat)
        look()
    assert looks == []
    now[0] = 5.0
    look()  # the fifth: one stat, which sees the stamp, and the swap runs on its own
    assert looks == [True]
    await eventually(lambda: _signs_with(tg, replacement.api_key))
    now[0] = 6.0
    look()
    assert looks == [True]  # and none again before another 5 s


@every_venue
async def test_pain23_a_key_rotated_by_the_command_is_used_within_seconds(
    sessions: Connect, exchange: server.RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the session's own heartbeat, looking at every beat: no call of rotate_now by the test
    tg = await sessions("bot", rotation_poll_s=0.0)
    replacement = use_key(exchange, "no-ip-restriction", monkeypatch)[0]
    stamp = rotation_stamp("bot", os.environ)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text("{}")
    await eventually(lambda: _signs_with(tg, replacement.api_key), timeout_s=15)
    order = await tg.market_buy("BTC/USDT", qty="0.001")
    assert order.order_id is not None


def _signs_with(tg: Any, api_key: str) -> None:
    assert tg.transport.credentials.api_key == api_key
