"""OKX's algo orders through `tradeguard.connect`: a stop is an algo order until it triggers
(its changes pushed on `orders-algo`, not `orders`); then it places a regular order with an
ordId of its own and no clOrdId, which names the algo by algoId and algoClOrdId. That order's
fills are booked on the stop's order (the journal's), once, by the stream and by the trade
history alike."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytest.importorskip("ccxt")

from tests.venues.ccxt.conftest import journal
from tradeguard.events import OrderFilled
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim.okx.wire import CHILD_ID_BASE

SYMBOL = "BTCUSDT"
pytestmark = pytest.mark.parametrize("tg", ["okx"], indirect=True)


async def test_a_triggered_stops_fill_is_booked_on_the_stops_order_once(tg: Session) -> None:
    sim = tg.sim.sim
    last = await tg.transport.last_price(SYMBOL)
    stop = (last * Decimal("0.95")).quantize(Decimal(1))
    order = await tg.stop_loss("BTC/USDT", "SELL", qty="0.001", stop_price=stop)
    assert order.order_id is not None
    sim.engine.set_price(SYMBOL, (last * Decimal("0.945")).quantize(Decimal(1)), sim.clock.now_ms())
    done = await tg.wait_for(order.client_order_id, timeout_s=20)
    assert done.status is OrderStatus.FILLED and done.executed_qty == Decimal("0.001")
    fills = [e for e in journal(tg) if isinstance(e, OrderFilled)]
    assert len(fills) == 1  # booked once, on the stop's order
    assert (fills[0].client_order_id, fills[0].order_id) == (order.client_order_id, order.order_id)
    # the trade history names the placed order by its own ordId; asked about that id, the
    # venue answers with the stop's client id (what reconciliation books the trade on)
    (traded,) = await tg.transport.my_trades(SYMBOL)
    assert (
        traded.trade_id == fills[0].trade_id and traded.order_id == order.order_id + CHILD_ID_BASE
    )
    placed = await tg.transport.get_order(SYMBOL, order_id=traded.order_id)
    assert placed.client_order_id == order.client_order_id
    assert placed.status is OrderStatus.FILLED


async def test_a_resting_stop_cancelled_elsewhere_is_seen_on_the_orders_algo_channel(
    tg: Session,
) -> None:
    sim = tg.sim.sim
    last = await tg.transport.last_price(SYMBOL)
    stop = (last * Decimal("0.95")).quantize(Decimal(1))
    order = await tg.stop_loss("BTC/USDT", "SELL", qty="0.001", stop_price=stop)
    (held,) = sim.engine.open_orders("main", SYMBOL)
    sim.engine.cancel_order("main", SYMBOL, held.order_id, None, None, sim.clock.now_ms())
    sim.pump()  # cancelled on the website, say: only the stream tells the session
    done = await tg.wait_for(order.client_order_id, timeout_s=5)
    assert done.status is OrderStatus.CANCELED
