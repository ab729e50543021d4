"""A fee is booked with its sign on every venue: a maker rebate reduces what the fill cost.
OKX says a charge as a negative `fillFee` / `fee` (ccxt's REST parser flips it; its stream parser
does not), Bybit a rebate as a negative `execFee`, Kraken a fee as positive; whatever the wire,
the journal's commission is what the account paid (negative: what it was paid), and the private
stream and the trade history agree on it."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytest.importorskip("ccxt")

from tests.venues.ccxt.conftest import journal
from tradeguard.events import OrderFilled
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session

SYMBOL = "BTCUSDT"
REBATE = Decimal("-0.0002")  # the maker is paid 2 bp


async def test_a_maker_rebate_is_booked_as_a_negative_commission_by_stream_and_history(
    tg: Session,
) -> None:
    sim = tg.sim.sim
    sim.engine.config.maker_commission = REBATE
    last = await tg.transport.last_price(SYMBOL)
    price = (last * Decimal("0.99")).quantize(Decimal(1))  # below the market: it rests
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    (resting,) = sim.engine.open_orders("main", SYMBOL)
    (trade,) = sim.engine.control_fill(
        SYMBOL, resting.order_id, None, Decimal("0.001"), None, sim.clock.now_ms()
    )
    sim.pump()
    assert trade.is_maker and trade.commission < 0  # the exchange paid the rebate
    done = await tg.wait_for(order.client_order_id, timeout_s=20)
    assert done.status is OrderStatus.FILLED
    (fill,) = [e for e in journal(tg) if isinstance(e, OrderFilled)]
    assert (fill.commission, fill.commission_asset) == (trade.commission, trade.commission_asset)
    (traded,) = await tg.transport.my_trades(SYMBOL)
    assert (traded.commission, traded.commission_asset) == (fill.commission, fill.commission_asset)


async def test_a_charged_fee_is_booked_positive_by_stream_and_history(tg: Session) -> None:
    order = await tg.market_buy("BTC/USDT", qty="0.001")
    await tg.wait_for(order.client_order_id, timeout_s=20)
    fills = [e for e in journal(tg) if isinstance(e, OrderFilled)]
    assert fills and all(f.commission > 0 for f in fills)
    traded = await tg.transport.my_trades(SYMBOL)
    assert sorted(t.commission for t in traded) == sorted(f.commission for f in fills)
