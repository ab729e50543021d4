"""The scenarios' own invariant checks catch what they are for: a placed order asked of the
matching engine again is a failure, refusals before a placement are not (a bot re-using a free
client order id, as Binance allows)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.scenarios.conftest import asked_after_placed, placements
from tradeguard.session.guard import Session
from tradeguard.sim.records import NewOrder


def _ask(tg: Session, coid: str, qty: str) -> None:
    order = NewOrder("BTCUSDT", "BUY", "MARKET", quantity=Decimal(qty), new_client_order_id=coid)
    tg.sim.engine.place_order("main", order, tg.transport.server_now_ms())


async def test_a_placed_order_asked_again_is_caught(tg: Session) -> None:
    placed = await tg.market_buy("BTC/USDT", qty="0.001")
    assert asked_after_placed(tg.sim) == []
    _ask(tg, placed.client_order_id, "0.001")  # (the engine takes an ended order's id again)
    assert asked_after_placed(tg.sim) == [placed.client_order_id]


async def test_asks_refused_before_the_one_placed_are_not(tg: Session) -> None:
    with pytest.raises(Exception):  # noqa: B017 - the engine's refusal of a zero quantity
        _ask(tg, "free1", "0")
    _ask(tg, "free1", "0.001")
    assert placements(tg.sim)["free1"] == 2
    assert asked_after_placed(tg.sim) == []
