"""OTO and OTOCO lists over FIX: `tg.place_oto` with order_transport = "fix" is one NewOrderList
<E> (ContingencyType 2, the working order first, then the pending one or the pending below and
above pair, each with Binance's list triggering instructions), never REST; answered with the
legs' ExecutionReports (the pending ones PENDING_NEW) and a ListStatus <N>; a lost answer is
resolved by the list's client id, never resent."""

from __future__ import annotations

import pytest

from tests.fix.conftest import wire
from tests.scenarios.conftest import assert_invariants, price_off
from tradeguard.errors import OutcomeUnknown
from tradeguard.events import OrderIntended, ReplyReceived
from tradeguard.intents import intent
from tradeguard.model import OrderIntent, OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote


async def _oto(tg: Session, name: str, pair: bool = False) -> tuple[OrderIntent, list[OrderIntent]]:
    """A BUY below the market that, once filled, places a SELL above it (or, `pair`, a SELL
    OCO: a LIMIT_MAKER above, a stop below)."""
    buy, up, down = [await price_off(tg, pct) for pct in ("-1", "1", "-2")]
    working = intent(f"{name}W", "BTC/USDT", "BUY", "LIMIT", qty="0.001", price=buy,
                     list_client_order_id=name)  # fmt: skip
    take = intent(f"{name}A", "BTC/USDT", "SELL", "LIMIT", qty="0.001", price=up,
                  post_only=True, list_client_order_id=name)  # fmt: skip
    if not pair:
        return working, [take]
    stop = intent(f"{name}B", "BTC/USDT", "SELL", "STOP_LOSS", qty="0.001", stop_price=down,
                  list_client_order_id=name)  # fmt: skip
    return working, [take, stop]


async def _rest_counts(remote: SimRemote) -> dict[str, int]:
    found: dict[str, int] = (await remote.requests())["requests"]
    return {k: v for k, v in found.items() if "orderList" in k}


@pytest.mark.parametrize("pair", [False, True], ids=["oto", "otoco"])
async def test_an_oto_goes_over_fix_as_one_new_order_list(
    fix_tg: Session, fix_remote: SimRemote, pair: bool
) -> None:
    await fix_remote.reset_requests()
    working, pending = await _oto(fix_tg, "fixOto", pair)
    placed = await fix_tg.place_oto(working, pending)
    assert [o.status for o in placed] == [OrderStatus.NEW] + [OrderStatus.PENDING_NEW] * len(
        pending
    )
    assert all(o.order_id is not None for o in placed)
    assert await _rest_counts(fix_remote) == {}  # never over REST
    journal = list(fix_tg.recorder.journal.events())
    intended = [i for i, e in enumerate(journal) if isinstance(e, OrderIntended)]
    [replied] = [
        i
        for i, e in enumerate(journal)
        if isinstance(e, ReplyReceived) and (e.method, e.path) == ("FIX", "NewOrderList")
    ]
    assert len(intended) == 1 + len(pending) and max(intended) < replied
    assert wire(fix_tg).lists == 1
    await fix_remote.fill("BTCUSDT", "0.001", client_order_id="fixOtoW")
    for leg in pending:  # the fill released them: the exchange placed them
        await fix_tg.wait_for(leg.client_order_id, OrderStatus.NEW, timeout_s=5)
    await assert_invariants(fix_tg)


async def test_an_oto_whose_answer_is_lost_is_resolved_never_resent(
    fix_tg: Session, fix_remote: SimRemote
) -> None:
    await fix_tg.place_oto(*await _oto(fix_tg, "upOto"))  # the session is up
    await fix_remote.add_fault(
        {"kind": "drop_after_execute", "method": "POST", "path_prefix": "/api/v3/orderList/oto",
         "count": 1}
    )  # fmt: skip
    with pytest.raises(OutcomeUnknown):
        await fix_tg.place_oto(*await _oto(fix_tg, "lostOto"))
    assert (await fix_tg.resolved("lostOtoW", timeout_s=5)).status is OrderStatus.NEW
    pending = await fix_tg.resolved("lostOtoA", timeout_s=5)
    assert pending.status is OrderStatus.PENDING_NEW and pending.order_id is not None
    assert fix_tg.sim is not None
    held = [o.client_order_id for o in fix_tg.sim.sim.engine.open_orders("main", None)]
    assert sorted(c for c in held if c.startswith("lostOto")) == ["lostOtoA", "lostOtoW"]
    await assert_invariants(fix_tg)
