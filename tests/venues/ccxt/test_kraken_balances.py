"""Kraken's `balances` channel (WS v2) reaches the journal as on Bybit (wallet) and OKX (account):
the session subscribes to it beside `executions`, and each asset's total, as Kraken says it, is
a `BalanceChanged` from the stream. Kraken says totals only; the part of each held by open
orders is what the executions channel says those orders hold (a buy its remaining quantity at
its price, a sell its remaining quantity)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

pytest.importorskip("ccxt")

from tests.venues.ccxt.conftest import journal
from tradeguard.events import BalanceChanged
from tradeguard.model import Balance, OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim.kraken import KrakenLimits, state_of

SYMBOL = "BTCUSDT"
pytestmark = pytest.mark.parametrize("tg", ["kraken"], indirect=True)


def _streamed(tg: Session) -> dict[str, Balance]:
    """The latest stream report of each asset, in journal order."""
    latest: dict[str, Balance] = {}
    for event in journal(tg):
        if isinstance(event, BalanceChanged) and event.source == "stream":
            latest.update((b.asset, b) for b in event.balances)
    return latest


def _engine(tg: Session, asset: str) -> Balance:
    held = tg.sim.sim.engine.balances("main")[asset]
    return Balance(asset, held.free, held.locked)


async def test_balances_come_from_the_stream_with_what_open_orders_hold(tg: Session) -> None:
    sim = tg.sim.sim
    state_of(sim).counter.limits = KrakenLimits(max_counter=1000)  # the call counter aside
    last = await tg.transport.last_price(SYMBOL)
    resting = await tg.limit_buy(
        "BTC/USDT", qty="0.001", price=(last * Decimal("0.985")).quantize(1)
    )
    assert resting.status is OrderStatus.NEW
    bought = await tg.market_buy("BTC/USDT", qty="0.001")
    await tg.wait_for(bought.client_order_id, timeout_s=20)
    sim.engine.set_balance("main", "USDT", Decimal(123456), sim.clock.now_ms())  # a deposit
    sim.pump()
    want = {a: _engine(tg, a) for a in ("BTC", "USDT")}
    for _ in range(200):  # the deposit's push, on the stream's own time
        if all(_streamed(tg).get(a) == want[a] for a in want):
            break
        await asyncio.sleep(0.01)
    assert {a: _streamed(tg).get(a) for a in want} == want
    assert want["USDT"].locked > 0  # the resting buy's hold, told apart from the free part
