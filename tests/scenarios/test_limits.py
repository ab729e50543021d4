"""Pains 14-16, 19-21 and the read-only profile: bans and pauses, limits read from the
exchange, a breaker for a rejection that keeps coming, maintenance at start and mid-run, a
second leg that cannot be placed, and trading stopped while positions stay managed."""

from __future__ import annotations

import pytest

from tests.scenarios.conftest import (
    FAST,
    PLACE_PATH,
    Connect,
    assert_invariants,
    binance_only,
    embedded,
    eventually,
    every_venue,
    fill,
    price_off,
    unknown_statuses,
)
from tradeguard.errors import (
    BreakerOpen,
    GuardError,
    OrderRejected,
    OutcomeUnknown,
    RateLimited,
    RiskDenied,
)
from tradeguard.events import AlertRaised, RateLimitChanged
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim import server
from tradeguard.sim.remote import SimRemote

ORDER = "/api/v3/order"


async def _posts(remote: SimRemote, venue: str = "binance") -> int:
    counts = (await remote.requests())["requests"]
    return int(counts.get(f"POST {PLACE_PATH[venue]}", 0))


def _events(tg: Session, kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in tg.recorder.journal.events() if isinstance(e, kind)]


@every_venue
async def test_pain14_429_retry_after_pauses_then_resumes(tg: Session, remote: SimRemote) -> None:
    """A rate-limit answer to an order (each dialect's own: Binance -1003, Bybit 10006, OKX
    50011, Kraken EAPI:Rate limit exceeded) pauses every request until the pause ends."""
    await remote.add_fault(
        {"kind": "error", "method": "POST", "path_prefix": PLACE_PATH[tg.venue], "count": 1,
         "http_status": 429, "retry_after_s": 1}
    )  # fmt: skip
    with pytest.raises(RateLimited):
        await tg.market_buy("BTC/USDT", qty="0.0001")
    [pause] = [e for e in _events(tg, RateLimitChanged) if e.limit == "pause"]
    assert pause.until_ms is not None
    refused = [o for o in tg.ledger.orders.values() if o.status is OrderStatus.REJECTED]
    assert len(refused) == 1  # a 429 placed nothing: REJECTED, not UNKNOWN, not resent
    order = await tg.market_buy("BTC/USDT", qty="0.0001")  # waits out the pause, then goes
    assert (await tg.wait_for(order.client_order_id, timeout_s=10)).status is OrderStatus.FILLED
    assert tg.transport.server_now_ms() >= pause.until_ms
    assert await _posts(remote, tg.venue) == 2
    await assert_invariants(tg)


@binance_only  # the 418 ladder
async def test_pain14_418_ban_hard_stop_alert_and_outlives_a_restart(
    sessions: Connect,
    exchange: server.RunningSim,
    control: SimRemote,
) -> None:
    tg = await sessions("bot", **FAST)
    resting = await tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(tg, "-1"))
    await control.add_fault(
        {"kind": "error", "method": "POST", "path_prefix": ORDER, "count": 1, "http_status": 418,
         "code": -1003, "msg": "Way too many requests; IP banned.", "retry_after_s": 120}
    )  # fmt: skip
    with pytest.raises(RateLimited):
        await tg.market_buy("BTC/USDT", qty="0.0001")
    before = await _posts(control)
    with pytest.raises(RateLimited) as again:
        await tg.market_buy("BTC/USDT", qty="0.0001")
    assert again.value.http_status == 418
    assert await _posts(control) == before  # no request left during the ban
    [ban] = [e for e in _events(tg, RateLimitChanged) if e.limit == "ban"]
    await eventually(lambda: _alerted(tg, "ban"))
    # the resting order is still managed: its fill arrives over the stream
    await fill(control, "binance", resting.client_order_id, "0.001")
    await tg.wait_for(resting.client_order_id, OrderStatus.FILLED, timeout_s=5)
    await assert_invariants(tg, exchange)
    await tg.close(cancel_open=False)
    await control.reset_requests()
    with pytest.raises(RateLimited) as restarted:  # a restart does not lift the ban
        await sessions("bot", **FAST)
    assert restarted.value.banned_until_ms == ban.until_ms
    assert (await control.requests())["total"] == 0


def _alerted(tg: Session, kind: str) -> None:
    assert any(e.kind == kind for e in _events(tg, AlertRaised))


@binance_only  # exchangeInfo's rate limits
async def test_pain15_order_count_limits_come_from_exchange_info(tg: Session) -> None:
    """The limiter holds exchangeInfo's rules (not hard-coded ones) and the reply headers'
    counts: after the budget of orders in 10 s, the next order would wait, not be sent."""
    ledger = tg.transport.ledger
    rules = tg.sim.sim.config.limits
    for _ in range(3):
        await tg.market_buy("BTC/USDT", qty="0.0001")
    now = tg.transport.server_now_ms()
    assert ledger.wait(1, 1, now).seconds == 0
    assert ledger.wait(1, rules.orders_per_10s, now).seconds > 0  # 3 + 50 > 50 in 10 s
    assert tg.ledger.peak_order_count >= 3
    await assert_invariants(tg)


@binance_only  # Binance's -2010
async def test_pain16_the_same_rejection_repeated_trips_the_breaker(
    tg: Session, remote: SimRemote
) -> None:
    await remote.add_fault(
        {"kind": "error", "method": "POST", "path_prefix": ORDER, "http_status": 400,
         "code": -2010, "msg": "Account has insufficient balance for requested action."}
    )  # fmt: skip
    threshold = tg.transport.breaker.threshold
    for _ in range(threshold):
        with pytest.raises(OrderRejected):
            await tg.market_buy("BTC/USDT", qty="0.0001")
    sent = await _posts(remote)
    assert sent == threshold
    with pytest.raises(BreakerOpen):
        await tg.market_buy("BTC/USDT", qty="0.0001")
    assert await _posts(remote) == sent  # the breaker sent nothing
    assert [e.limit for e in _events(tg, RateLimitChanged)] == ["breaker"]
    await remote.clear_faults()
    await assert_invariants(tg)


@every_venue
async def test_pain19_maintenance_at_start_refuses_clearly(
    sessions: Connect,
    exchange: server.RunningSim,
    control: SimRemote,
) -> None:
    await control.add_fault({"kind": "maintenance"})
    with pytest.raises(GuardError) as refused:
        await sessions("bot", **FAST)
    text = str(refused.value)
    assert "connect refused" in text and "503" in text and "maintenance" in text
    assert f"({exchange.venue}: " in text  # the hint names this venue's status page
    await control.clear_faults()
    tg = await sessions("bot", **FAST)
    await tg.market_buy("BTC/USDT", qty="0.0001")
    await assert_invariants(tg, exchange)


@every_venue
async def test_pain19_maintenance_mid_run(fast: Session, fast_remote: SimRemote) -> None:
    """Maintenance starts with an order resting: a new order is UNKNOWN (a 503 says nothing),
    the session keeps running, and once the exchange is back everything is resolved."""
    resting = await fast.limit_buy("BTC/USDT", qty="0.001", price=await price_off(fast, "-1"))
    await fast_remote.add_fault({"kind": "maintenance"})
    with pytest.raises(OutcomeUnknown):
        await fast.market_buy("BTC/USDT", qty="0.0001")
    [coid] = unknown_statuses(fast)
    await fill(fast_remote, fast.venue, resting.client_order_id, "0.0005")
    await fast.wait_for(resting.client_order_id, OrderStatus.PARTIALLY_FILLED, timeout_s=5)
    await fast_remote.clear_faults()
    done = await fast.wait_for(coid, timeout_s=10)  # the venue's receive window, then queries
    assert done.status is OrderStatus.REJECTED  # never reached the matching engine
    await fast.cancel(resting.client_order_id)
    await assert_invariants(fast)


@every_venue
async def test_pain20_one_leg_filled_the_other_refused_no_crash(
    fast: Session, fast_remote: SimRemote
) -> None:
    """Leg one fills; the exchange goes down before leg two. The bot gets an exception it can
    act on, not a dead session: the filled leg is booked, and once the exchange is back the
    bot hedges with a new order."""
    leg1 = await fast.market_buy("BTC/USDT", qty="0.0005")
    leg1 = await fast.wait_for(leg1.client_order_id, timeout_s=10)  # its fills booked
    assert leg1.status is OrderStatus.FILLED
    await fast_remote.add_fault(
        {"kind": "error", "method": "POST", "path_prefix": PLACE_PATH[fast.venue],
         "http_status": 502, "html_body": "<html><body><h1>502 Bad Gateway</h1></body></html>"}
    )  # fmt: skip
    with pytest.raises(OutcomeUnknown):
        await fast.market_sell("BTC/USDT", qty="0.0004")
    [leg2] = unknown_statuses(fast)
    position = fast.position("BTC/USDT")
    assert position is not None and position.qty > 0  # the filled leg is held and known
    await fast_remote.clear_faults()
    assert (await fast.wait_for(leg2, timeout_s=10)).status is OrderStatus.REJECTED
    hedge = await fast.market_sell("BTC/USDT", qty="0.0004")
    assert (await fast.wait_for(hedge.client_order_id, timeout_s=10)).status is OrderStatus.FILLED
    await assert_invariants(fast)


@binance_only  # Binance's -2010 and a stop order
async def test_pain21_trading_stopped_open_positions_still_managed(
    tg: Session, remote: SimRemote
) -> None:
    """The breaker stops new buys; the open orders still get their fills booked and can be
    cancelled, and a protective sell of another shape still goes."""
    resting = await tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(tg, "-1"))
    await remote.add_fault(
        {"kind": "error", "method": "POST", "path_prefix": ORDER, "http_status": 400,
         "code": -2010, "msg": "Account has insufficient balance for requested action."}
    )  # fmt: skip
    for _ in range(tg.transport.breaker.threshold):
        with pytest.raises(OrderRejected):
            await tg.market_buy("BTC/USDT", qty="0.0001")
    await remote.clear_faults()
    with pytest.raises(BreakerOpen):
        await tg.market_buy("BTC/USDT", qty="0.0001")
    await fill(remote, "binance", resting.client_order_id, "0.0004")
    await tg.wait_for(resting.client_order_id, OrderStatus.PARTIALLY_FILLED, timeout_s=5)
    assert (await tg.cancel(resting.client_order_id)).status is OrderStatus.CANCELED
    stop = await tg.stop_loss(
        "BTC/USDT", "SELL", qty="0.0003", stop_price=await price_off(tg, "-2")
    )
    assert stop.status is OrderStatus.NEW
    await assert_invariants(tg)


@every_venue
async def test_read_only_profile_places_no_order(sessions: Connect, venue: str) -> None:
    """Safety invariant 2: the embedded exchange's key can trade; the profile says read-only."""
    tg = await sessions(embedded(venue, mode="read-only"))
    with pytest.raises(RiskDenied):
        await tg.market_buy("BTC/USDT", qty="0.0001")
    with pytest.raises(RiskDenied):
        await tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(tg, "-1"))
    assert not any(k.startswith(f"POST {PLACE_PATH[venue]}") for k in tg.sim.requests.counts)
    assert tg.ledger.risk_denials == 2
    await assert_invariants(tg)
