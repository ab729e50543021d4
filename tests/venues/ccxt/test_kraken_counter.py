"""Kraken's REST rate limit is a call counter per key (Starter: 15, falling 0.33 a second;
TradesHistory adds 2, AddOrder and CancelOrder nothing), not requests per second. The ccxt
venue keeps its own count and waits before a call that would pass its share of the counter,
so Kraken never has to refuse one (five refusals in a row lock the key out).

The simulator runs on a manual clock and the venue on a fake one; the venue's waits move both,
so the test takes no real time."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

pytest.importorskip("ccxt")

from tradeguard.model import OrderIntent, OrderType, Side, Symbol
from tradeguard.net.clock import FakeClock
from tradeguard.sim import server
from tradeguard.sim.config import SimConfig
from tradeguard.sim.kraken.limits import CallCounter as KrakenCounter
from tradeguard.sim.kraken.state import state_of
from tradeguard.venues.ccxt import open_venue
from tradeguard.venues.ccxt.venue import CcxtVenue

from .conftest import credentials

MAX_COUNTER = 15


@pytest.fixture(autouse=True)
def _own_state(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key's shared count lives under this test's own state directory."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
async def kraken() -> AsyncIterator[Any]:
    config = SimConfig.default(seed=11, venue="kraken", clock="manual")
    config.market = dataclasses.replace(config.market, volatility_bps=Decimal(0))
    sim = await server.start(config)
    try:
        yield sim
    finally:
        await sim.close()


@pytest.fixture
async def paced(kraken: Any) -> AsyncIterator[tuple[CcxtVenue, list[float]]]:
    """The venue, and every wait it made (each moves its clock and the simulator's)."""
    clock = FakeClock(wall_ms=kraken.sim.clock.now_ms())
    venue = open_venue(
        "kraken", kraken.base_url, credentials(kraken), urls=dict(kraken.urls), clock=clock
    )
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)
        kraken.sim.clock.advance(int(seconds * 1000) + 1)
        await asyncio.sleep(0)  # others run meanwhile, as in a real wait

    venue._wire.sleep = sleep
    try:
        yield venue, waits
    finally:
        await venue.close()


async def test_a_burst_of_reads_waits_for_the_counter_and_is_never_refused(
    paced: tuple[CcxtVenue, list[float]], kraken: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    venue, waits = paced
    seen: list[Decimal] = []
    refused: list[int] = []
    admit = KrakenCounter.admit

    def watched(self: KrakenCounter, api_key: str, cost: int, now_ms: int) -> None:
        try:
            admit(self, api_key, cost, now_ms)
        except Exception:
            refused.append(cost)
            raise
        seen.append(self.counter(api_key, now_ms))

    monkeypatch.setattr(KrakenCounter, "admit", watched)
    for _ in range(20):
        await venue.balances()  # BalanceEx: 1 each
    for _ in range(4):
        await venue.my_trades("BTCUSDT")  # TradesHistory: 2 each
    assert refused == []
    assert max(seen) <= MAX_COUNTER
    assert sum(waits) > 0  # it waited rather than being refused
    # the waits were the counter's, not one per second: the first dozen went at once
    assert len(waits) < 20


async def test_orders_do_not_spend_the_counter(
    paced: tuple[CcxtVenue, list[float]], kraken: Any
) -> None:
    venue, waits = paced
    for n in range(12):
        intent = OrderIntent(
            client_order_id=f"c-{n}", symbol=Symbol("BTC", "USDT"), side=Side.BUY,
            type=OrderType.LIMIT, qty=Decimal("0.001"), price=Decimal("50000"),
        )  # fmt: skip
        placed = await venue._wire.call(
            "create_order",
            lambda i=intent: venue.exchange.create_order(
                "BTC/USDT", "limit", "buy", "0.001", "50000", venue.adapter.order_params(i)
            ),
            placing=True,
        )
        assert placed["id"]
    assert sum(waits) == 0  # AddOrder adds nothing to the call counter


async def test_concurrent_reads_leave_in_nonce_order(
    paced: tuple[CcxtVenue, list[float]], kraken: Any
) -> None:
    """Kraken refuses a nonce not above the last one it accepted (EAPI:Invalid nonce): calls
    made at once, some of them held back by the counter after ccxt signed them, still reach
    Kraken in the order of their nonces."""
    venue, waits = paced
    await asyncio.gather(*(venue.balances() for _ in range(16)))
    assert sum(waits) > 0  # some were held back by the counter


async def test_two_sessions_on_one_key_share_its_counter(
    paced: tuple[CcxtVenue, list[float]], kraken: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kraken counts per key, whoever calls: a second venue on the same key (another session,
    or another process: the count lives in a shared file) starts from what the first spent,
    and waits rather than pass the counter."""
    first, waits = paced
    refused = _watch_refusals(monkeypatch)
    for _ in range(12):
        await first.balances()  # the whole allowance, at once
    assert sum(waits) == 0
    second = open_venue(
        "kraken", kraken.base_url, credentials(kraken), urls=dict(kraken.urls), clock=first.clock
    )
    second._wire.sleep = first._wire.sleep
    try:
        for _ in range(4):
            await second.balances()
    finally:
        await second.close()
    assert refused == []
    assert sum(waits) > 0  # the second waited for what the first spent


async def test_a_call_ccxt_makes_on_its_own_that_meets_the_counter_pauses_the_others(
    paced: tuple[CcxtVenue, list[float]], kraken: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stream's token request is ccxt's own, outside the venue's calls: refused for the
    counter (someone else spent on the key), it must stop the venue's next calls too, or its
    retries run into Kraken's lockout (five refusals in a row)."""
    import ccxt

    venue, waits = paced
    key = credentials(kraken).api_key
    state_of(kraken.sim).counter.admit(key, MAX_COUNTER, kraken.sim.clock.now_ms())
    refused = _watch_refusals(monkeypatch)
    with pytest.raises(ccxt.DDoSProtection):
        await venue.exchange.private_post_getwebsocketstoken()
    await venue.balances()
    assert refused == [1]  # the token's only: the read waited for the counter to fall
    assert sum(waits) > 0


async def test_the_key_audit_counts_its_probes_on_the_keys_counter(kraken: Any) -> None:
    """The key audit at connect makes three private calls on the key: they are counted where
    the sessions on the key count theirs."""
    from urllib.parse import urlsplit

    from tradeguard.keys.audit_ccxt import fetch_report
    from tradeguard.net.keycounter import HEADROOM, key_counters
    from tradeguard.venues.ccxt.adapters import KRAKEN_CALL_COUNTER, adapter_for

    creds = credentials(kraken)
    await fetch_report("kraken", creds, base_url=kraken.base_url)
    rules = adapter_for("kraken").call_counters
    shared = key_counters("kraken", urlsplit(kraken.base_url).netloc, creds.api_key, rules)
    allowance = KRAKEN_CALL_COUNTER.limit * HEADROOM
    assert shared.affordable((1, 0), 0) == int(allowance - 3)  # at time 0: nothing decayed


def _watch_refusals(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The costs of the calls the simulator refuses for the key's counter, from now on."""
    refused: list[int] = []
    admit = KrakenCounter.admit

    def watched(self: KrakenCounter, api_key: str, cost: int, now_ms: int) -> None:
        try:
            admit(self, api_key, cost, now_ms)
        except Exception:
            refused.append(cost)
            raise

    monkeypatch.setattr(KrakenCounter, "admit", watched)
    return refused


async def test_a_read_waiting_for_the_counter_holds_no_nonce(
    paced: tuple[CcxtVenue, list[float]], kraken: Any
) -> None:
    """A read waits for the counter before ccxt signs it: a signed request holds a nonce that
    every later one must follow, so one waiting signed would hold up the resolver's queries
    (which the counter lets go first) behind it."""
    venue, _ = paced
    for _ in range(13):
        await venue.balances()  # the counter at its allowance
    waited = asyncio.Event()
    never = asyncio.Event()

    async def stuck(seconds: float) -> None:
        waited.set()
        await never.wait()

    venue._wire.sleep = stuck
    waiting = asyncio.create_task(venue.balances())
    try:
        await asyncio.wait_for(waited.wait(), 5)
        assert not venue._wire._nonce_turn.locked()
    finally:
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
