"""order_transport = "fix": orders placed and cancelled over Binance's FIX order entry with
REST's guarantees, through TLS on loopback against the simulator's acceptor: the intent
journaled first, fills booked, a lost answer an unknown outcome resolved by client order id
and never resent, a broken session reconnected and reconciled before the next order, News a
planned reconnect."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.fix.conftest import fix_profile, wire
from tests.scenarios.conftest import (
    Connect,
    assert_invariants,
    eventually,
    placements,
    price_off,
    sent_counts,
)
from tradeguard.errors import ConfigError, OrderRejected, OutcomeUnknown
from tradeguard.events import ReplyReceived
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote


async def counts(remote: SimRemote) -> dict[str, Any]:
    found: dict[str, Any] = (await remote.requests())["requests"]
    return found


async def test_orders_go_over_fix(fix_tg: Session, fix_remote: SimRemote) -> None:
    await fix_remote.reset_requests()
    order = await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(fix_tg, "-1"))
    assert order.status is OrderStatus.NEW and order.order_id is not None
    canceled = await fix_tg.cancel(order.client_order_id)
    assert canceled.status is OrderStatus.CANCELED
    seen = await counts(fix_remote)
    assert "POST /api/v3/order" not in seen and "DELETE /api/v3/order" not in seen
    assert wire(fix_tg).connections == 1
    kinds = [
        type(e).__name__
        for e in fix_tg.recorder.journal.events()
        if getattr(e, "client_order_id", None) == order.client_order_id
    ]
    assert kinds.index("OrderIntended") < kinds.index("ReplyReceived")
    # each reply journaled under the FIX message that was sent, not its REST twin's path
    sent = [
        (e.method, e.path)
        for e in fix_tg.recorder.journal.events()
        if isinstance(e, ReplyReceived) and e.client_order_id == order.client_order_id
    ]
    assert sent == [("FIX", "NewOrderSingle"), ("FIX", "OrderCancelRequest")]
    await assert_invariants(fix_tg)


async def test_a_market_order_fills_and_its_fills_are_booked(fix_tg: Session) -> None:
    order = await fix_tg.market_buy("BTC/USDT", qty="0.001")
    done = await fix_tg.wait_for(order.client_order_id, timeout_s=5)
    assert done.status is OrderStatus.FILLED and done.executed_qty == Decimal("0.001")
    assert fix_tg.position("BTC/USDT").qty > 0
    assert wire(fix_tg).reports >= 2  # the NEW ack and the trade, as ExecutionReports
    await assert_invariants(fix_tg)


async def test_an_order_the_exchange_refuses_is_rejected_with_its_code(fix_tg: Session) -> None:
    price = await price_off(fix_tg, "1")  # a post-only buy above the market would take
    with pytest.raises(OrderRejected) as refused:
        await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=price, post_only=True)
    assert refused.value.code == -2010 and "immediately match" in refused.value.msg


async def test_a_dropped_connection_after_the_send_is_resolved_never_resent(
    fix_tg: Session, fix_remote: SimRemote
) -> None:
    price = await price_off(fix_tg, "-1")
    await fix_remote.add_fault({"kind": "drop_after_execute", "method": "POST", "count": 1})
    with pytest.raises(OutcomeUnknown) as lost:
        await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    coid = lost.value.client_order_id
    assert coid is not None
    resolved = await fix_tg.resolved(coid, timeout_s=5)
    assert resolved.status is OrderStatus.NEW
    assert placements(fix_tg.sim)[coid] == 1  # type: ignore[arg-type]
    again = await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=price)  # a new session
    assert again.status is OrderStatus.NEW and wire(fix_tg).connections == 2
    assert sent_counts(fix_tg)[coid] == 0  # the lost one was never answered, never resent
    await assert_invariants(fix_tg)


@pytest.mark.parametrize("fault", ["fix_garble", "fix_seq_gap"])
async def test_a_garbled_or_skipped_answer_is_an_unknown_outcome_resolved(
    fix_tg: Session, fix_remote: SimRemote, fault: str
) -> None:
    price = await price_off(fix_tg, "-1")
    await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=price)  # the session is up
    await fix_remote.add_fault({"kind": fault})
    with pytest.raises(OutcomeUnknown) as lost:
        await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    coid = lost.value.client_order_id
    assert coid is not None
    assert (await fix_tg.resolved(coid, timeout_s=5)).status is OrderStatus.NEW
    assert placements(fix_tg.sim)[coid] == 1  # type: ignore[arg-type]
    await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    assert wire(fix_tg).connections == 2
    await assert_invariants(fix_tg)


async def test_a_new_session_reconciles_before_it_sends(
    fix_tg: Session, fix_remote: SimRemote
) -> None:
    price = await price_off(fix_tg, "-1")
    resumed: list[int] = []
    resume = wire(fix_tg).before_resume
    assert resume is not None

    async def counted() -> None:
        resumed.append(wire(fix_tg).connections)
        await resume()

    wire(fix_tg).before_resume = counted
    await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    assert resumed == []  # the first session: connect reconciled already
    await fix_remote.add_fault({"kind": "drop_after_execute", "method": "POST", "count": 1})
    with pytest.raises(OutcomeUnknown):
        await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    assert resumed == [1]


async def test_news_then_logout_is_a_planned_reconnect(
    fix_tg: Session, fix_remote: SimRemote
) -> None:
    price = await price_off(fix_tg, "-1")
    await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    resumed: list[int] = []
    resume = wire(fix_tg).before_resume
    assert resume is not None

    async def counted() -> None:
        resumed.append(wire(fix_tg).connections)
        await resume()

    wire(fix_tg).before_resume = counted
    await fix_remote.add_fault({"kind": "fix_news", "seconds": 5})

    def told() -> None:
        assert wire(fix_tg).news == 1

    await eventually(told)
    order = await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=price)  # on a new session
    assert order.status is OrderStatus.NEW and wire(fix_tg).connections == 2
    assert resumed == [1]  # reconciled before the order left on the new session
    assert fix_tg.sim is not None and fix_tg.sim.fix is not None
    await eventually(lambda: _one_session(fix_tg))  # the old one logged out, not cut
    await assert_invariants(fix_tg)


def _one_session(tg: Session) -> None:
    assert tg.sim is not None and tg.sim.fix is not None
    assert len(tg.sim.fix.sessions) == 1


async def test_an_hmac_key_is_refused_in_one_line(sessions: Connect) -> None:
    with pytest.raises(ConfigError) as refused:
        await sessions(fix_profile(), sim_key="trade-only")
    assert 'order_transport = "fix" needs an Ed25519 API key' in str(refused.value)
    assert "\n" not in str(refused.value)


async def test_a_fill_from_fix_and_from_the_user_stream_is_booked_once(fix_tg: Session) -> None:
    """FIX's ExecutionReports are read as the user stream's executionReports: the fill comes
    twice (FIX and the stream) and is booked once, by its trade id."""
    order = await fix_tg.market_buy("BTC/USDT", qty="0.001")
    done = await fix_tg.wait_for(order.client_order_id, timeout_s=5)
    assert done.status is OrderStatus.FILLED

    def met_twice() -> None:
        assert fix_tg.recorder.repeated_fills >= 1

    await eventually(met_twice)
    fills = [
        e
        for e in fix_tg.recorder.journal.events()
        if type(e).__name__ == "OrderFilled" and e.client_order_id == order.client_order_id
    ]
    assert len(fills) == 1 and fix_tg.position("BTC/USDT").fills == 1
    await assert_invariants(fix_tg)


async def test_cancel_replace_goes_over_fix(fix_tg: Session, fix_remote: SimRemote) -> None:
    order = await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(fix_tg, "-1"))
    await fix_remote.reset_requests()
    new = await fix_tg.cancel_replace(order.client_order_id, price=await price_off(fix_tg, "-2"))
    assert new.status is OrderStatus.NEW and new.client_order_id != order.client_order_id
    old = fix_tg.order(order.client_order_id)
    assert old is not None and old.status is OrderStatus.CANCELED
    assert "POST /api/v3/order/cancelReplace" not in await counts(fix_remote)
    await assert_invariants(fix_tg)


async def test_cancel_replace_whose_new_order_is_refused_is_the_409(fix_tg: Session) -> None:
    order = await fix_tg.limit_buy(
        "BTC/USDT", qty="0.001", price=await price_off(fix_tg, "-1"), post_only=True
    )
    with pytest.raises(OrderRejected) as refused:  # a post-only buy above the market would take
        await fix_tg.cancel_replace(order.client_order_id, price=await price_off(fix_tg, "0.5"))
    assert (refused.value.code, refused.value.http_status) == (-2021, 409)
    old = fix_tg.order(order.client_order_id)
    assert old is not None and old.status is OrderStatus.CANCELED
    [new] = [o for o in fix_tg.ledger.orders.values() if o.client_order_id != order.client_order_id]
    assert new.status is OrderStatus.REJECTED and new.reason is not None and "-2010" in new.reason
    await assert_invariants(fix_tg)


async def test_a_garbled_logon_answer_is_not_sent_and_tried_again(
    fix_tg: Session, fix_remote: SimRemote
) -> None:
    """The order that opens the session waits behind its Logon: a Logon answered with garbage
    sent nothing of the order, which goes out once on the next session."""
    await fix_remote.add_fault({"kind": "fix_garble"})
    order = await fix_tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(fix_tg, "-1"))
    assert order.status is OrderStatus.NEW
    assert wire(fix_tg).failed_connects == 0 and wire(fix_tg).connections == 1
    assert fix_tg.sim is not None and fix_tg.sim.fix is not None
    assert fix_tg.sim.fix.connections == 2  # the garbled Logon's, then the one that carried it
    assert placements(fix_tg.sim)[order.client_order_id] == 1  # type: ignore[arg-type]
    await assert_invariants(fix_tg)
