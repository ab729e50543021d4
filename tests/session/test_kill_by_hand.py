"""`tradeguard kill` from another process latches a running session: it cancels its open orders
and refuses new ones; `tradeguard kill --reset` releases it. A latched kill switch, whoever
latched it, stops a bot `tradeguard run` runs, sleeping or not, and sets `tg.halted`."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from rich.console import Console

from tradeguard.cli import runner
from tradeguard.errors import TradingHalted
from tradeguard.events import ShutDown
from tradeguard.journal import open_journal
from tradeguard.model import OrderStatus
from tradeguard.orders import Order
from tradeguard.profile.profiles import Limits, Profile
from tradeguard.session import kill_switch
from tradeguard.session.connect import connect
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote


async def _until(check: object, timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not reached in time")


async def test_kill_from_the_command_line_reaches_a_running_session(tg: Session) -> None:
    last = await tg.last_price("BTC/USDT")
    assert last is not None
    resting = await tg.limit_sell("BTC/USDT", qty="0.001",
                                  price=(last * Decimal("1.01")).quantize(Decimal("0.01")))  # fmt: skip
    said = await asyncio.to_thread(kill_switch.main, None, None, reset=False, reason="by hand")
    assert "latched" in said
    await _until(lambda: tg.ledger.kill_switch.latched)
    done = await tg.wait_for(resting.client_order_id, timeout_s=5)
    assert done.status is OrderStatus.CANCELED
    with pytest.raises(TradingHalted):
        await tg.market_buy("BTC/USDT", qty="0.001")

    said = await asyncio.to_thread(kill_switch.main, None, None, reset=True, reason="")
    assert "reset" in said
    await _until(lambda: not tg.ledger.kill_switch.latched)
    order = await tg.market_buy("BTC/USDT", qty="0.001")
    assert order.order_id is not None


# ── the kill switch stops a running bot ──────────────────────────────────────────────────────


async def _resting_sell(tg: Session, pct: str = "1.01") -> Order:
    last = await tg.last_price("BTC/USDT")
    assert last is not None
    price = (last * Decimal(pct)).quantize(Decimal("0.01"))
    return await tg.limit_sell("BTC/USDT", qty="0.001", price=price)


def _sleeper(placed: list[Order]) -> runner.BotMain:
    async def bot(tg: Session) -> None:
        placed.append(await _resting_sell(tg))
        await asyncio.sleep(3600)

    return bot


def _shutdown(tg: Session) -> ShutDown:
    with open_journal(tg.recorder.journal.location, profile=tg.profile) as journal:
        (shut,) = [e for e in journal.events() if isinstance(e, ShutDown)]
    return shut


async def test_kill_from_the_command_line_stops_a_sleeping_bot(tg: Session) -> None:
    placed: list[Order] = []
    out = io.StringIO()
    running = asyncio.ensure_future(
        runner.run_bot(_sleeper(placed), tg, Console(file=out, width=200), live=False)
    )
    await _until(lambda: placed)
    await asyncio.to_thread(kill_switch.main, None, None, reset=False, reason="by hand")
    code, outcome = await asyncio.wait_for(running, 10)
    assert (code, outcome) == (runner.KILLED, "stopped by the kill switch: by hand")
    coid = placed[0].client_order_id
    found = tg.order(coid)
    assert found is not None and found.status is OrderStatus.CANCELED
    assert "Run ended: stopped by the kill switch: by hand" in out.getvalue()
    assert coid in out.getvalue()
    shut = _shutdown(tg)
    assert shut.reason == "kill switch: by hand"
    assert shut.cancelled == (coid,) and shut.open_orders == 0


async def test_a_library_user_awaits_halted(tg: Session) -> None:
    assert not tg.halted.is_set()
    await asyncio.to_thread(kill_switch.main, None, None, reset=False, reason="by hand")
    await asyncio.wait_for(tg.halted.wait(), 5)
    assert tg.ledger.kill_switch.reason == "by hand"
    await asyncio.to_thread(kill_switch.main, None, None, reset=True, reason="")
    await _until(lambda: not tg.halted.is_set())


async def test_a_kill_the_bot_itself_sets_halts_it_too(tg: Session) -> None:
    async def bot(tg: Session) -> None:
        await tg.kill("enough for today")
        await asyncio.sleep(3600)

    code, outcome = await asyncio.wait_for(
        runner.run_bot(bot, tg, Console(file=io.StringIO()), live=False), 10
    )
    assert (code, outcome) == (runner.KILLED, "stopped by the kill switch: enough for today")


async def test_a_loss_limit_tripped_while_the_bot_sleeps_stops_it() -> None:
    """The guard latches the kill switch on a realised loss beyond daily_loss; the runner
    stops the bot as it does for `tradeguard kill`."""
    tg = await connect(Profile(limits=Limits(daily_loss=Decimal("1"))))
    placed: list[Order] = []

    async def bot(tg: Session) -> None:
        placed.append(await _resting_sell(tg, "1.015"))
        await tg.market_buy("BTC/USDT", qty="0.001")
        last = await tg.last_price("BTC/USDT")
        assert last is not None
        async with aiohttp.ClientSession() as http:
            lower = (last * Decimal("0.95")).quantize(Decimal("0.01"))
            await SimRemote(tg.sim.control_url, http).set_price("BTCUSDT", lower)
        await tg.market_sell("BTC/USDT", qty="0.0009")  # realises a loss over daily_loss = 1
        await asyncio.sleep(3600)

    try:
        code, outcome = await asyncio.wait_for(
            runner.run_bot(bot, tg, Console(file=io.StringIO()), live=False), 10
        )
    finally:
        await tg.close()
    assert code == runner.KILLED
    assert outcome.startswith("stopped by the kill switch: ") and "daily loss limit" in outcome
    found = tg.order(placed[0].client_order_id)
    assert found is not None and found.status is OrderStatus.CANCELED


BOT = """
import asyncio
from decimal import Decimal

async def main(tg):
    last = await tg.last_price("BTC/USDT")
    order = await tg.limit_sell("BTC/USDT", qty="0.001",
                                price=(last * Decimal("1.01")).quantize(Decimal("0.01")))
    print("RESTING", order.client_order_id, flush=True)
    await asyncio.sleep(3600)
"""


async def test_tradeguard_kill_stops_tradeguard_run(tmp_path: Path) -> None:
    """The README's promise end to end: `tradeguard run` in one process, `tradeguard kill` in
    another; the bot stops, its order is cancelled, the exit code and the summary say why."""
    (tmp_path / "bot.py").write_text(BOT)
    run = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tradeguard.cli.app", "run", "bot.py", "--no-live",
        cwd=tmp_path, env={**os.environ, "COLUMNS": "200"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert run.stdout is not None
        coid = ""
        while not coid:
            line = (await asyncio.wait_for(run.stdout.readline(), 60)).decode()
            assert line, "the bot ended before placing its order"
            if line.startswith("RESTING "):
                coid = line.split()[1]
        kill = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tradeguard.cli.app", "kill", "--reason", "by hand",
            cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        said, _ = await asyncio.wait_for(kill.communicate(), 60)
        assert kill.returncode == 0 and b"latched" in said
        rest, err = await asyncio.wait_for(run.communicate(), 30)
    finally:
        if run.returncode is None:
            run.kill()
            await run.wait()
    out = rest.decode()
    assert run.returncode == runner.KILLED, out + err.decode()
    assert "Run ended: stopped by the kill switch: by hand" in out
    (line,) = [ln for ln in out.splitlines() if coid in ln]
    assert "BTCUSDT" in line and "SELL" in line and "0.001" in line
    with open_journal(None, profile="default") as journal:
        (shut,) = [e for e in journal.events() if isinstance(e, ShutDown)]
    assert shut.reason == "kill switch: by hand" and shut.cancelled == (coid,)


async def test_a_bot_is_not_started_while_the_kill_switch_is_latched(tg: Session) -> None:
    await asyncio.to_thread(kill_switch.main, None, None, reset=False, reason="by hand")
    await _until(lambda: tg.halted.is_set())
    started: list[bool] = []

    async def bot(tg: Session) -> None:
        started.append(True)

    code, outcome = await runner.run_bot(bot, tg, Console(file=io.StringIO()), live=False)
    assert not started
    assert code == runner.KILLED
    assert outcome.startswith("not started: the kill switch is latched (by hand)")
    assert "tradeguard kill --reset" in outcome
    assert _shutdown(tg).reason == "kill switch: by hand"
