"""A deposit or a withdrawal made while the bot was stopped (or its user stream down) does not
stop trading at the next reconciliation: the account's deposit and withdrawal history since the
journal's last balance report explains it, each move is journaled once (`BalanceMoved`, source
"history"), and the exchange's balances are adopted. A change nothing explains still stops
trading, and the halt says what was explained, what is left, and the command that resets it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from tests.scenarios.conftest import ACCOUNT
from tradeguard.keys.credentials import ApiCredentials, Secret
from tradeguard.sim import server
from tradeguard.sim.remote import SimRemote
from tradeguard.venues.binance.client import BinanceTransport
from tradeguard.venues.binance.endpoints import Request


def usdt(exchange: server.RunningSim) -> Decimal:
    return exchange.engine.balances(ACCOUNT)["USDT"].free


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
