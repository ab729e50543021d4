"""`trades_after` reads every page the venue has (Bybit's nextPageCursor, OKX's billId
`after`, Kraken's `ofs`), not only the newest one: pages are made two trades long here."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from tradeguard.model import OrderIntent, OrderType, Side, Symbol
from tradeguard.sim.kraken import KrakenLimits, state_of
from tradeguard.sim.kraken import rest_orders as kraken_orders

SYMBOL = "BTCUSDT"
TRADES = 5


@pytest.fixture
async def traded(venue: Any, running: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    venue.adapter = dataclasses.replace(venue.adapter, trades_page=2)
    monkeypatch.setattr(kraken_orders, "PAGE", 2)  # Kraken's page is the venue's, not asked
    if running.venue == "kraken":  # paging, not Kraken's call counter, is under test here
        state_of(running.sim).counter.limits = KrakenLimits(max_counter=1000)
        venue._wire.counters = None  # and the venue's own count of it (no real waits)
    for n in range(TRADES):
        intent = OrderIntent(
            client_order_id=f"pg-{n}", symbol=Symbol("BTC", "USDT"), side=Side.BUY,
            type=OrderType.MARKET, qty=Decimal("0.001"),
        )  # fmt: skip
        await venue.submit(intent)
    return venue


async def test_every_page_of_trades_is_read(traded: Any, running: Any) -> None:
    made = running.sim.engine.my_trades("main", SYMBOL, limit=1000)
    assert len(made) >= TRADES
    fills = await traded.trades_after(SYMBOL, None)  # None: the newest page only
    assert len(fills) == 2
    every = await traded.my_trades(SYMBOL)
    assert len(every) == len(made) and len({f.trade_id for f in every}) == len(made)
    assert [f.time_ms for f in every] == sorted(f.time_ms for f in every)  # oldest first


async def test_trades_after_an_id_reads_back_until_past_it(traded: Any, running: Any) -> None:
    every = await traded.my_trades(SYMBOL)
    second = every[1].trade_id
    later = await traded.trades_after(SYMBOL, second)
    assert {f.trade_id for f in every[2:]} <= {f.trade_id for f in later}
    if traded.adapter.ordered_trade_ids:
        assert second not in {f.trade_id for f in later}
