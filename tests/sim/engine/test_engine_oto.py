"""OTO and OTOCO order lists on the engine: the working order works at once, the pending ones
wait as PENDING_NEW (off the book, locking nothing) until it has filled, then work; a cancel of
any leg ends the list; each change of the list is a listStatus on the user stream."""

from __future__ import annotations

from typing import Any

import pytest

from tradeguard.sim.engine import Engine
from tradeguard.sim.records import NewOrder, NewOto
from tradeguard.sim.rejects import Reject

from .scenario import SYMBOL, D, limit, locked, make


def _status(e: Engine, order_id: int) -> str:
    return e.get_order("alice", SYMBOL, order_id, None).status


def _events(e: Engine) -> list[dict[str, Any]]:
    return [
        ev.payload for ev in e.drain_user_events() if ev.payload["e"] != "outboundAccountPosition"
    ]


def buy_then_sell(**kw: Any) -> NewOto:
    """Buy 0.5 at 59000 (under the market); once bought, sell it at 61000."""
    pending = NewOrder(SYMBOL, "SELL", "LIMIT_MAKER", quantity=D("0.5"), price=D("61000"))
    return NewOto(SYMBOL, limit("BUY", "0.5", "59000"), [pending], **kw)


def test_the_pending_order_waits_for_the_working_order_to_fill() -> None:
    e = make()
    working, pending = e.place_oto("alice", buy_then_sell(list_client_order_id="oto1"), 10)
    assert (working.order.status, pending.order.status) == ("NEW", "PENDING_NEW")
    assert working.order.order_list_id == pending.order.order_list_id == 0
    assert e.list_kind(SYMBOL, 0) == "OTO"
    assert locked(e, "alice", "BTC") == 0  # the pending sell locks nothing yet
    placed = _events(e)
    assert [(p["e"], p.get("X")) for p in placed] == [
        ("executionReport", "NEW"),
        ("executionReport", "PENDING_NEW"),
        ("listStatus", None),
    ]
    assert (placed[2]["c"], placed[2]["l"], placed[2]["C"]) == ("OTO", "EXEC_STARTED", "oto1")
    assert [o.order_id for o in e.open_orders("alice", SYMBOL)] == [1, 2]
    _, _, asks = e.depth(SYMBOL, 100)
    assert all(price != D("61000") for price, _ in asks)

    e.control_fill(SYMBOL, working.order.order_id, None, D("0.5"), None, 20)
    assert _status(e, pending.order.order_id) == "NEW"
    assert locked(e, "alice", "BTC") == D("0.5")
    filled = _events(e)
    assert [(p["e"], p.get("x"), p.get("X")) for p in filled] == [
        ("executionReport", "TRADE", "FILLED"),
        ("executionReport", "NEW", "NEW"),
        ("listStatus", None, None),
    ]
    assert (filled[2]["l"], filled[2]["L"]) == ("EXEC_STARTED", "EXECUTING")

    e.control_fill(SYMBOL, pending.order.order_id, None, D("0.5"), None, 30)
    done = _events(e)
    assert [p["e"] for p in done] == ["executionReport", "listStatus"]
    assert (done[1]["l"], done[1]["L"], done[1]["g"]) == ("ALL_DONE", "ALL_DONE", 0)


def test_cancelling_the_pending_order_cancels_the_working_one() -> None:
    e = make()
    working, pending = e.place_oto("alice", buy_then_sell(), 10)
    _events(e)
    e.cancel_order("alice", SYMBOL, pending.order.order_id, None, None, 20)
    assert _status(e, working.order.order_id) == _status(e, pending.order.order_id) == "CANCELED"
    assert locked(e, "alice", "USDT") == 0
    said = _events(e)
    assert [p["e"] for p in said] == ["executionReport", "executionReport", "listStatus"]
    assert said[2]["l"] == "ALL_DONE"
    with pytest.raises(Reject):
        e.cancel_order_list("alice", SYMBOL, 0, None, 30)


def test_an_otoco_places_its_pair_as_an_oco_once_the_working_order_fills() -> None:
    e = make()
    above = NewOrder(SYMBOL, "SELL", "LIMIT_MAKER", quantity=D("0.5"), price=D("61000"))
    below = NewOrder(SYMBOL, "SELL", "STOP_LOSS", quantity=D("0.5"), stop_price=D("58000"))
    working, up, down = e.place_oto(
        "alice", NewOto(SYMBOL, limit("BUY", "0.5", "59000"), [above, below]), 10
    )
    assert (up.order.status, down.order.status) == ("PENDING_NEW", "PENDING_NEW")
    e.control_fill(SYMBOL, working.order.order_id, None, D("0.5"), None, 20)
    assert (_status(e, up.order.order_id), _status(e, down.order.order_id)) == ("NEW", "NEW")
    assert locked(e, "alice", "BTC") == D("0.5")  # once for the pair
    e.set_price(SYMBOL, D("57999"), 30)  # the stop fires: the limit leg expires
    assert _status(e, down.order.order_id) == "FILLED"
    assert _status(e, up.order.order_id) == "EXPIRED"
    assert locked(e, "alice", "BTC") == 0
    assert [p["l"] for p in _events(e) if p["e"] == "listStatus"] == [
        "EXEC_STARTED", "EXEC_STARTED", "ALL_DONE"
    ]  # fmt: skip


def test_an_oto_whose_working_order_is_not_limit_is_refused() -> None:
    e = make()
    working = NewOrder(SYMBOL, "BUY", "MARKET", quantity=D("0.5"))
    pending = NewOrder(SYMBOL, "SELL", "LIMIT_MAKER", quantity=D("0.5"), price=D("61000"))
    with pytest.raises(Reject) as refused:
        e.place_oto("alice", NewOto(SYMBOL, working, [pending]), 10)
    assert refused.value.code == -1116
    assert e.open_orders("alice", SYMBOL) == []
