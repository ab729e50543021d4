"""Safety invariant 6 for the user stream: during a 418 ban or a 429 pause nothing leaves for the
exchange's host, the stream included (no ping, no subscription, no reconnection handshake); the
socket that is up keeps delivering, and once the hold ends the stream reconnects, back-fills
what it missed and books what comes next.

The simulator counts every request before any check, WebSocket API frames and handshakes
included (GET /sim/v1/requests): the tests reset the count when the hold starts and read it
just before it ends. Time is the fake clock and the simulator's manual clock (`env.timer`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from tests.transport.conftest import _paired
from tradeguard.errors import RateLimited
from tradeguard.events import OrderFilled, OrderUpdated, StreamGapFilled
from tradeguard.net.ratelimit import LimitKind, RateLedger, RateRule
from tradeguard.sim.config import RateLimitSpec
from tradeguard.venues.binance.client import TransportConfig

from .conftest import SYMBOL, Env, environment_of
from .test_stream_sim import assert_ledger_matches_exchange

BANNED = {
    "kind": "error", "path_prefix": "/api/v3/openOrders", "count": 1, "http_status": 418,
    "code": -1003, "msg": "Way too many requests; IP banned.", "retry_after_s": 45,
}  # fmt: skip


async def soon(check: Callable[[], bool], what: str) -> None:
    """Until `check()` holds: socket I/O on loopback, a couple of real seconds at most."""
    for _ in range(300):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def gaps_filled(n: int):  # type: ignore[no-untyped-def]
    return lambda events: sum(isinstance(e, StreamGapFilled) for e in events) >= n


def fills(n: int):  # type: ignore[no-untyped-def]
    return lambda events: len({e.trade_id for e in events if isinstance(e, OrderFilled)}) >= n


async def test_a_ban_silences_the_stream_and_it_comes_back_after(env: Env) -> None:
    stream = env.stream(ping_after_s=30, pong_timeout_s=10, quiet_after_s=600)
    await env.until(gaps_filled(1), "the first subscription")
    order = env.intend(qty="0.001")
    placed = await env.venue.place_order(order)
    await env.until(lambda ev: any(isinstance(e, OrderUpdated) for e in ev), "NEW")
    remote = env.paired.remote
    await remote.add_fault(BANNED)
    with pytest.raises(RateLimited):
        await env.venue.open_orders(SYMBOL)
    banned_until = env.venue.ledger.banned_until_ms
    assert banned_until > env.venue.server_now_ms()
    await remote.reset_requests()

    # 35 s of the ban with the socket up: a ping would be due at 30 s; none may leave
    await env.timer.advance(35)
    assert stream.connections == 1 and stream.restarts == type(stream.restarts)()
    await remote.fill(SYMBOL, "0.0004", order_id=placed.order_id)
    await env.until(fills(1), "a fill over the socket that stayed up")
    # the socket drops during the ban: no reconnection before it ends
    await remote.add_fault({"kind": "stream_drop", "channel": "user", "count": 1})
    await remote.fill(SYMBOL, "0.0002", order_id=placed.order_id)  # lost with the socket
    await soon(lambda: not stream.ready.is_set(), "the drop noticed")
    left_s = (banned_until - env.venue.server_now_ms()) / 1000
    await env.timer.advance(left_s - 0.5)
    during = await remote.requests()
    assert during["total"] == 0, during["requests"]
    assert not stream.ready.is_set()

    # the ban ends: reconnect, back-fill what was missed, book what follows
    await env.advance_until(gaps_filled(2), "a resubscription after the ban", step_s=1)
    await env.until(fills(2), "the fill made while the socket was down, back-filled")
    await soon(stream.ready.is_set, "ready again")
    await remote.fill(SYMBOL, "0.0004", order_id=placed.order_id)
    await env.until(fills(3), "a live fill after the ban")
    assert [f.source for f in env.fills()] == ["stream", "query", "stream"]
    held = env.ledger.order(order.client_order_id)
    assert held is not None and held.executed_qty == Decimal("0.001")
    await assert_ledger_matches_exchange(env)


@pytest.fixture
async def unaware(tmp_path: Path) -> AsyncIterator[Env]:
    """A stream and a transport that does not know the exchange's real weight budget (it
    thinks 6000 a minute; the simulator allows 100): it meets a real 429."""
    async for paired in _paired(tmp_path, limits=RateLimitSpec(request_weight_per_min=100)):
        venue = paired.make(
            config=TransportConfig(timeout_s=5, max_attempts=1),
            ledger=RateLedger([RateRule(LimitKind.REQUEST_WEIGHT, "MINUTE", 1, 6000)]),
        )
        async with environment_of(paired, venue) as environment:
            yield environment


async def test_a_429_pause_is_not_turned_into_a_ban_by_the_stream(unaware: Env) -> None:
    """Binance bans an IP that keeps sending after a 429: a stream ping during the pause
    would earn the ban. Nothing leaves until Retry-After has passed, then the pings resume."""
    env = unaware
    stream = env.stream(ping_after_s=5, pong_timeout_s=5, quiet_after_s=600)
    await env.until(gaps_filled(1), "the first subscription")
    remote = env.paired.remote
    for _ in range(10):  # 20 weight each: the minute's 100 run out
        try:
            await env.venue.balances()
        except RateLimited as met:
            assert met.http_status == 429
            break
    else:
        pytest.fail("the simulator never answered 429")
    paused_until = env.venue.ledger.paused_until_ms
    await remote.reset_requests()
    left_s = (paused_until - env.venue.server_now_ms()) / 1000
    assert left_s > 5  # long enough for a ping to fall due
    await env.timer.advance(left_s - 0.5)
    during = await remote.requests()
    assert during["total"] == 0, during["requests"]
    await env.timer.advance(30)  # after the pause: the socket is still checked
    after = await remote.requests()
    assert after["requests"].get("WS ping", 0) >= 1
    ips = (await remote.limits())["ips"]
    assert all(ip["bans"] == 0 and ip["banned_until_ms"] is None for ip in ips.values()), ips
    assert stream.ready.is_set()


@pytest.fixture
async def tight(tmp_path: Path) -> AsyncIterator[Env]:
    """The simulator allows 100 weight a minute; the transport knows it."""
    async for paired in _paired(tmp_path, limits=RateLimitSpec(request_weight_per_min=100)):
        venue = paired.make()
        await venue.load_rate_limits()
        async with environment_of(paired, venue) as environment:
            yield environment


async def test_a_ban_the_stream_meets_first_holds_rest_and_the_stream(tight: Env) -> None:
    """Another tool on this IP earns a ban; the stream's ping is the first of ours to meet
    it. The 418's end (the reply's retryAfter) goes to the transport: REST holds too, and
    nothing more leaves until the ban is over."""
    env = tight
    stream = env.stream(ping_after_s=5, pong_timeout_s=5, quiet_after_s=600)
    await env.until(gaps_filled(1), "the first subscription")
    async with aiohttp.ClientSession() as rogue:
        for _ in range(50):
            async with rogue.get(f"{env.paired.running.base_url}/api/v3/exchangeInfo") as reply:
                if reply.status == 418:
                    break
        else:
            pytest.fail("the simulator never banned a client that ignored its 429s")
    await env.paired.remote.reset_requests()
    await env.advance_until(
        lambda ev: env.venue.ledger.banned_until_ms > 0, "the ban met", step_s=1, limit_s=30
    )
    assert (await env.paired.remote.requests())["requests"] == {"WS ping": 1}
    await env.paired.remote.reset_requests()
    with pytest.raises(RateLimited):
        await env.venue.open_orders(SYMBOL)  # REST knows of the ban now, and sends nothing
    ips = (await env.paired.remote.limits())["ips"]
    [banned_until] = [ip["banned_until_ms"] for ip in ips.values() if ip["banned_until_ms"]]
    assert env.venue.ledger.banned_until_ms >= banned_until
    left_s = (env.venue.ledger.banned_until_ms - env.venue.server_now_ms()) / 1000
    await env.timer.advance(left_s - 0.5)
    during = await env.paired.remote.requests()
    assert during["total"] == 0, during["requests"]
    await env.advance_until(gaps_filled(2), "a resubscription after the ban", step_s=1)
    await soon(stream.ready.is_set, "ready again")
