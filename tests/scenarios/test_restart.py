"""Pains 9, 13 and 25 across restarts: two sessions, one after the other, on one journal and
one exchange (a simulator started here, reached through a profile's base_url and an API key
from the environment, as a user's testnet profile would be)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.scenarios.conftest import (
    FAST,
    Connect,
    assert_invariants,
    binance_only,
    eventually,
    every_venue,
    fill,
    price_off,
)
from tradeguard.errors import TradingHalted
from tradeguard.events import KillSwitchSet, OrderFilled, ShutDown
from tradeguard.keys.credentials import ApiCredentials, Secret
from tradeguard.model import OrderStatus, OrderType, Side, TimeInForce
from tradeguard.session import kill_switch
from tradeguard.session.guard import Session
from tradeguard.sim import server
from tradeguard.sim.remote import SimRemote
from tradeguard.venues.binance.client import BinanceTransport
from tradeguard.venues.binance.endpoints import NewOrder

BOT = """
import asyncio, sys
import tradeguard

async def main():
    tg = await tradeguard.connect("bot")
    first = await tg.limit_buy("BTC/USDT", qty="0.001", price=sys.argv[1])
    second = await tg.limit_buy("BTC/USDT", qty="0.001", price=sys.argv[2])
    print(first.client_order_id, second.client_order_id, flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


@every_venue
async def test_pain9_client_order_ids_unique_across_restarts(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote, venue: str
) -> None:
    placed: list[str] = []
    for _ in range(3):
        tg = await sessions("bot", **FAST)
        for pct in ("-1", "-1.1"):
            order = await tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(tg, pct))
            placed.append(order.client_order_id)
        await fill(control, venue, order.client_order_id, "0.001")
        await tg.wait_for(order.client_order_id, timeout_s=5)
        await assert_invariants(tg, exchange)
        await tg.close()
    assert len(set(placed)) == len(placed) == 6


@every_venue
async def test_pain13_bot_sigkilled_mid_trading_restart_adopts_the_exchange(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote, tmp_path: Path, venue: str
) -> None:
    """A bot process with two resting orders is SIGKILLed while its fills come in (its
    journal's unflushed tail is lost with it); more fills arrive while it is dead. The
    restarted session adopts the exchange's orders and trades; nothing is made up."""
    script = tmp_path / "bot.py"
    script.write_text(BOT)
    last = exchange.engine.last_price("BTCUSDT")
    prices = [str((last * Decimal(p)).quantize(Decimal("0.01"))) for p in ("0.99", "0.989")]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), *prices, stdout=asyncio.subprocess.PIPE,
        env=dict(os.environ), cwd=tmp_path,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        first_id, second_id = line.decode().split()
        await fill(control, venue, first_id, "0.001")
        await fill(control, venue, second_id, "0.0003")
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    await fill(control, venue, second_id, "0.0004")

    tg = await sessions("bot", **FAST)
    journal = tg.recorder.journal
    assert not any(isinstance(e, ShutDown) for e in journal.events())  # it never shut down
    second = tg.ledger.order(second_id)
    assert second is not None and second.status is OrderStatus.PARTIALLY_FILLED
    assert second.executed_qty == Decimal("0.0007")
    first = tg.ledger.order(first_id)
    assert first is not None and first.status is OrderStatus.FILLED
    await assert_invariants(tg, exchange)
    # every fill in the journal is a trade the exchange made: none synthesised
    made = {t.id for t in exchange.engine.my_trades("main", "BTCUSDT", limit=1000)}
    assert {e.trade_id for e in journal.events() if isinstance(e, OrderFilled)} <= made
    # and the restarted session manages the adopted order
    await tg.cancel(second.client_order_id)
    await assert_invariants(tg, exchange)


@binance_only  # placed elsewhere through the Binance client
async def test_pain13_orders_placed_elsewhere_are_adopted_on_start(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote
) -> None:
    """An order placed by another tool with the same key, partly filled, is adopted on
    connect with its fill; the position is the exchange's, not a flat one."""
    key = exchange.key("trade-only")
    creds = ApiCredentials(key.api_key, Secret(key.secret), kind=key.kind)
    price = (exchange.engine.last_price("BTCUSDT") * Decimal("0.99")).quantize(Decimal("0.01"))
    async with BinanceTransport(exchange.base_url, creds) as other:
        placed = await other.place_order(
            NewOrder(
                symbol="BTCUSDT", side=Side.BUY, type=OrderType.LIMIT,
                client_order_id="elsewhere-1", quantity=Decimal("0.001"), price=price,
                time_in_force=TimeInForce.GTC,
            )
        )  # fmt: skip
    await control.fill("BTCUSDT", "0.0006", order_id=placed.order_id)
    tg = await sessions("bot", **FAST)
    adopted = tg.order("elsewhere-1")
    assert adopted is not None and adopted.status is OrderStatus.PARTIALLY_FILLED
    assert adopted.executed_qty == Decimal("0.0006")
    position = tg.position("BTC/USDT")
    assert position is not None and position.qty > 0
    await assert_invariants(tg, exchange)


@every_venue
async def test_pain25_loss_limit_latches_cancels_refuses_and_survives_restart(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote
) -> None:
    tg = await sessions("bot", **FAST)
    resting = await tg.limit_sell("BTC/USDT", qty="0.001", price=await price_off(tg, "1.5"))
    await tg.market_buy("BTC/USDT", qty="0.001")
    last = exchange.engine.last_price("BTCUSDT")
    await control.set_price("BTCUSDT", str((last * Decimal("0.95")).quantize(Decimal("0.01"))))
    await tg.market_sell("BTC/USDT", qty="0.0009")  # realises a loss over daily_loss = 1
    await eventually(lambda: _latched(tg))
    cancelled = await tg.wait_for(resting.client_order_id, timeout_s=5)
    assert cancelled.status is OrderStatus.CANCELED  # the latch cancelled the open order
    assert not tg.open_orders()
    with pytest.raises(TradingHalted):
        await tg.market_buy("BTC/USDT", qty="0.0001")
    await assert_invariants(tg, exchange)
    await tg.close()

    again = await sessions("bot", **FAST)
    assert again.ledger.kill_switch.latched
    with pytest.raises(TradingHalted):
        await again.market_buy("BTC/USDT", qty="0.0001")
    await again.close()

    message = kill_switch.main("bot", None, reset=True, reason="")
    assert "reset" in message
    third = await sessions("bot", **FAST)
    assert not third.ledger.kill_switch.latched
    order = await third.market_buy("BTC/USDT", qty="0.0001")
    assert (await third.wait_for(order.client_order_id, timeout_s=10)).status is OrderStatus.FILLED
    await assert_invariants(third, exchange)
    sets = [e for e in third.recorder.journal.events() if isinstance(e, KillSwitchSet)]
    assert len(sets) == 1 and sets[0].by == "guard"


def _latched(tg: Session) -> None:
    assert tg.ledger.kill_switch.latched
