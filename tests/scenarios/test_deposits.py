"""A deposit or a withdrawal made while the bot was stopped (or its user stream down) does not
stop trading at the next reconciliation: the account's deposit and withdrawal history since the
journal's last balance report explains it, each move is journaled once (`BalanceMoved`, source
"history"), and the exchange's balances are adopted. A change nothing explains still stops
trading, and the halt says what was explained, what is left, and the command that resets it."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner

from tests.scenarios.conftest import ACCOUNT, FAST, Connect, price_off
from tests.scenarios.test_periodic_reconcile import EVERY_S, Rounds, run_rounds
from tradeguard.cli.app import main as cli
from tradeguard.events import BalanceMoved, ReconciliationFound
from tradeguard.keys.credentials import ApiCredentials, Secret
from tradeguard.session.guard import Session
from tradeguard.sim import server
from tradeguard.sim.remote import SimRemote
from tradeguard.venues.binance.client import BinanceTransport
from tradeguard.venues.binance.endpoints import Request

WIDE = {"COLUMNS": "400"}  # the doctor's table, each row on one line


def usdt(exchange: server.RunningSim) -> Decimal:
    return exchange.engine.balances(ACCOUNT)["USDT"].free


def found(tg: Session, kind: str) -> list[ReconciliationFound]:
    return [
        e
        for e in tg.recorder.journal.events()
        if isinstance(e, ReconciliationFound) and e.kind == kind
    ]


def moves(tg: Session) -> list[BalanceMoved]:
    return [e for e in tg.recorder.journal.events() if isinstance(e, BalanceMoved)]


async def stopped_then(sessions: Connect) -> None:
    """A bot ran (the journal holds the exchange's balances) and stopped."""
    first = await sessions("bot", **FAST)
    await first.close(cancel_open=False)


async def history(exchange: server.RunningSim, path: str, **params: str) -> Any:
    key = exchange.key("trade-only")
    creds = ApiCredentials(key.api_key, Secret(key.secret), kind=key.kind)
    async with BinanceTransport(exchange.base_url, creds) as client:
        body = await client.call(Request("GET", path, tuple(params.items()), signed=True))
    return msgspec.json.decode(body)


async def test_the_simulator_lists_balance_changes_as_deposits_and_withdrawals(
    exchange: server.RunningSim, control: SimRemote
) -> None:
    held = usdt(exchange)
    await control.set_balance("USDT", held + 1000)
    await control.set_balance("USDT", held + 900)
    await control.set_balance("USDT", held + 800, history=False)  # nothing explains this one
    (deposit,) = await history(exchange, "/sapi/v1/capital/deposit/hisrec", coin="USDT")
    assert (deposit["coin"], Decimal(deposit["amount"]), deposit["status"]) == ("USDT", 1000, 1)
    assert isinstance(deposit["id"], str) and isinstance(deposit["insertTime"], int)
    (withdrawal,) = await history(exchange, "/sapi/v1/capital/withdraw/history", coin="USDT")
    assert (withdrawal["coin"], Decimal(withdrawal["amount"]), withdrawal["status"]) == (
        "USDT",
        100,
        6,
    )
    assert len(withdrawal["applyTime"]) == len("2019-10-12 11:12:02")
    assert await history(exchange, "/sapi/v1/capital/deposit/hisrec", coin="BTC") == []
    later = str(deposit["insertTime"] + 1)
    assert await history(exchange, "/sapi/v1/capital/deposit/hisrec", startTime=later) == []


async def test_a_deposit_while_the_bot_was_stopped_does_not_stop_it(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote
) -> None:
    await stopped_then(sessions)
    await control.set_balance("USDT", usdt(exchange) + 1000)
    tg = await sessions("bot", **FAST)
    assert not tg.ledger.kill_switch.latched, tg.ledger.kill_switch.reason
    (moved,) = moves(tg)
    assert (moved.asset, moved.delta, moved.source) == ("USDT", Decimal(1000), "history")
    assert moved.move_id
    (note,) = found(tg, "balance_moved")
    assert "1 deposit" in note.detail and found(tg, "balance_mismatch") == []
    balance = tg.balance("USDT")
    assert balance is not None and balance.total == usdt(exchange)
    await tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(tg, "-1"))


async def test_a_withdrawal_while_trading_without_a_stream_is_read_once(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote
) -> None:
    """A withdrawal the session did not hear (no stream) is explained by the next round; a
    later round that reads the history again does not journal it twice."""
    tg = await sessions("bot", stream=False, **FAST)
    await control.set_balance("USDT", usdt(exchange) - 300)

    async def then_another_move() -> None:
        await control.set_balance("USDT", usdt(exchange) + 50)

    sleep = Rounds(2, between=then_another_move)
    await run_rounds(tg, sleep)
    assert not tg.ledger.kill_switch.latched, tg.ledger.kill_switch.reason
    assert sorted(m.delta for m in moves(tg)) == [Decimal(-300), Decimal(50)]
    assert len({m.move_id for m in moves(tg)}) == 2
    assert sleep.asked.count(EVERY_S) == 3


async def test_a_change_no_move_explains_still_stops_trading_and_says_what_is_left(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote
) -> None:
    await stopped_then(sessions)
    await control.set_balance("USDT", usdt(exchange) + 1000)
    await control.set_balance("USDT", usdt(exchange) - 250, history=False)
    tg = await sessions("bot", **FAST)
    assert tg.ledger.kill_switch.latched
    reason = tg.ledger.kill_switch.reason or ""
    assert "reconciliation mismatch: USDT" in reason
    assert "1 deposit" in reason and "-250" in reason and "left unexplained" in reason
    assert "`tradeguard kill --reset --profile bot`" in reason
    assert [m.delta for m in moves(tg)] == [Decimal(1000)]


async def test_a_history_that_cannot_be_read_stops_trading_and_says_so(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote
) -> None:
    await stopped_then(sessions)
    await control.add_fault(
        {"kind": "error", "http_status": 401, "code": -2015,
         "msg": "Invalid API-key, IP, or permissions for action.",
         "path_prefix": "/sapi/v1/capital/deposit", "count": 1}
    )  # fmt: skip
    await control.set_balance("USDT", usdt(exchange) + 1000)
    tg = await sessions("bot", **FAST)
    assert tg.ledger.kill_switch.latched
    reason = tg.ledger.kill_switch.reason or ""
    assert "the deposit and withdrawal history could not be read" in reason
    assert "`tradeguard kill --reset --profile bot`" in reason
    assert moves(tg) == []


async def test_the_reset_the_halt_names_lets_the_next_start_trade(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote
) -> None:
    await stopped_then(sessions)
    await control.set_balance("USDT", usdt(exchange) - 250, history=False)
    halted = await sessions("bot", **FAST)
    assert halted.ledger.kill_switch.latched
    await halted.close(cancel_open=False)
    doctor = await asyncio.to_thread(
        CliRunner(env=WIDE).invoke, cli, ["doctor", "--profile", "bot"]
    )
    assert "`tradeguard kill --reset --profile bot`" in doctor.output, doctor.output
    reset = await asyncio.to_thread(
        CliRunner().invoke, cli, ["kill", "--reset", "--profile", "bot"]
    )
    assert reset.exit_code == 0, reset.output
    tg = await sessions("bot", **FAST)
    assert not tg.ledger.kill_switch.latched, tg.ledger.kill_switch.reason
    assert found(tg, "balance_mismatch") != []  # the old finding, journaled once
    await tg.limit_buy("BTC/USDT", qty="0.001", price=await price_off(tg, "-1"))


@pytest.mark.parametrize("venue", ["bybit", "okx", "kraken"], indirect=True)
async def test_on_a_ccxt_venue_the_halt_says_deposits_are_not_read_there(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote, venue: str
) -> None:
    await stopped_then(sessions)
    await control.set_balance("USDT", usdt(exchange) + 1000)
    tg = await sessions("bot", **FAST)
    assert tg.ledger.kill_switch.latched
    reason = tg.ledger.kill_switch.reason or ""
    assert f"deposits and withdrawals are not read on {venue}" in reason, reason
    assert "`tradeguard kill --reset --profile bot`" in reason
