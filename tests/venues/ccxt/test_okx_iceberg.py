"""An OKX iceberg through `tradeguard.connect`: OKX keeps the iceberg itself on its
`algo-advance` channel, and its resting part speaks on `orders` with no clOrdId of its own,
naming the iceberg by algoId and algoClOrdId. The session books that part's fills on the
iceberg's order, once each, and hears it cancelled elsewhere."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytest.importorskip("ccxt")

from tests.venues.ccxt.conftest import journal
from tradeguard.events import OrderFilled
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session

SYMBOL = "BTCUSDT"
PART = Decimal("0.0005")
pytestmark = pytest.mark.parametrize("tg", ["okx"], indirect=True)


async def _iceberg(tg: Session) -> tuple[str, int]:
    last = await tg.transport.last_price(SYMBOL)
    order = await tg.limit_buy(
        "BTC/USDT", qty="0.0015", price=(last * Decimal("0.99")).quantize(Decimal(1)),
        iceberg_qty="0.0005",
    )  # fmt: skip
    assert order.order_id is not None
    return order.client_order_id, order.order_id


async def test_an_icebergs_part_fills_are_booked_on_the_iceberg_once(tg: Session) -> None:
    sim = tg.sim.sim  # type: ignore[union-attr]
    coid, order_id = await _iceberg(tg)
    for _ in range(3):
        sim.engine.control_fill(SYMBOL, order_id, None, PART, None, sim.clock.now_ms())
        sim.pump()
    done = await tg.wait_for(coid, timeout_s=20)
    assert done.status is OrderStatus.FILLED and done.executed_qty == 3 * PART
    fills = [e for e in journal(tg) if isinstance(e, OrderFilled)]
    assert len(fills) == 3 and len({f.trade_id for f in fills}) == 3
    assert {(f.client_order_id, f.order_id) for f in fills} == {(coid, order_id)}


async def test_an_iceberg_cancelled_elsewhere_is_heard_on_the_stream(tg: Session) -> None:
    sim = tg.sim.sim  # type: ignore[union-attr]
    coid, order_id = await _iceberg(tg)
    sim.engine.cancel_order("main", SYMBOL, order_id, None, None, sim.clock.now_ms())
    sim.pump()  # cancelled on the website, say: only the stream tells the session
    done = await tg.wait_for(coid, timeout_s=5)
    assert done.status is OrderStatus.CANCELED
