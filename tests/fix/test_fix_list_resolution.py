"""A NewOrderList whose answer was lost is resolved by its list as a whole: the resolver asks
the exchange for the list by its client id (`GET /api/v3/orderList`), not for each leg by its
own, and concludes for every leg at once (a list is placed whole or not at all)."""

from __future__ import annotations

import pytest

from tests.fix.test_fix_lists import OCO, _bracket, _counts
from tradeguard.errors import OutcomeUnknown
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote


async def test_a_list_that_never_reached_the_exchange_is_concluded_by_the_list(
    fix_tg: Session, fix_remote: SimRemote
) -> None:
    await _bracket(fix_tg)  # the session is up
    await fix_remote.add_fault(
        {"kind": "drop_before_execute", "method": "POST", "path_prefix": OCO, "count": 1}
    )
    before = set(fix_tg.ledger.orders)
    await fix_remote.reset_requests()
    with pytest.raises(OutcomeUnknown):
        await _bracket(fix_tg)
    legs = [coid for coid in fix_tg.ledger.orders if coid not in before]
    assert len(legs) == 2
    for coid in legs:
        done = await fix_tg.resolved(coid, timeout_s=30)
        assert done.status is OrderStatus.REJECTED and "never reached" in (done.reason or "")
    asked = await _counts(fix_remote)
    assert asked.get("GET /api/v3/order", 0) == 0, asked  # no leg was asked for on its own
    assert asked.get("GET /api/v3/orderList", 0) >= 3, asked  # the list was, until concluded
