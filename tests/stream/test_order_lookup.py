"""Orders looked up by exchange id in allOrders pages, not one GET each: a back-fill or a
reconciliation on a fresh journal meets trades of many orders it does not know, and a GET per
order at start is the burst of requests that gets an IP banned."""

from __future__ import annotations

import pytest

from tests.stream.conftest import ASSETS, PROFILE, SYMBOL, Env
from tradeguard.events import OrderAdopted, OrderFilled
from tradeguard.journal.replay import Ledger
from tradeguard.session.reconcile import reconcile
from tradeguard.venues.binance import client, order_lookup
from tradeguard.venues.binance.backfill import backfill
from tradeguard.venues.binance.order_lookup import orders_by_id

GET_ORDER = "GET /api/v3/order"
ALL_ORDERS = "GET /api/v3/allOrders"


async def traded(env: Env, count: int) -> dict[int, str]:
    """`count` resting orders, each partly filled by an outside taker: order id -> client id."""
    placed: dict[int, str] = {}
    for k in range(count):
        order = env.intend(price=str(30000 - k))
        report = await env.venue.place_order(order)
        await env.paired.remote.fill(SYMBOL, "0.0002", order_id=report.order_id)
        placed[report.order_id] = order.client_order_id
    return placed


async def counts(env: Env) -> tuple[int, int]:
    return await env.paired.request_count(GET_ORDER), await env.paired.request_count(ALL_ORDERS)


async def test_many_orders_come_in_one_all_orders_page(env: Env) -> None:
    placed = await traded(env, 12)
    before = await counts(env)
    found = await orders_by_id(env.venue, SYMBOL, placed)
    assert {i: r.client_order_id for i, r in found.items()} == placed
    gets, pages = await counts(env)
    assert (gets - before[0], pages - before[1]) == (0, 1)


async def test_a_few_orders_are_asked_one_by_one(env: Env) -> None:
    placed = await traded(env, order_lookup.ONE_BY_ONE)
    before = await counts(env)
    found = await orders_by_id(env.venue, SYMBOL, placed)
    assert {i: r.client_order_id for i, r in found.items()} == placed
    gets, pages = await counts(env)
    assert (gets - before[0], pages - before[1]) == (order_lookup.ONE_BY_ONE, 0)


async def test_pages_follow_the_smallest_missing_id_and_unknown_ids_are_left_out(
    env: Env,
) -> None:
    placed = await traded(env, 9)
    ids = sorted(placed)
    order_lookup_page = order_lookup.PAGE
    order_lookup.PAGE = 4  # pages of four, so that three are needed
    try:
        before = await counts(env)
        found = await orders_by_id(env.venue, SYMBOL, [*ids, ids[-1] + 10_000])
    finally:
        order_lookup.PAGE = order_lookup_page
    assert sorted(found) == ids  # the id nobody placed is absent, not an error
    gets, pages = await counts(env)
    # two pages of four, then the two ids left (the last one placed and the unknown one) are
    # fewer than a page is worth: asked by themselves
    assert (gets - before[0], pages - before[1]) == (2, 2)


async def test_the_request_budget_is_kept(env: Env) -> None:
    placed = await traded(env, 8)
    before = await counts(env)
    found = await orders_by_id(env.venue, SYMBOL, [*placed, 10**9, 10**9 + 1], max_requests=2)
    assert sorted(found) == sorted(placed)
    gets, pages = await counts(env)
    assert (gets - before[0]) + (pages - before[1]) == 2


async def test_backfill_of_a_fresh_journal_names_every_fill_with_one_page(env: Env) -> None:
    placed = await traded(env, 10)
    for order_id in list(placed)[:7]:  # filled in full: not in the open-order list
        await env.paired.remote.fill(SYMBOL, "0.0008", order_id=order_id)
    before = await counts(env)
    events = await backfill(env.venue, ASSETS, {}, profile=PROFILE)
    fills = [e for e in events if isinstance(e, OrderFilled)]
    assert {(f.order_id, f.client_order_id) for f in fills} == set(placed.items())
    assert len(fills) == 17
    gets, pages = await counts(env)
    assert (gets - before[0], pages - before[1]) == (0, 1)


async def test_reconcile_on_a_fresh_journal_adopts_every_order_with_one_page(env: Env) -> None:
    placed = await traded(env, 10)
    for order_id in list(placed)[:7]:  # seven of them filled in full: no longer open
        await env.paired.remote.fill(SYMBOL, "0.0008", order_id=order_id)
    before = await counts(env)
    events = await reconcile(env.venue, Ledger(), ASSETS, profile=PROFILE)
    adopted = {e.client_order_id for e in events if isinstance(e, OrderAdopted)}
    assert adopted == set(placed.values())
    fills = [e for e in events if isinstance(e, OrderFilled)]
    assert {f.client_order_id for f in fills} == set(placed.values()) and len(fills) == 17
    gets, pages = await counts(env)
    assert (gets - before[0], pages - before[1]) == (0, 1)


MY_TRADES = "GET /api/v3/myTrades"


async def test_trades_after_an_id_page_on_and_with_none_the_newest_page(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client, "MY_TRADES_PAGE", 3)
    await traded(env, 7)
    every = await env.venue.my_trades(SYMBOL, limit=100)
    ids = [t.trade_id for t in every]
    assert len(ids) == 7
    before = await env.paired.request_count(MY_TRADES)
    assert [t.trade_id for t in await env.venue.trades_after(SYMBOL, ids[0])] == ids[1:]
    assert await env.paired.request_count(MY_TRADES) - before == 3  # 3, 3, then an empty page
    newest = await env.venue.trades_after(SYMBOL, None)
    assert [t.trade_id for t in newest] == ids[-3:]  # the most recent page; nothing after it
