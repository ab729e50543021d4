"""fix_drop_copy = true: a drop-copy session beside order entry receives every ExecutionReport
of the account (1 s late on Binance); a fill it sees that order entry never brought (its
session dropped just after the order executed, and no user stream) is booked from it, and the
session reconciles: both journaled."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.fix.conftest import fix_profile, wire
from tests.scenarios.conftest import FAST, Connect, assert_invariants, eventually
from tradeguard.errors import OutcomeUnknown
from tradeguard.events import OrderFilled
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote
from tradeguard.venues.binance.fix_drop_copy import DropCopy


async def test_a_fill_order_entry_missed_is_caught_on_drop_copy(
    sessions: Connect, http: aiohttp.ClientSession
) -> None:
    tg: Session = await sessions(fix_profile(fix_drop_copy=True), stream=False, **FAST)
    assert tg.sim is not None and tg.sim.fix is not None
    tg.sim.fix.drop_copy_delay_s = 0.05  # Binance's is 1 s
    drop_copy = wire(tg).drop_copy
    assert drop_copy is not None
    await eventually(lambda: _logged_on(drop_copy.connections))
    remote = SimRemote(tg.sim.control_url, http)
    await remote.add_fault({"kind": "drop_after_execute", "method": "POST", "count": 1})
    with pytest.raises(OutcomeUnknown) as lost:
        await tg.market_buy("BTC/USDT", qty="0.001")
    coid = lost.value.client_order_id
    assert coid is not None
    assert (await tg.resolved(coid, timeout_s=5)).status is OrderStatus.FILLED
    await eventually(lambda: _caught(drop_copy.caught))
    fills = [
        e
        for e in tg.recorder.journal.events()
        if isinstance(e, OrderFilled) and e.client_order_id == coid
    ]
    assert len(fills) >= 1 and tg.position("BTC/USDT").qty > 0
    await assert_invariants(tg)


async def test_without_the_option_there_is_no_drop_copy(fix_tg: Session) -> None:
    assert wire(fix_tg).drop_copy is None


def _logged_on(connections: int) -> None:
    assert connections >= 1


def _caught(caught: int) -> None:
    assert caught >= 1


async def _drop_copy_session(sessions: Connect) -> tuple[Session, DropCopy]:
    tg: Session = await sessions(fix_profile(fix_drop_copy=True), **FAST)
    assert tg.sim is not None and tg.sim.fix is not None
    tg.sim.fix.drop_copy_delay_s = 0.05  # Binance's is 1 s
    drop_copy = wire(tg).drop_copy
    assert drop_copy is not None
    await eventually(lambda: _logged_on(drop_copy.connections))
    return tg, drop_copy


def _acceptor_drop_copies(tg: Session) -> list[Any]:
    assert tg.sim is not None and tg.sim.fix is not None
    return [s for s in tg.sim.fix.sessions if s.drop_copy and not s.closed]


async def test_a_dropped_drop_copy_session_is_opened_again(sessions: Connect) -> None:
    tg, drop_copy = await _drop_copy_session(sessions)
    [session] = _acceptor_drop_copies(tg)
    session.abort()  # the TCP connection cut, no Logout

    def again() -> None:
        assert drop_copy.connections == 2 and len(_acceptor_drop_copies(tg)) == 1

    await eventually(again)
    seen = drop_copy.reports
    order = await tg.market_buy("BTC/USDT", qty="0.001")  # its reports come on the new one
    await tg.wait_for(order.client_order_id, OrderStatus.FILLED, timeout_s=5)
    await eventually(lambda: _more(drop_copy.reports, seen))
    await assert_invariants(tg)


async def test_news_logs_the_drop_copy_session_out_and_a_new_one_on(
    sessions: Connect, http: aiohttp.ClientSession
) -> None:
    tg, drop_copy = await _drop_copy_session(sessions)
    [old] = _acceptor_drop_copies(tg)
    assert tg.sim is not None
    await SimRemote(tg.sim.control_url, http).add_fault({"kind": "fix_news", "seconds": 30})

    def moved() -> None:
        assert drop_copy.connections == 2 and old.closed  # logged out by us, not by the server
        assert [s for s in _acceptor_drop_copies(tg) if s is not old]

    await eventually(moved)
    await assert_invariants(tg)


def _more(count: int, than: int) -> None:
    assert count > than


async def test_a_rotated_key_logs_drop_copy_on_again_with_it(sessions: Connect) -> None:
    """keys.rotation hands the transport the audited new key, which tells its FIX wire: drop
    copy logs its session out and a new one on with that key (the old key's session would end
    once it is deleted)."""
    from tradeguard.session.connect import sim_key_credentials
    from tradeguard.sim.keys import _TRADE_ONLY, _make_key, listing

    tg, drop_copy = await _drop_copy_session(sessions)
    [old] = _acceptor_drop_copies(tg)
    assert tg.sim is not None
    sim = tg.sim.sim
    made = _make_key(
        99, "rotated-ed25519", "ED25519", "main", sim.clock.now_ms(),
        **(_TRADE_ONLY | {"enable_fix_api_trade": True}),
    )  # fmt: skip
    sim.keystore.add(made)
    fresh = sim_key_credentials([listing(made)], "rotated-ed25519")
    assert fresh is not None
    tg.transport.use_credentials(fresh)  # what keys.rotation.rotate_now calls after the audit

    def on_with_the_new_key() -> None:
        assert old.closed and drop_copy.connections == 2
        [now] = _acceptor_drop_copies(tg)
        assert now.key is not None and now.key.api_key == made.api_key

    await eventually(on_with_the_new_key)
    sim.keystore.revoke("trade-only-ed25519")  # the user deletes the old key
    seen = drop_copy.reports
    order = await tg.market_buy("BTC/USDT", qty="0.001")  # order entry's session stays on
    await tg.wait_for(order.client_order_id, OrderStatus.FILLED, timeout_s=5)
    await eventually(lambda: _more(drop_copy.reports, seen))
