"""The unknown-outcome and fault scenarios with orders over Binance's WebSocket API
(`order_transport = "ws"`): a lost reply, a 5xx, a timeout, a ban during a stream and a SIGKILL
with an order in flight, each resolved by client order id, never resent, invariants kept.

The faults are the REST order path's (`POST /api/v3/order`): the simulator applies them to the
same order sent as `order.place`, so each scenario is its REST twin with the transport changed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.scenarios.conftest import (
    FAST,
    FAST_RESOLVE,
    Connect,
    assert_invariants,
    eventually,
    fill,
    placements,
    price_off,
    sent_counts,
    unknown_statuses,
    watch_placements,
)
from tradeguard.errors import OutcomeUnknown, RateLimited
from tradeguard.events import OrderIntended, ReplyReceived
from tradeguard.model import OrderStatus
from tradeguard.profile.profiles import Profile
from tradeguard.session.guard import Session
from tradeguard.sim import server
from tradeguard.sim.remote import SimRemote

ORDER = "/api/v3/order"
PLACE = "WS order.place"
QUERY = "WS order.status"


@pytest.fixture
async def ws(sessions: Connect) -> Session:
    session = await sessions(Profile(order_transport="ws"), **FAST)
    watch_placements(session.sim)
    return session


@pytest.fixture
def ws_remote(ws: Session, http: aiohttp.ClientSession) -> SimRemote:
    assert ws.sim is not None
    return SimRemote(ws.sim.control_url, http)


async def _counts(remote: SimRemote) -> dict[str, Any]:
    counts: dict[str, Any] = (await remote.requests())["requests"]
    return counts


async def test_ws_lost_reply_is_resolved_without_a_duplicate(
    ws: Session, ws_remote: SimRemote
) -> None:
    await ws_remote.add_fault(
        {"kind": "drop_after_execute", "method": "POST", "path_prefix": ORDER, "count": 1}
    )
    await ws_remote.reset_requests()
    with pytest.raises(OutcomeUnknown):
        await ws.market_buy("BTC/USDT", qty="0.001")
    [coid] = [o.client_order_id for o in ws.ledger.orders.values()]
    done = await ws.wait_for(coid, OrderStatus.FILLED, timeout_s=5)
    assert done.executed_qty == done.qty
    counts = await _counts(ws_remote)
    assert counts.get(PLACE) == 1 and f"POST {ORDER}" not in counts
    assert ws.sim is not None and placements(ws.sim)[coid] == 1
    await assert_invariants(ws)


@pytest.mark.parametrize(
    "fault",
    [
        {"http_status": 503, "html_body": "<html><body>Service Unavailable</body></html>"},
        {
            "http_status": 503,
            "code": -1007,
            "msg": "Timeout waiting for response from backend "
            "server. Send status unknown; execution status unknown.",
        },
        {
            "http_status": 500,
            "code": -1006,
            "msg": "An unexpected response was received from "
            "the message bus. Execution status unknown.",
        },
    ],
    ids=["503-html", "503-1007", "500-1006"],
)
async def test_ws_5xx_is_unknown_then_rejected_never_resent(
    ws: Session, ws_remote: SimRemote, fault: dict[str, object]
) -> None:
    await ws_remote.add_fault(
        {"kind": "error", "method": "POST", "path_prefix": ORDER, "count": 1, **fault}
    )
    await ws_remote.reset_requests()
    with pytest.raises(OutcomeUnknown):
        await ws.limit_buy("BTC/USDT", qty="0.001", price=await price_off(ws, "-1"))
    [coid] = unknown_statuses(ws)
    done = await ws.wait_for(coid, OrderStatus.REJECTED, timeout_s=10)
    assert "not resent" in (done.reason or "") or "never" in (done.reason or "")
    counts = await _counts(ws_remote)
    assert counts.get(PLACE) == 1
    assert counts.get(QUERY, 0) >= FAST_RESOLVE.min_queries  # resolved over the same wire
    await assert_invariants(ws)


async def test_ws_error_reply_names_the_method_sent_not_its_rest_twin(
    ws: Session, ws_remote: SimRemote
) -> None:
    """An order that went out as `order.place` and got a 503 says so: "WS order.place", as a
    cut connection's error does, never "POST /api/v3/order", which reads as if it went over
    REST."""
    await ws_remote.add_fault({"kind": "error", "http_status": 503, "method": "POST",
                               "path_prefix": ORDER, "count": 1})  # fmt: skip
    await ws_remote.reset_requests()
    with pytest.raises(OutcomeUnknown) as unknown:
        await ws.limit_buy("BTC/USDT", qty="0.001", price=await price_off(ws, "-1"))
    assert str(unknown.value).startswith(f"{PLACE}: "), unknown.value
    assert f"POST {ORDER}" not in str(unknown.value)
    assert (await _counts(ws_remote)).get(PLACE) == 1


async def test_ws_timeout_after_execute_resolves_to_its_fills_and_the_late_reply_is_ignored(
    ws: Session, ws_remote: SimRemote
) -> None:
    """The reply is held past the 2 s reply timeout: UNKNOWN, then the real fills, once; the
    reply that comes late changes nothing and the connection carries the next order."""
    await ws_remote.add_fault({"kind": "stream_silence", "channel": "user"})
    await ws_remote.add_fault(
        {"kind": "hold_after_execute", "method": "POST", "path_prefix": ORDER, "count": 1,
         "seconds": 3}
    )  # fmt: skip
    with pytest.raises(OutcomeUnknown):
        await ws.market_sell("BTC/USDT", qty="0.001")
    [coid] = list(ws.ledger.orders)
    done = await ws.wait_for(coid, OrderStatus.FILLED, timeout_s=5)
    assert done.executed_qty == done.qty
    await ws_remote.clear_faults()
    await asyncio.sleep(1.5)  # the held reply arrives now, for a request no longer waiting
    after = await ws.limit_buy("BTC/USDT", qty="0.001", price=await price_off(ws, "-1"))
    assert after.status is OrderStatus.NEW
    assert ws.sim is not None and placements(ws.sim)[coid] == 1
    assert sent_counts(ws)[coid] == 0
    await assert_invariants(ws)


async def test_ws_ban_during_a_stream_holds_rest_and_ws_and_the_stream_still_books(
    ws: Session, ws_remote: SimRemote
) -> None:
    resting = await ws.limit_buy("BTC/USDT", qty="0.001", price=await price_off(ws, "-1"))
    await ws_remote.add_fault(
        {"kind": "error", "method": "POST", "path_prefix": ORDER, "count": 1, "http_status": 418,
         "code": -1003, "msg": "Way too many requests; IP banned.", "retry_after_s": 120}
    )  # fmt: skip
    with pytest.raises(RateLimited) as banned:
        await ws.market_buy("BTC/USDT", qty="0.0001")
    assert banned.value.http_status == 418 and not banned.value.local
    await ws_remote.reset_requests()
    with pytest.raises(RateLimited) as again:
        await ws.market_buy("BTC/USDT", qty="0.0001")
    assert again.value.local and again.value.http_status == 418
    with pytest.raises(RateLimited):
        await ws.transport.balances()  # REST holds too
    assert await _counts(ws_remote) == {}  # nothing left, over either wire
    # the resting order is still managed: its fill arrives over the open user stream
    await fill(ws_remote, "binance", resting.client_order_id, "0.001")
    await ws.wait_for(resting.client_order_id, OrderStatus.FILLED, timeout_s=5)
    await assert_invariants(ws)


BOT = """
import asyncio, sys
import tradeguard

async def main():
    tg = await tradeguard.connect("bot")
    print("ready", flush=True)
    await tg.limit_buy("BTC/USDT", qty="0.001", price=sys.argv[1])   # its reply is held
    await asyncio.sleep(60)

asyncio.run(main())
"""


async def test_ws_sigkill_with_an_order_in_flight_restart_adopts_it(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote, tmp_path: Path
) -> None:
    """A bot whose order went out over the WebSocket API is SIGKILLed before the reply came:
    the restarted session finds its intent, adopts the order the exchange holds, and never
    sends it again."""
    toml = tmp_path / "tradeguard.toml"
    toml.write_text(
        toml.read_text().replace('env = "testnet"', 'env = "testnet"\norder_transport = "ws"')
    )
    await control.add_fault(
        {"kind": "hold_after_execute", "path_prefix": "/ws-api/v3/order.place", "seconds": 60,
         "count": 1}
    )  # fmt: skip
    script = tmp_path / "bot.py"
    script.write_text(BOT)
    last = exchange.engine.last_price("BTCUSDT")
    price = str((last * Decimal("0.99")).quantize(Decimal("0.01")))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), price, stdout=asyncio.subprocess.PIPE,
        env=dict(os.environ), cwd=tmp_path,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        assert (await asyncio.wait_for(proc.stdout.readline(), 20)).strip() == b"ready"
        await eventually(lambda: _one_open(exchange), timeout_s=10)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    [held] = exchange.engine.open_orders("main", "BTCUSDT")
    await control.clear_faults()

    tg = await sessions("bot", **FAST)
    # its intent was written before the frame left, so the restart knows it as its own
    intents = [e for e in tg.recorder.journal.events() if isinstance(e, OrderIntended)]
    assert [e.client_order_id for e in intents] == [held.client_order_id]
    adopted = await tg.resolved(held.client_order_id, timeout_s=5)
    assert adopted.status is OrderStatus.NEW and adopted.order_id == held.order_id
    assert placements(exchange)[held.client_order_id] == 1
    await tg.cancel(held.client_order_id)
    await assert_invariants(tg, exchange)
    assert placements(exchange)[held.client_order_id] == 1


def _one_open(exchange: server.RunningSim) -> None:
    assert len(exchange.engine.open_orders("main", "BTCUSDT")) == 1


OCO = "/api/v3/orderList/oco"


async def _bracket(ws: Session) -> tuple[Any, Any]:
    return await ws.bracket(
        "BTC/USDT", "SELL", qty="0.001",
        take_profit=await price_off(ws, "1"), stop=await price_off(ws, "-1"),
    )  # fmt: skip


async def test_ws_bracket_goes_over_the_websocket_api(ws: Session, ws_remote: SimRemote) -> None:
    await ws_remote.reset_requests()
    take, stop = await _bracket(ws)
    assert take.status is OrderStatus.NEW and stop.status is OrderStatus.NEW
    counts = await _counts(ws_remote)
    assert counts.get("WS orderList.place.oco") == 1 and f"POST {OCO}" not in counts
    journal = list(ws.recorder.journal.events())
    intended = [i for i, e in enumerate(journal) if isinstance(e, OrderIntended)]
    [replied] = [
        i
        for i, e in enumerate(journal)
        if isinstance(e, ReplyReceived) and (e.method, e.path) == ("WS", "orderList.place.oco")
    ]
    assert len(intended) == 2 and max(intended) < replied  # both legs journaled before it left
    canceled = await ws.cancel(take.client_order_id)  # the exchange ends the list with it
    assert canceled.status is OrderStatus.CANCELED
    await ws.wait_for(stop.client_order_id, OrderStatus.CANCELED, timeout_s=5)
    await assert_invariants(ws)


async def test_ws_bracket_lost_reply_is_resolved_leg_by_leg_never_resent(
    ws: Session, ws_remote: SimRemote
) -> None:
    await ws_remote.add_fault(
        {"kind": "drop_after_execute", "method": "POST", "path_prefix": OCO, "count": 1}
    )
    await ws_remote.reset_requests()
    with pytest.raises(OutcomeUnknown):
        await _bracket(ws)
    legs = list(ws.ledger.orders)
    assert len(legs) == 2
    for coid in legs:
        assert (await ws.resolved(coid, timeout_s=5)).status is OrderStatus.NEW
        assert ws.sim is not None and placements(ws.sim)[coid] <= 1
    counts = await _counts(ws_remote)
    assert counts.get("WS orderList.place.oco") == 1 and f"POST {OCO}" not in counts
    await assert_invariants(ws)
