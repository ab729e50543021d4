"""The view of a real session's journal: a bot trading on the embedded simulator, tailed while
it runs; the page shows what the session itself holds, from the one fold they share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tradeguard.dashboard.metrics import prometheus_text
from tradeguard.dashboard.tail import JournalTail
from tradeguard.dashboard.view import DashboardView
from tradeguard.session.connect import connect
from tradeguard.session.guard import Session

from .test_metrics import Exposition


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("STATE", "DATA", "CONFIG", "CACHE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
async def tg() -> AsyncIterator[Session]:
    session = await connect(None)
    try:
        yield session
    finally:
        await session.close()


async def test_a_running_bots_fills_reach_the_view_as_the_session_holds_them(tg: Session) -> None:
    journal = tg.recorder.journal
    tail = JournalTail.open(journal.location)
    view = DashboardView(profile=tg.profile, venue="binance", env="sim", limits=None)
    seq = tail.start_view(view)

    bought = await tg.wait_for((await tg.market_buy("BTC/USDT", qty="0.0012")).client_order_id)
    sold = await tg.wait_for((await tg.market_sell("BTC/USDT", qty="0.0005")).client_order_id)
    journal.flush()  # what the session has journaled is committed (it would be within 0.2 s)

    payloads = []
    while batch := tail.after(seq):
        for seq, event in batch:
            if (payload := view.apply(seq, event)) is not None:
                payloads.append(payload)
    fills = [p["fill"] for p in payloads if p["kind"] == "OrderFilled"]
    assert len(fills) == len(bought.fills) + len(sold.fills) > 0

    page = view.snapshot()
    held = tg.position("BTC/USDT")
    (position,) = page["positions"]
    assert Decimal(position["qty"]) == held.qty
    assert view.ledger.state().positions == tg.ledger.state().positions
    assert view.ledger.open_orders() == tg.ledger.open_orders()

    # realized by average cost, fees included, from the fills themselves
    buy_qty = sum((f.qty for f in bought.fills), Decimal(0))
    buy_cost = sum((f.price * f.qty for f in bought.fills), Decimal(0))
    buy_fee_base = sum(
        (f.commission for f in bought.fills if f.commission_asset == "BTC"), Decimal(0)
    )
    buy_fee_quote = sum(
        (f.commission for f in bought.fills if f.commission_asset == "USDT"), Decimal(0)
    )
    average = (buy_cost + buy_fee_quote) / (buy_qty - buy_fee_base)
    proceeds = sum((f.price * f.qty for f in sold.fills), Decimal(0)) - sum(
        (f.commission for f in sold.fills if f.commission_asset == "USDT"), Decimal(0)
    )
    sold_qty = sum((f.qty for f in sold.fills), Decimal(0)) + sum(
        (f.commission for f in sold.fills if f.commission_asset == "BTC"), Decimal(0)
    )
    assert Decimal(position["realized_pnl"]) == pytest.approx(proceeds - average * sold_qty)

    m = Exposition(prometheus_text(view, now_ms=tg.clock.wall_ms()))
    assert m.value("tradeguard_orders_submitted_total", side="BUY") == 1
    assert m.value("tradeguard_kill_switch_engaged") == 0
    tail.close()
