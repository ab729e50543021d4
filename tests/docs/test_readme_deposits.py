"""README, reconciliation: "On Binance, before a mismatch stops trading, the account's deposit
and withdrawal history since the last balance report is read". The "since": a deposit made
before the journal's last balance report (already in that report) explains nothing later, so
an unexplained change of the same amount still stops trading. (The rest of the paragraph is
tests/scenarios/test_deposits.py.)"""

from __future__ import annotations

from tests.scenarios.conftest import (  # noqa: F401 (fixtures)
    FAST,
    Connect,
    _isolated,
    control,
    exchange,
    http,
    sessions,
    venue,
)
from tests.scenarios.test_deposits import moves, usdt
from tradeguard.sim import server
from tradeguard.sim.remote import SimRemote


async def test_a_deposit_before_the_last_balance_report_explains_no_later_change(
    sessions: Connect,  # noqa: F811
    exchange: server.RunningSim,  # noqa: F811
    control: SimRemote,  # noqa: F811
) -> None:
    await control.set_balance("USDT", usdt(exchange) + 1000)  # a deposit, in the history
    first = await sessions("bot", **FAST)  # its balance report includes the deposit
    assert not first.ledger.kill_switch.latched, first.ledger.kill_switch.reason
    await first.close(cancel_open=False)
    await control.set_balance("USDT", usdt(exchange) + 1000, history=False)  # unexplained
    tg = await sessions("bot", **FAST)
    assert tg.ledger.kill_switch.latched  # the old deposit did not explain the new +1000
    reason = tg.ledger.kill_switch.reason or ""
    assert "reconciliation mismatch: USDT" in reason, reason
    assert "no deposit or withdrawal since the last report explains it" in reason
    assert moves(tg) == []  # the old deposit was not journaled as explaining it
