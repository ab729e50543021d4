"""Pains 10-12: the user stream goes deaf, is terminated, drops in the middle of fills; what
it missed is back-filled over REST, once."""

from __future__ import annotations

import asyncio
import io
import re
from dataclasses import replace
from decimal import Decimal

import aiohttp

from tests.scenarios.conftest import (
    ACCOUNT,
    FAST,
    FAST_STREAM,
    Connect,
    assert_invariants,
    binance_only,
    eventually,
    every_venue,
    fill,
    price_off,
)
from tradeguard.events import (
    BalanceChanged,
    EventBase,
    OrderFilled,
    OrderUpdated,
    ReconciliationFound,
    StreamConnected,
    StreamGapFilled,
)
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim import server
from tradeguard.sim.remote import SimRemote


def _count(tg: Session, kind: type) -> int:
    return sum(1 for e in tg.recorder.journal.events() if isinstance(e, kind))


def _more(tg: Session, kind: type, than: int) -> None:
    assert _count(tg, kind) > than


@every_venue
async def test_pain11_stream_silent_but_ponging_fills_back_filled(
    fast: Session, fast_remote: SimRemote
) -> None:
    """The socket answers pings and delivers nothing (for good, as far as the test goes):
    the watchdog calls it deaf after `quiet_after_s`, resubscribes and back-fills."""
    order = await fast.limit_buy("BTC/USDT", qty="0.001", price=await price_off(fast, "-1"))
    connected = _count(fast, StreamConnected)
    await fast_remote.add_fault({"kind": "stream_silence", "channel": "user"})
    await fill(fast_remote, fast.venue, order.client_order_id, "0.0004")
    await fill(fast_remote, fast.venue, order.client_order_id, "0.0006")
    done = await fast.wait_for(order.client_order_id, OrderStatus.FILLED, timeout_s=15)
    assert done.executed_qty == Decimal("0.001")
    assert {f.source for f in done.fills} == {"query"}
    assert _count(fast, StreamConnected) > connected
    await fast_remote.clear_faults()
    await assert_invariants(fast)


@every_venue
async def test_pain12_stream_dropped_during_fills_is_back_filled(
    fast: Session, fast_remote: SimRemote
) -> None:
    order = await fast.limit_buy("BTC/USDT", qty="0.001", price=await price_off(fast, "-1"))
    gaps = _count(fast, StreamGapFilled)
    await fast_remote.add_fault({"kind": "stream_drop", "channel": "user", "count": 1})
    for part in ("0.0002", "0.0003", "0.0005"):
        await fill(fast_remote, fast.venue, order.client_order_id, part)
    done = await fast.wait_for(order.client_order_id, OrderStatus.FILLED, timeout_s=5)
    assert done.executed_qty == Decimal("0.001") and len(done.fills) == 3
    assert _count(fast, StreamGapFilled) > gaps
    await assert_invariants(fast)


@every_venue
async def test_pain10_stream_terminated_resubscribed_and_back_filled(
    fast: Session, fast_remote: SimRemote
) -> None:
    """eventStreamTerminated (the WebSocket API's form of a listenKey that expired or was
    deleted): resubscribe and reconcile over REST."""
    order = await fast.limit_buy("BTC/USDT", qty="0.001", price=await price_off(fast, "-1"))
    connected = _count(fast, StreamConnected)
    await fast_remote.add_fault({"kind": "stream_terminate", "channel": "user", "count": 1})
    await fill(fast_remote, fast.venue, order.client_order_id, "0.0007")
    await fill(fast_remote, fast.venue, order.client_order_id, "0.0003")
    done = await fast.wait_for(order.client_order_id, OrderStatus.FILLED, timeout_s=5)
    assert done.executed_qty == Decimal("0.001")
    assert _count(fast, StreamConnected) > connected
    await assert_invariants(fast)


@every_venue
async def test_pain11_an_order_placed_right_after_reconnect_is_seen(
    fast: Session, fast_remote: SimRemote
) -> None:
    """ccxt#14121: an order placed just after (re)connecting never appeared."""
    await fast_remote.add_fault({"kind": "stream_drop", "channel": "user", "count": 1})
    first = await fast.limit_buy("BTC/USDT", qty="0.001", price=await price_off(fast, "-1"))
    await fast.ready.wait()
    second = await fast.limit_buy("BTC/USDT", qty="0.001", price=await price_off(fast, "-1.2"))
    await fill(fast_remote, fast.venue, second.client_order_id, "0.001")
    await fast.wait_for(second.client_order_id, OrderStatus.FILLED, timeout_s=5)
    await fast.cancel(first.client_order_id)
    await assert_invariants(fast)


@binance_only  # Binance's 24 h connection age (StreamConfig.max_connection_s)
async def test_pain11_forced_disconnect_at_connection_age_survived(sessions: Connect) -> None:
    """Binance cuts a connection at 24 h; the stream leaves before (here: after 0.3 s) and
    fills around the reconnections are all booked once."""
    config = replace(FAST_STREAM, max_connection_s=0.3)
    tg = await sessions(None, stream_config=config)
    async with aiohttp.ClientSession() as http:
        remote = SimRemote(tg.sim.control_url, http)
        order = await tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(tg, "-1"))
        connected = _count(tg, StreamConnected)
        for n, part in enumerate(("0.0002", "0.0003", "0.0005"), start=1):
            await fill(remote, tg.venue, order.client_order_id, part)
            # the next fill on the next connection
            await eventually(lambda n=n: _more(tg, StreamConnected, connected + n))
        await tg.wait_for(order.client_order_id, OrderStatus.FILLED, timeout_s=5)
        await assert_invariants(tg)


@every_venue
async def test_duplicated_stream_events_reach_no_one_twice(tg: Session, remote: SimRemote) -> None:
    """Every user event sent twice: each fill and each order report is journaled, watched
    and fed to `tg.events()` once, and the duplicates dropped are counted."""
    fed: list[EventBase] = []

    async def listen() -> None:
        async for event in tg.events():
            fed.append(event)

    listener = asyncio.ensure_future(listen())
    await asyncio.sleep(0)  # the feed is open before the first event
    watched: list[EventBase] = []
    tg.recorder.watchers.append(watched.append)
    await remote.add_fault({"kind": "duplicate_next", "channel": "user", "count": 50})
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(tg, "-1"))
    for part in ("0.0002", "0.0003", "0.0005"):
        await fill(remote, tg.venue, order.client_order_id, part)
    await tg.wait_for(order.client_order_id, OrderStatus.FILLED, timeout_s=5)
    await assert_invariants(tg)
    await eventually(lambda: _fed_fills(fed, 3))
    listener.cancel()
    journaled = [e for e in tg.recorder.journal.events() if isinstance(e, OrderFilled)]
    for seen in (journaled, watched, fed):
        fills = [e.trade_id for e in seen if isinstance(e, OrderFilled)]
        assert len(fills) == len(set(fills)) == 3
        streamed = [
            (e.status, e.executed_qty)
            for e in seen
            if isinstance(e, OrderUpdated) and e.source == "stream"
        ]
        assert len(streamed) == len(set(streamed))  # no report of the same state twice
    # the three fills at least, and on Binance the NEW report as well
    assert tg.recorder.duplicates >= (4 if tg.venue == "binance" else 3)
    assert tg.recorder.refused == 0


def _fed_fills(fed: list[EventBase], n: int) -> None:
    assert sum(isinstance(e, OrderFilled) for e in fed) >= n


@every_venue
async def test_the_run_summary_counts_duplicated_fills_once(tg: Session, remote: SimRemote) -> None:
    """`tradeguard run`'s tally counts fills through a watcher: 3 fills say 3, not 6."""
    from rich.console import Console

    from tradeguard.cli.runner import run_bot

    async def bot(tg: Session) -> None:
        await remote.add_fault({"kind": "duplicate_next", "channel": "user", "count": 50})
        order = await tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(tg, "-1"))
        for part in ("0.0002", "0.0003", "0.0005"):
            await fill(remote, tg.venue, order.client_order_id, part)
        await tg.wait_for(order.client_order_id, OrderStatus.FILLED, timeout_s=5)
        await assert_invariants(tg)

    out = io.StringIO()
    code, _ = await run_bot(bot, tg, Console(file=out, width=120), live=False)
    assert code == 0, out.getvalue()
    lines = out.getvalue().splitlines()
    header = next(i for i, line in enumerate(lines) if "orders" in line and "fills" in line)
    names = [c.strip() for c in re.split(r"[│┃|]", lines[header]) if c.strip()]
    row = next(line for line in lines[header + 1 :] if re.search(r"\d", line))
    values = [c.strip() for c in re.split(r"[│┃|]", row) if c.strip()]
    assert dict(zip(names, values, strict=False))["fills"] == "3", out.getvalue()
    repeated = [ln for ln in lines if "fills came more than once" in ln]
    assert repeated and repeated[0].strip().split()[0] == str(tg.recorder.repeated_fills)
    assert tg.recorder.repeated_fills >= 3


@binance_only  # balances are streamed on Binance only
async def test_reordered_balance_reports_do_not_halt_the_next_start(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote
) -> None:
    """An order's four user events arrive reversed: the balance report after its fill first,
    then the fill, then the older report from when it was placed. Balances are taken by the
    exchange's update time (the older report is not applied over the newer one, and the fill
    it already counted is not counted again), so the next start finds no mismatch."""
    tg = await sessions("bot", **FAST)
    await control.add_fault({"kind": "reorder_next", "channel": "user", "count": 4})
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(tg, "-1"))
    await control.clock(offset_ms=50)  # the fill's report is later than the placement's
    await control.fill("BTCUSDT", "0.001", order_id=order.order_id)
    await tg.wait_for(order.client_order_id, OrderStatus.FILLED, timeout_s=5)
    await eventually(lambda: _arrived_reversed(tg))
    await assert_invariants(tg, exchange)
    held = exchange.engine.balances(ACCOUNT)
    for asset in ("BTC", "USDT"):
        balance = tg.balance(asset)
        assert balance is not None and balance.total == held[asset].free + held[asset].locked
    await tg.close(cancel_open=False)
    again = await sessions("bot", **FAST)
    found = [e for e in again.recorder.journal.events() if isinstance(e, ReconciliationFound)]
    assert [f.detail for f in found if f.kind == "balance_mismatch"] == []
    assert not again.ledger.kill_switch.latched


def _arrived_reversed(tg: Session) -> None:
    """The fault's four events all journaled: the newest balance report before the fill."""
    kinds = [
        type(e).__name__
        for e in tg.recorder.journal.events()
        if isinstance(e, BalanceChanged | OrderFilled) and getattr(e, "source", "") == "stream"
    ]
    assert kinds[-3:] == ["BalanceChanged", "OrderFilled", "BalanceChanged"], kinds
