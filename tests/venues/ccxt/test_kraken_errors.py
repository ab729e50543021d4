"""Kraken's refusals as the same errors Binance's give, through a session on Kraken's dialect,
so a bot handles them once for every venue."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytest.importorskip("ccxt")

from tradeguard.errors import OrderRejected
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session

BINANCE_WOULD_TAKE = -2010  # NEW_ORDER_REJECTED "Order would immediately match and take."


@pytest.mark.parametrize("tg", ["kraken"], indirect=True)
async def test_a_post_only_that_would_take_is_refused_as_on_binance(tg: Session) -> None:
    """Kraken's "EOrder:Post only order" is Binance's -2010 "Order would immediately match
    and take.": an OrderRejected with that code and text, the order REJECTED."""
    last = await tg.last_price("BTC/USDT")
    assert last is not None
    above = str((last * Decimal("1.01")).quantize(Decimal("0.01")))  # a buy that would take
    with pytest.raises(OrderRejected) as refused:
        await tg.limit_buy("BTC/USDT", qty="0.001", price=above, post_only=True)
    assert refused.value.code == BINANCE_WOULD_TAKE
    assert "would immediately match and take" in str(refused.value)
    coid = refused.value.client_order_id
    assert coid is not None
    order = tg.order(coid)
    assert order is not None and order.status is OrderStatus.REJECTED
