"""A bot naming its own orders in the library (`tg.place` with its own intent, or
`cancel_replace(new_client_order_id=...)`): an id whose order never reached the exchange's
book is free again, as Binance frees it; the id of any order that did is refused here, before
anything is sent, so no order is placed twice and the earlier order keeps its state."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tests.scenarios.conftest import assert_invariants, placements, price_off
from tradeguard.errors import GuardError, OrderRejected, RiskDenied
from tradeguard.intents import intent
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote

ORDER = "POST /api/v3/order"


async def _posts(remote: SimRemote) -> int:
    return int((await remote.requests())["requests"].get(ORDER, 0))


def _on_exchange(tg: Session, coid: str) -> int:
    engine = tg.sim.engine
    return sum(
        1 for o in engine.all_orders("main", "BTCUSDT", limit=10**6) if o.client_order_id == coid
    )


async def test_an_id_refused_by_the_guard_or_rejected_by_the_exchange_is_free_again(
    tg: Session, remote: SimRemote
) -> None:
    far = await price_off(tg, "-10")  # outside the price band
    with pytest.raises(RiskDenied):
        await tg.place(intent("mine1", "BTC/USDT", "BUY", "LIMIT", qty="0.001", price=far))
    await remote.set_balance("USDT", "0")
    with pytest.raises(OrderRejected):
        await tg.place(intent("mine1", "BTC/USDT", "BUY", "MARKET", qty="0.001"))
    assert tg.order("mine1").status is OrderStatus.REJECTED  # type: ignore[union-attr]
    await remote.set_balance("USDT", "100000")
    placed = await tg.place(intent("mine1", "BTC/USDT", "BUY", "MARKET", qty="0.001"))
    assert placed.status is OrderStatus.FILLED
    assert _on_exchange(tg, "mine1") == 1
    assert tg.intent_of("mine1").type.value == "MARKET"  # type: ignore[union-attr]
    # replay folds the two intents as the live ledger did
    from tradeguard.journal.replay import fold

    assert fold(tg.recorder.journal.events()).orders["mine1"] == tg.order("mine1")
    # the scenarios' invariants hold: asked again only after refusals, journaled again only
    # after a rejection that placed nothing
    # (the account's USDT as last set, before the placed order)
    balances = {**tg.sim.sim.config.balances["main"], "USDT": Decimal(100000)}
    await assert_invariants(tg, initial=balances)


async def test_the_id_of_an_order_that_reached_the_exchange_is_refused_before_sending(
    tg: Session, remote: SimRemote
) -> None:
    resting = await tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(tg, "-1"))
    filled = await tg.market_buy("BTC/USDT", qty="0.001")
    sent = await _posts(remote)
    for taken in (resting, filled):
        with pytest.raises(GuardError, match="already"):
            await tg.place(intent(taken.client_order_id, "BTC/USDT", "BUY", "MARKET", qty="0.001"))
        with pytest.raises(GuardError, match="already"):
            await tg.cancel_replace(
                resting.client_order_id, price=await price_off(tg, "-2"),
                new_client_order_id=taken.client_order_id,
            )  # fmt: skip
    assert await _posts(remote) == sent
    assert tg.order(resting.client_order_id).status is OrderStatus.NEW  # type: ignore[union-attr]
    assert tg.order(filled.client_order_id).status is OrderStatus.FILLED  # type: ignore[union-attr]
    assert placements(tg.sim)[filled.client_order_id] == 1
    await assert_invariants(tg)


async def test_two_calls_racing_with_one_id_place_one_order(tg: Session) -> None:
    tg._prices.clear()  # both calls wait for the price, then both reach the journal
    wanted = intent("race1", "BTC/USDT", "BUY", "MARKET", qty="0.001")
    results = await asyncio.gather(tg.place(wanted), tg.place(wanted), return_exceptions=True)
    placed = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, GuardError)]
    assert len(placed) == 1 and len(refused) == 1, results
    assert placed[0].status is OrderStatus.FILLED
    assert placements(tg.sim)["race1"] == 1
    assert tg.order("race1").executed_qty == Decimal("0.001")  # type: ignore[union-attr]
    await assert_invariants(tg)
