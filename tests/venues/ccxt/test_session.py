"""The guard's promises on Bybit, OKX and Kraken, through `tradeguard.connect`: a profile with
`venue = ...` and `env = "sim"` starts the embedded simulator in that venue's dialect, and the
session trades it through ccxt with the same guarantees as on Binance."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytest.importorskip("ccxt")

from tests.venues.ccxt.conftest import journal
from tradeguard.errors import GuardError, OutcomeUnknown
from tradeguard.events import OrderFilled, OrderIntended
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session

PLACE_PATH = {
    "bybit": "/v5/order/create",
    "okx": "/api/v5/trade/batch-orders",
    "kraken": "/0/private/AddOrder",
}


async def test_a_market_order_is_filled_from_fill_messages_with_trade_ids(tg: Session) -> None:
    order = await tg.market_buy("BTC/USDT", qty="0.001")
    done = await tg.wait_for(order.client_order_id, timeout_s=20)
    assert done.status is OrderStatus.FILLED
    assert done.executed_qty == Decimal("0.001") and done.missing_qty == 0
    events = journal(tg)
    fills = [e for e in events if isinstance(e, OrderFilled)]
    assert fills and all(f.client_order_id == order.client_order_id for f in fills)
    assert len({f.trade_id for f in fills}) == len(fills)  # each booked once
    first_intent = next(
        i for i, e in enumerate(events) if isinstance(e, OrderIntended)
    )  # the intent is journaled before anything the exchange said about the order
    assert first_intent < events.index(fills[0])


async def test_a_resting_limit_order_is_cancelled(tg: Session) -> None:
    last = await tg.transport.last_price("BTCUSDT")
    price = (last * Decimal("0.99")).quantize(Decimal(1))  # below the market: it rests
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=price)
    assert order.status is OrderStatus.NEW
    await tg.cancel(order.client_order_id)
    done = await tg.wait_for(order.client_order_id, timeout_s=20)
    assert done.status is OrderStatus.CANCELED and done.executed_qty == 0


async def test_a_lost_reply_is_resolved_by_client_id_and_never_resent(tg: Session) -> None:
    tg.sim.sim.add_fault(
        {"kind": "drop_after_execute", "path_prefix": PLACE_PATH[tg.transport.name], "count": 1}
    )
    with pytest.raises(OutcomeUnknown) as lost:
        await tg.market_buy("BTC/USDT", qty="0.001")
    coid = lost.value.client_order_id
    assert coid is not None
    order = await tg.resolved(coid, timeout_s=20)
    assert order.status is not OrderStatus.UNKNOWN  # found by its client id
    done = await tg.wait_for(coid, timeout_s=20)
    assert done.status is OrderStatus.FILLED
    assert done.executed_qty == Decimal("0.001") and done.missing_qty == 0
    traded = await tg.transport.my_trades("BTCUSDT")
    assert sum(t.qty for t in traded) == Decimal("0.001")  # one order on the exchange, not two


async def test_an_order_kind_the_venue_lacks_is_refused_before_anything_is_journaled(
    tg: Session,
) -> None:
    assert tg.venue in PLACE_PATH and not tg.supports("oco")
    before = len(journal(tg))
    with pytest.raises(GuardError, match="not sent: bracket needs one-cancels-the-other"):
        await tg.bracket("BTC/USDT", "SELL", qty="0.001", take_profit="70000", stop="50000")
    assert not [e for e in journal(tg)[before:] if isinstance(e, OrderIntended)]
