"""Pains 1-3: a placement whose answer is lost or late is UNKNOWN, resolved, never resent."""

from __future__ import annotations

import pytest

from tests.scenarios.conftest import (
    FAST_RESOLVE,
    PLACE_PATH,
    QUERY_PATH,
    assert_invariants,
    binance_only,
    every_venue,
    fill,
    price_off,
    sent_counts,
    unknown_statuses,
)
from tradeguard.errors import OutcomeUnknown
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote

ORDER = "/api/v3/order"


@every_venue
async def test_baseline_limit_fill(tg: Session, remote: SimRemote) -> None:
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(tg, "-1"))
    await fill(remote, tg.venue, order.client_order_id, "0.001")
    await tg.wait_for(order.client_order_id, timeout_s=5)
    assert sent_counts(tg)[order.client_order_id] == 1  # the journal's count is not vacuous
    await assert_invariants(tg)


@every_venue
async def test_pain1_reply_dropped_after_execute_is_resolved_never_resent(
    tg: Session, remote: SimRemote
) -> None:
    place = PLACE_PATH[tg.venue]
    await remote.add_fault(
        {"kind": "drop_after_execute", "method": "POST", "path_prefix": place, "count": 1}
    )
    await remote.reset_requests()
    with pytest.raises(OutcomeUnknown):
        await tg.market_buy("BTC/USDT", qty="0.001")
    [coid] = [o.client_order_id for o in tg.ledger.orders.values()]
    done = await tg.wait_for(coid, OrderStatus.FILLED, timeout_s=5)
    assert done.executed_qty == done.qty
    counts = (await remote.requests())["requests"]
    assert counts.get(f"POST {place}") == 1
    await assert_invariants(tg)


@every_venue
async def test_pain1_reply_dropped_with_stream_silent_is_resolved_by_query(
    fast: Session, fast_remote: SimRemote
) -> None:
    """No reply and no stream event: the resolver's query by client id finds it FILLED and
    books the fills from the venue's trade list."""
    place = PLACE_PATH[fast.venue]
    await fast_remote.add_fault({"kind": "stream_silence", "channel": "user"})
    await fast_remote.add_fault(
        {"kind": "drop_after_execute", "method": "POST", "path_prefix": place, "count": 1}
    )
    with pytest.raises(OutcomeUnknown):
        await fast.market_buy("BTC/USDT", qty="0.001")
    [coid] = unknown_statuses(fast)
    done = await fast.wait_for(coid, OrderStatus.FILLED, timeout_s=5)
    assert done.executed_qty == done.qty == done.fills[0].qty
    assert {f.source for f in done.fills} == {"query"}
    await fast_remote.clear_faults()
    await assert_invariants(fast)
    assert sent_counts(fast)[coid] <= 1


@binance_only
@pytest.mark.parametrize(
    "fault",
    [
        {
            "http_status": 503,
            "code": -1007,
            "msg": "Timeout waiting for response from backend "
            "server. Send status unknown; execution status unknown.",
        },
        {
            "http_status": 500,
            "code": -1006,
            "msg": "An unexpected response was received from "
            "the message bus. Execution status unknown.",
        },
    ],
    ids=["503-1007", "500-1006"],
)
async def test_pain1_binance_5xx_codes_on_order_are_unknown_then_resolved_not_resent(
    fast: Session, fast_remote: SimRemote, fault: dict[str, object]
) -> None:
    """Binance's own 5xx bodies ("execution status unknown"): as the gateway pages below."""
    await _5xx_is_unknown_then_rejected(fast, fast_remote, fault)


@every_venue
@pytest.mark.parametrize(
    "fault",
    [
        {"http_status": 503, "html_body": "<html><body>Service Unavailable</body></html>"},
        {"http_status": 502, "html_body": "<html><body>502 Bad Gateway</body></html>"},
    ],
    ids=["503-html", "502-html"],
)
async def test_pain1_5xx_on_order_is_unknown_then_resolved_not_resent(
    fast: Session, fast_remote: SimRemote, fault: dict[str, object]
) -> None:
    """The 5xx said nothing was executed (the simulator did not place it): UNKNOWN, queried
    by client id with patience until the request's receive window ran out, then REJECTED;
    never resent."""
    await _5xx_is_unknown_then_rejected(fast, fast_remote, fault)


async def _5xx_is_unknown_then_rejected(
    fast: Session, fast_remote: SimRemote, fault: dict[str, object]
) -> None:
    place = PLACE_PATH[fast.venue]
    await fast_remote.add_fault(
        {"kind": "error", "method": "POST", "path_prefix": place, "count": 1, **fault}
    )
    await fast_remote.reset_requests()
    with pytest.raises(OutcomeUnknown):
        await fast.limit_buy("BTC/USDT", qty="0.001", price=await price_off(fast, "-1"))
    [coid] = unknown_statuses(fast)
    done = await fast.wait_for(coid, OrderStatus.REJECTED, timeout_s=10)
    assert "not resent" in (done.reason or "") or "never" in (done.reason or "")
    counts = (await fast_remote.requests())["requests"]
    assert counts.get(f"POST {place}") == 1
    assert counts.get(QUERY_PATH[fast.venue], 0) >= FAST_RESOLVE.min_queries
    await assert_invariants(fast)


@binance_only  # the ccxt wire's read timeout (10 s) is not set from connect
async def test_pain1_5xx_after_the_order_executed_resolves_to_its_fills(
    fast: Session, fast_remote: SimRemote
) -> None:
    """A gateway that times out after the matching engine took the order (a held reply past
    the client's read timeout): UNKNOWN, then the real fills, once."""
    await fast_remote.add_fault({"kind": "stream_silence", "channel": "user"})
    await fast_remote.add_fault(
        {
            "kind": "hold_after_execute",
            "method": "POST",
            "path_prefix": ORDER,
            "count": 1,
            "seconds": 3,
        }
    )
    with pytest.raises(OutcomeUnknown):
        await fast.market_sell("BTC/USDT", qty="0.001")
    # the resolver's query or the stream watchdog's back-fill (1 s without events) finds it
    [coid] = list(fast.ledger.orders)
    done = await fast.wait_for(coid, OrderStatus.FILLED, timeout_s=5)
    assert done.executed_qty == done.qty
    await fast_remote.clear_faults()
    await assert_invariants(fast)


@binance_only  # Binance's -2013 for an order its query does not see yet
async def test_pain2_query_says_2013_right_after_acceptance(
    fast: Session, fast_remote: SimRemote
) -> None:
    """The order rests on the book, the reply is lost, the stream is silent and the first
    queries answer -2013: not failed; the resolver keeps asking and finds it NEW."""
    await fast_remote.add_fault({"kind": "stream_silence", "channel": "user"})
    await fast_remote.add_fault(
        {
            "kind": "error",
            "method": "GET",
            "path_prefix": ORDER,
            "count": 2,
            "http_status": 400,
            "code": -2013,
            "msg": "Order does not exist.",
        }
    )
    await fast_remote.add_fault(
        {"kind": "drop_after_execute", "method": "POST", "path_prefix": ORDER, "count": 1}
    )
    with pytest.raises(OutcomeUnknown):
        await fast.limit_buy("BTC/USDT", qty="0.001", price=await price_off(fast, "-1"))
    [coid] = unknown_statuses(fast)
    found = await fast.wait_for(coid, OrderStatus.NEW, timeout_s=5)
    assert found.order_id is not None
    await fast_remote.clear_faults()
    await assert_invariants(fast)


@every_venue
async def test_pain3_fill_on_the_stream_before_the_rest_reply(
    tg: Session, remote: SimRemote
) -> None:
    await remote.add_fault(
        {
            "kind": "hold_after_execute",
            "method": "POST",
            "path_prefix": PLACE_PATH[tg.venue],
            "count": 1,
            "seconds": 0.5,
        }
    )
    order = await tg.market_buy("BTC/USDT", qty="0.001")
    assert order.status is OrderStatus.FILLED
    mine = [e for e in tg.recorder.journal.events() if getattr(e, "client_order_id", None)
            == order.client_order_id]  # fmt: skip
    kinds = [(type(e).__name__, getattr(e, "source", None)) for e in mine]
    first_fill = kinds.index(("OrderFilled", "stream"))
    reply = kinds.index(("OrderUpdated", "reply"))
    assert first_fill < reply, kinds
    await assert_invariants(tg)
