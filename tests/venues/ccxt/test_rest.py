"""CcxtVenue's REST half against the simulator's Bybit, OKX and Kraken dialects: unmodified
ccxt underneath, pointed at the simulator by URL only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tradeguard.errors import ConfigError, OrderNotFound, OrderRejected
from tradeguard.model import OrderIntent, OrderStatus, OrderType, Side, Symbol

SYMBOL = "BTCUSDT"


def _intent(coid: str, kind: OrderType, price: Decimal | None = None, **more: Any) -> OrderIntent:
    return OrderIntent(
        client_order_id=coid, symbol=Symbol("BTC", "USDT"), side=Side.BUY, type=kind,
        qty=Decimal("0.001"), price=price, **more,
    )  # fmt: skip


async def _below_market(venue: Any, running: Any) -> Decimal:
    rules = await venue.symbol_rules([SYMBOL], "p")
    last = running.sim.engine.last_price(SYMBOL)
    return (last * Decimal("0.9")).quantize(rules[SYMBOL].tick_size)


async def test_rules_and_balances_come_from_ccxt_markets(venue: Any) -> None:
    rules = (await venue.symbol_rules([SYMBOL], "p"))[SYMBOL]
    assert (rules.base_asset, rules.quote_asset) == ("BTC", "USDT")
    assert rules.tick_size > 0 and rules.step_size > 0
    balances = await venue.balances()
    assert balances["USDT"].free > 0
    assert all(isinstance(b.free, Decimal) for b in balances.values())


async def test_an_unlisted_symbol_names_the_nearest_listed(venue: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        await venue.symbol_rules(["BTCUSDX"], "p")
    assert "BTCUSDT" in (caught.value.hint or "")


async def test_limit_rests_market_fills_and_cancel_reads_back(venue: Any, running: Any) -> None:
    limit = await venue.submit(
        _intent("tgLimit1", OrderType.LIMIT, await _below_market(venue, running))
    )
    assert (limit.status, limit.client_order_id) == (OrderStatus.NEW, "tgLimit1")
    assert [o.client_order_id for o in await venue.open_orders(SYMBOL)] == ["tgLimit1"]

    market = await venue.submit(_intent("tgMarket1", OrderType.MARKET))
    assert market.status is OrderStatus.FILLED
    assert market.executed_qty == Decimal("0.001")
    fills = await venue.my_trades(SYMBOL, order_id=market.order_id)
    assert sum(f.qty for f in fills) == Decimal("0.001")
    assert all(f.client_order_id == "tgMarket1" for f in fills)

    canceled = await venue.cancel_order(SYMBOL, client_order_id="tgLimit1")
    assert canceled.status is OrderStatus.CANCELED
    assert canceled.order_id == limit.order_id
    with pytest.raises(OrderRejected) as again:
        await venue.cancel_order(SYMBOL, client_order_id="tgLimit1")
    assert again.value.code == -2011  # what the session's cancel race handling knows

    found = await venue.orders_by_id(SYMBOL, {market.order_id})
    assert found[market.order_id].client_order_id == "tgMarket1"


async def test_an_order_the_venue_does_not_hold_is_order_not_found(venue: Any) -> None:
    with pytest.raises(OrderNotFound):
        await venue.get_order(SYMBOL, client_order_id="tgNobody1")


async def test_every_request_is_noted_and_counted(venue: Any) -> None:
    notes: list[Any] = []
    venue.on_reply = notes.append
    await venue.sync_clock()
    await venue.balances()
    assert len(notes) == venue.requests_sent
    assert all(n.status == 200 for n in notes)
