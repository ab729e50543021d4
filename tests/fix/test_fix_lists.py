"""Brackets (OCO) over FIX: `tg.bracket` with order_transport = "fix" is one NewOrderList <E>
(ContingencyType 1 OCO, the below leg first, each leg with its list triggering instructions),
answered with the legs' ExecutionReports and a ListStatus <N>, through TLS on loopback against
the simulator's acceptor; both legs journaled before it leaves; a lost answer an unknown
outcome, resolved by the list's client id (test_fix_list_resolution.py), never resent."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fix.conftest import wire
from tests.scenarios.conftest import assert_invariants, price_off
from tradeguard.errors import OrderRejected, OutcomeUnknown
from tradeguard.events import OrderIntended, ReplyReceived
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote

OCO = "/api/v3/orderList/oco"


async def _bracket(tg: Session, side: str = "SELL") -> tuple[Any, Any]:
    above, below = await price_off(tg, "1"), await price_off(tg, "-1")
    take_profit, stop = (above, below) if side == "SELL" else (below, above)
    return await tg.bracket(
        "BTC/USDT", side, qty="0.001", take_profit=take_profit, stop=stop
    )  # fmt: skip


def _lists_answered(tg: Session) -> int:
    return sum(
        1
        for e in tg.recorder.journal.events()
        if isinstance(e, ReplyReceived) and (e.method, e.path) == ("FIX", "NewOrderList")
    )


async def _counts(remote: SimRemote) -> dict[str, Any]:
    found: dict[str, Any] = (await remote.requests())["requests"]
    return found


@pytest.mark.parametrize("side", ["SELL", "BUY"])
async def test_a_bracket_goes_over_fix_as_one_new_order_list(
    fix_tg: Session, fix_remote: SimRemote, side: str
) -> None:
    await fix_remote.reset_requests()
    take, stop = await _bracket(fix_tg, side)
    assert take.status is OrderStatus.NEW and stop.status is OrderStatus.NEW
    assert take.order_id is not None and stop.order_id is not None
    assert f"POST {OCO}" not in await _counts(fix_remote)
    journal = list(fix_tg.recorder.journal.events())
    intended = [i for i, e in enumerate(journal) if isinstance(e, OrderIntended)]
    [replied] = [
        i
        for i, e in enumerate(journal)
        if isinstance(e, ReplyReceived) and (e.method, e.path) == ("FIX", "NewOrderList")
    ]
    assert len(intended) == 2 and max(intended) < replied  # both legs journaled before it left
    assert wire(fix_tg).lists == 1  # answered by a ListStatus
    canceled = await fix_tg.cancel(take.client_order_id)  # the exchange ends the list with it
    assert canceled.status is OrderStatus.CANCELED
    await fix_tg.wait_for(stop.client_order_id, OrderStatus.CANCELED, timeout_s=5)
    await assert_invariants(fix_tg)


async def test_a_bracket_the_exchange_refuses_is_rejected_with_its_code(fix_tg: Session) -> None:
    with pytest.raises(OrderRejected) as refused:  # the take-profit below the market: no OCO
        await fix_tg.bracket(
            "BTC/USDT", "SELL", qty="0.001",
            take_profit=await price_off(fix_tg, "-1"), stop=await price_off(fix_tg, "-2"),
        )  # fmt: skip
    assert refused.value.code is not None and refused.value.code < 0
    assert _lists_answered(fix_tg) == 1  # refused by the exchange, over FIX
    assert all(o.status is OrderStatus.REJECTED for o in fix_tg.ledger.orders.values())
    await assert_invariants(fix_tg)


async def test_a_bracket_whose_answer_is_lost_is_resolved_never_resent(
    fix_tg: Session, fix_remote: SimRemote
) -> None:
    await _bracket(fix_tg)  # the session is up
    await fix_remote.add_fault(
        {"kind": "drop_after_execute", "method": "POST", "path_prefix": OCO, "count": 1}
    )
    before = set(fix_tg.ledger.orders)
    with pytest.raises(OutcomeUnknown):
        await _bracket(fix_tg)
    legs = [coid for coid in fix_tg.ledger.orders if coid not in before]
    assert len(legs) == 2
    assert fix_tg.sim is not None
    sim = fix_tg.sim.sim
    for coid in legs:
        assert (await fix_tg.resolved(coid, timeout_s=5)).status is OrderStatus.NEW
        on_book = [o for o in sim.engine.open_orders("main", None) if o.client_order_id == coid]
        assert len(on_book) == 1  # placed once
    await _bracket(fix_tg)  # on a new session, reconciled first
    assert wire(fix_tg).connections == 2
    assert _lists_answered(fix_tg) == 2  # the first and the last: the lost one never resent
    assert f"POST {OCO}" not in await _counts(fix_remote)
    await assert_invariants(fix_tg)
