"""Fills read back from a venue's trade history carry the fee in the asset the exchange
charged it in. Kraken's TradesHistory names no fee currency (ccxt labels every trade fee with
the quote); the order's `oflags` (`fcib`: base, `fciq`: quote) say which it was."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeguard.model import OrderIntent, OrderType, Side, Symbol
from tradeguard.sim.kraken import KrakenLimits, state_of
from tradeguard.venues.ccxt import open_venue
from tradeguard.venues.ccxt.venue import CcxtVenue

from .conftest import credentials

SYMBOL = "BTCUSDT"


def _market(side: Side, n: int) -> OrderIntent:
    return OrderIntent(
        client_order_id=f"fee-{side.value.lower()}-{n}", symbol=Symbol("BTC", "USDT"),
        side=side, type=OrderType.MARKET, qty=Decimal("0.001"),
    )  # fmt: skip


def _charged(running: Any) -> dict[tuple[Decimal, Decimal], str]:
    """What the exchange charged each of the account's trades in, by (qty, commission)."""
    trades = running.sim.engine.my_trades("main", SYMBOL, limit=1000)
    return {(t.qty, t.commission): t.commission_asset for t in trades}


async def _trade_both_ways(venue: CcxtVenue, running: Any) -> None:
    if running.venue == "kraken":  # fees, not Kraken's call counter, are under test here
        state_of(running.sim).counter.limits = KrakenLimits(max_counter=1000)
    await venue.submit(_market(Side.BUY, 1))
    await venue.submit(_market(Side.SELL, 1))


async def test_trades_read_back_carry_the_fee_asset_the_exchange_charged(
    venue: CcxtVenue, running: Any
) -> None:
    await _trade_both_ways(venue, running)
    fills = await venue.my_trades(SYMBOL)
    assert len(fills) == 2
    charged = _charged(running)
    assert {f.side: f.commission_asset for f in fills} == {Side.BUY: "BTC", Side.SELL: "USDT"}
    for fill in fills:
        assert charged[(fill.qty, fill.commission)] == fill.commission_asset


async def test_a_fresh_process_reads_the_fee_asset_of_orders_it_never_saw(
    venue: CcxtVenue, running: Any
) -> None:
    await _trade_both_ways(venue, running)
    fresh = open_venue(
        running.venue, running.base_url, credentials(running), urls=dict(running.urls)
    )
    try:
        fills = await fresh.my_trades(SYMBOL)
    finally:
        await fresh.close()
    assert {f.side: f.commission_asset for f in fills} == {Side.BUY: "BTC", Side.SELL: "USDT"}
