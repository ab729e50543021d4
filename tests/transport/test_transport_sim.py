"""tradeguard's Binance transport against the simulator: signing, clock, errors, limits, faults."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from tradeguard.errors import (
    AuthError,
    ClockSkewError,
    ExchangeError,
    NotSent,
    OrderRejected,
    RateLimited,
)
from tradeguard.model import OrderStatus, OrderType, Side, TimeInForce
from tradeguard.net.clock import FakeClock
from tradeguard.net.hoststate import HostState
from tradeguard.net.ratelimit import LimitKind, RateLedger, RateRule
from tradeguard.sim import server
from tradeguard.sim.remote import SimRemote
from tradeguard.venues.binance import endpoints
from tradeguard.venues.binance.client import BinanceTransport
from tradeguard.venues.binance.endpoints import NewOrder

from .conftest import START_MS, Paired, credentials

SYMBOL = "BTCUSDT"


def limit_buy(client_id: str, price: str = "30000", qty: str = "0.001") -> NewOrder:
    return NewOrder(
        SYMBOL, Side.BUY, OrderType.LIMIT, client_id, Decimal(qty),
        price=Decimal(price), time_in_force=TimeInForce.GTC,
    )  # fmt: skip


def market_buy(client_id: str, qty: str = "0.001") -> NewOrder:
    return NewOrder(SYMBOL, Side.BUY, OrderType.MARKET, client_id, Decimal(qty))


# ── signing and reading ────────────────────────────────────────────────────────────────────


async def test_signed_round_trip_places_queries_and_cancels(paired: Paired) -> None:
    venue = paired.make()
    balances = await venue.balances()
    assert balances["USDT"].free == Decimal("100000")
    placed = await venue.place_order(limit_buy("tg-1"))
    assert placed.status is OrderStatus.NEW and placed.client_order_id == "tg-1"
    by_id = await venue.get_order(SYMBOL, client_order_id="tg-1")
    assert by_id.order_id == placed.order_id
    assert [o.order_id for o in await venue.open_orders(SYMBOL)] == [placed.order_id]
    canceled = await venue.cancel_order(SYMBOL, order_id=placed.order_id)
    assert canceled.status is OrderStatus.CANCELED and canceled.client_order_id == "tg-1"


async def test_ed25519_key_signs_too(paired: Paired) -> None:
    venue = paired.make("trade-only-ed25519")
    assert (await venue.balances())["USDT"].free > 0


async def test_fills_are_read_with_decimal_money(paired: Paired) -> None:
    venue = paired.make()
    placed = await venue.place_order(limit_buy("tg-fill"))
    await paired.remote.fill(SYMBOL, "0.0004", order_id=placed.order_id)
    order = await venue.get_order(SYMBOL, order_id=placed.order_id)
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.executed_qty == Decimal("0.0004")
    trades = await venue.my_trades(SYMBOL)
    assert [t.qty for t in trades] == [Decimal("0.0004")]
    assert all(isinstance(t.price, Decimal) for t in trades)


# ── the clock ──────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("offset_ms", [3_000, -3_000])
async def test_a_few_seconds_of_skew_signs_through_the_offset(
    paired: Paired, offset_ms: int
) -> None:
    await paired.remote.clock(offset_ms=offset_ms)
    venue = paired.make()
    est = await venue.sync_clock()
    assert est.skew_ms == pytest.approx(offset_ms, abs=50)
    assert (await venue.balances())["USDT"].free > 0


@pytest.mark.parametrize("offset_ms", [30_000, -30_000])
async def test_thirty_seconds_of_skew_is_refused_clearly(paired: Paired, offset_ms: int) -> None:
    await paired.remote.clock(offset_ms=offset_ms)
    venue = paired.make()
    before = await paired.request_count("GET /api/v3/account")
    with pytest.raises(ClockSkewError) as refused:
        await venue.balances()
    assert "30.0 s" in str(refused.value) and "NTP" in str(refused.value)
    assert await paired.request_count("GET /api/v3/account") == before  # nothing signed left


async def test_host_clock_jumping_back_mid_run_causes_no_timestamp_errors(paired: Paired) -> None:
    venue = paired.make()
    await venue.sync_clock()
    paired.clock.set_wall_ms(paired.clock.wall_ms() - 20_000)  # NTP steps the host back 20 s
    for i in range(5):
        await venue.place_order(limit_buy(f"tg-jump-{i}"))
    assert len(await venue.open_orders(SYMBOL)) == 5


# ── errors from the exchange ───────────────────────────────────────────────────────────────


async def test_exchange_errors_keep_code_message_and_status(paired: Paired) -> None:
    venue = paired.make()
    with pytest.raises(OrderRejected) as poor:
        await venue.place_order(limit_buy("tg-poor", price="60000", qty="100"))
    assert poor.value.code == -2010 and poor.value.http_status == 400
    assert poor.value.msg == "Account has insufficient balance for requested action."

    with pytest.raises(OrderRejected) as lot:
        await venue.place_order(limit_buy("tg-lot", qty="0.0000001"))
    assert lot.value.code in (-1013, -1111)

    with pytest.raises(OrderRejected) as unknown:
        await venue.cancel_order(SYMBOL, order_id=99_999)
    assert unknown.value.code == -2011 and unknown.value.msg == "Unknown order sent."


async def test_read_only_key_is_refused_for_orders(paired: Paired) -> None:
    venue = paired.make("read-only")
    assert (await venue.balances())["USDT"].free > 0
    with pytest.raises(AuthError) as refused:
        await venue.place_order(limit_buy("tg-ro"))
    assert refused.value.code == -2015 and refused.value.http_status == 401


async def test_wrong_secret_is_a_signature_error(paired: Paired) -> None:
    good = credentials(paired.running)
    other = credentials(paired.running, "no-ip-restriction")
    venue = paired.make()
    venue.credentials = type(good)(good.api_key, other.secret)
    with pytest.raises(AuthError) as bad:
        await venue.balances()
    assert bad.value.code == -1022


def _closed_port(paired: Paired) -> BinanceTransport:
    """A transport to a port nobody listens on: every request fails before it leaves."""
    return BinanceTransport(
        "http://127.0.0.1:9", credentials(paired.running), clock=FakeClock(),
        host_state=paired.make().host_state, sleep=_no_sleep,
    )  # fmt: skip


async def test_refused_connection_is_not_sent(paired: Paired) -> None:
    venue = _closed_port(paired)
    try:
        with pytest.raises(NotSent):
            await venue.call(endpoints.ping())
    finally:
        await venue.close()


async def test_a_request_that_never_left_spends_no_weight(paired: Paired) -> None:
    """What `doctor` showed after a closed port: "used now: 1 of 6000" for nothing sent."""
    venue = _closed_port(paired)
    try:
        now = venue.server_now_ms()
        assert venue.ledger.usage(now)  # there are windows to count in
        with pytest.raises(NotSent):
            await venue.call(endpoints.exchange_info())
        assert all(used == 0 for _, used in venue.ledger.usage(venue.server_now_ms()))
        assert all(spent == 0 for _, spent in venue.ledger.peaks())
    finally:
        await venue.close()


async def _no_sleep(seconds: float) -> None:
    return None


# ── rate limits ────────────────────────────────────────────────────────────────────────────


async def test_limits_from_exchange_info_keep_the_client_under_the_weight(tight: Paired) -> None:
    venue = tight.make()
    await venue.load_rate_limits()
    for _ in range(30):  # 30 x weight 20 = 600, six times the minute's budget of 100
        await venue.balances()
    counts = await tight.remote.requests()
    assert counts["requests"].get("GET /api/v3/account") == 30
    # The simulator never had to refuse: a 429 would have set the pause.
    assert venue.ledger.paused_until_ms == 0 and venue.ledger.banned_until_ms == 0


async def test_a_429_storm_ends_without_a_ban(tight: Paired) -> None:
    # A client that does not know the real limits (thinks it has 6000) meets the 429.
    ledger = RateLedger([RateRule(LimitKind.REQUEST_WEIGHT, "MINUTE", 1, 6000)])
    venue = tight.make(ledger=ledger)
    for _ in range(12):
        await venue.balances()  # reads are retried after the Retry-After pause
    assert venue.ledger.banned_until_ms == 0
    assert venue.ledger.paused_until_ms > 0  # it did meet a 429, and waited it out


async def test_a_ban_stops_every_request_even_after_a_restart(tight: Paired) -> None:
    # Another tool on this IP ignores the 429 and earns a ban.
    async with aiohttp.ClientSession() as rogue:
        for _ in range(50):
            async with rogue.get(f"{tight.running.base_url}/api/v3/exchangeInfo") as reply:
                if reply.status == 418:
                    break
        else:
            pytest.fail("the simulator never banned a client that ignored its 429s")

    first = tight.make()
    with pytest.raises(RateLimited) as met:
        await first.balances()  # meets the 418 once and remembers it on disk
    assert met.value.http_status == 418
    assert first.ledger.banned_until_ms > START_MS

    before = await tight.request_count()
    restarted = tight.make()  # a new process: same host state directory, empty memory
    for _ in range(3):
        with pytest.raises(RateLimited) as banned:
            await restarted.balances()
        assert banned.value.http_status == 418
    assert await tight.request_count() == before  # zero requests reached the exchange

    await tight.remote.clock(advance_ms=first.ledger.banned_until_ms - START_MS + 60_000)
    tight.clock.advance((first.ledger.banned_until_ms - START_MS + 60_000) / 1000)
    assert (await restarted.balances())["USDT"].free > 0  # the ban is over


async def test_bots_started_one_after_another_leave_the_host_budget_whole(
    paired: Paired,
) -> None:
    """Each process leases a slice of the host's windows; one that closes gives back what it
    did not spend, so a bot restarted 25 times in five minutes is not refused for a budget
    its earlier runs (a dozen requests each) never used: with the lease kept, the 21st run
    met "would pass 48800 of 61000 requests per 5 minutes", and the day's order window stayed
    full until midnight."""
    for run in range(25):
        venue = paired.make()
        await venue.load_rate_limits()
        await venue.place_order(limit_buy(f"tg-run-{run}"))
        await venue.close()
    assert await paired.request_count("POST /api/v3/order") == 25


async def test_a_busy_process_leases_one_slice_not_one_more_per_refill(paired: Paired) -> None:
    """A process refills its lease when one window's runs out (the 10 s order window's, every
    few orders); the other windows' leases are topped up to a slice, not given another one
    each time, so 60 orders from one bot do not fill the host's day for everyone else."""
    busy = paired.make()
    await busy.load_rate_limits()
    for i in range(60):
        await busy.place_order(limit_buy(f"tg-busy-{i}"))
    other = paired.make()  # another bot on the same host, still running beside it
    await other.load_rate_limits()
    placed = await other.place_order(limit_buy("tg-other-bot"))
    assert placed.status is OrderStatus.NEW


async def test_repeated_identical_rejections_open_the_breaker(paired: Paired) -> None:
    from tradeguard.errors import BreakerOpen

    venue = paired.make()
    for i in range(5):  # insufficient balance, five times
        with pytest.raises(OrderRejected):
            await venue.place_order(limit_buy(f"tg-poor-{i}", price="60000", qty="100"))
    sent = await paired.request_count("POST /api/v3/order")
    for i in range(20):
        with pytest.raises(BreakerOpen):
            await venue.place_order(limit_buy(f"tg-poor-x{i}", price="60000", qty="100"))
    assert await paired.request_count("POST /api/v3/order") == sent  # none of the 20 left
    placed = await venue.place_order(
        NewOrder(SYMBOL, Side.SELL, OrderType.LIMIT, "tg-other", Decimal("0.001"),
                 price=Decimal("90000"), time_in_force=TimeInForce.GTC)
    )  # fmt: skip
    assert placed.status is OrderStatus.NEW  # other order shapes still go


# ── faults: what may have reached the exchange is never sent twice ──────────────────────────


def _fault(
    kind: str, method: str, path: str, count: int = 1, **fields: object
) -> dict[str, object]:
    return {"kind": kind, "method": method, "path_prefix": path, "count": count, **fields}


@pytest.mark.parametrize(
    "fault",
    [
        _fault("error", "GET", "/api/v3/account", 2, http_status=503, code=-1001,
               msg="Internal error; unable to process your request. Please try again."),
        _fault("error", "GET", "/api/v3/account", 2, http_status=502,
               html_body="<html><body><h1>502 Bad Gateway</h1></body></html>"),
        _fault("drop_before_execute", "GET", "/api/v3/account", 2),
        _fault("drop_after_execute", "GET", "/api/v3/account", 2),
    ],
    ids=["503", "html-502", "drop-before", "drop-after"],
)  # fmt: skip
async def test_reads_are_retried_through_5xx_and_drops(
    paired: Paired, fault: dict[str, object]
) -> None:
    venue = paired.make()
    await venue.sync_clock()
    await paired.remote.add_fault(fault)
    assert (await venue.balances())["USDT"].free > 0
    assert await paired.request_count("GET /api/v3/account") == 3  # two broken, one answered


@pytest.mark.parametrize(
    "fault",
    [
        _fault("error", "POST", "/api/v3/order", http_status=503),
        _fault("error", "POST", "/api/v3/order", http_status=502,
               html_body="<html><body><h1>502 Bad Gateway</h1></body></html>"),
        _fault("error", "POST", "/api/v3/order", http_status=400, code=-1007,
               msg="Timeout waiting for response from backend server. Send status unknown; "
                   "execution status unknown."),
        _fault("drop_after_execute", "POST", "/api/v3/order"),
        _fault("drop_before_execute", "POST", "/api/v3/order"),
    ],
    ids=["503-unknown", "html-502", "-1007", "drop-after", "drop-before"],
)  # fmt: skip
async def test_an_order_without_a_trustworthy_answer_is_outcome_unknown_and_never_resent(
    paired: Paired, fault: dict[str, object]
) -> None:
    from tradeguard.errors import OutcomeUnknown

    venue = paired.make()
    await venue.sync_clock()
    await paired.remote.add_fault(fault)
    with pytest.raises(OutcomeUnknown) as unknown:
        await venue.place_order(limit_buy("tg-unknown"))
    assert "resolve" in (unknown.value.hint or "")
    assert await paired.request_count("POST /api/v3/order") == 1  # exactly one reached it
    # Resolving by client order id: executed or not, the exchange says which.
    if fault["kind"] == "drop_after_execute":
        found = await venue.get_order(SYMBOL, client_order_id="tg-unknown")
        assert found.status is OrderStatus.NEW
    else:
        with pytest.raises(ExchangeError) as missing:
            await venue.get_order(SYMBOL, client_order_id="tg-unknown")
        assert missing.value.code == -2013


async def test_maintenance_is_a_clear_refusal_for_orders_and_retried_for_reads(
    paired: Paired,
) -> None:
    from tradeguard.errors import OutcomeUnknown

    venue = paired.make()
    await venue.sync_clock()
    await paired.remote.add_fault({"kind": "maintenance"})
    with pytest.raises(OutcomeUnknown):
        await venue.place_order(limit_buy("tg-maint"))
    assert await paired.request_count("POST /api/v3/order") == 1
    await paired.remote.clear_faults()
    assert (await venue.balances())["USDT"].free > 0


async def test_the_offset_is_measured_through_latency_and_resyncs_do_not_drift(
    tmp_path: Path,
) -> None:
    """Pain 18, on real clocks: 50 ms of latency before /api/v3/time is answered is round
    trip, not offset. The midpoint estimate is off by at most half the round trip (latency
    on one leg only cannot be told apart), and repeated resyncs do not walk it away."""
    from tradeguard.net.clock import SYSTEM
    from tradeguard.sim.config import SimConfig

    running = await server.start(SimConfig.default(seed=3))
    try:
        async with aiohttp.ClientSession() as http:
            remote = SimRemote(running.control_url, http)
            await remote.clock(offset_ms=1_500)
            await remote.add_fault({"kind": "latency", "ms": 50, "path_prefix": "/api/v3/time"})
            venue = BinanceTransport(running.base_url, credentials(running), clock=SYSTEM,
                                     host_state=HostState("drift", tmp_path))  # fmt: skip
            try:
                estimates = [await venue.sync_clock() for _ in range(3)]
            finally:
                await venue.close()
        for est in estimates:
            assert est.rtt_ms >= 50
            assert est.skew_ms == pytest.approx(1_500, abs=est.rtt_ms / 2 + 20)
        spread = max(e.skew_ms for e in estimates) - min(e.skew_ms for e in estimates)
        assert spread < 30
    finally:
        await running.close()
