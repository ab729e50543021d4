"""A connect refused after its session was built (the first reconciliation failed, the user
stream did not come up) leaves nothing behind: the profile's lock released, its journal closed
with the refusal as its shutdown, no duty left running, so that the bot can connect again in
the same process once the exchange is back."""

from __future__ import annotations

import asyncio

import pytest

from tests.scenarios.conftest import Connect, every_venue
from tradeguard.errors import GuardError, TradeguardError
from tradeguard.events import ShutDown
from tradeguard.journal.store_sqlite import SqliteJournal
from tradeguard.sim import server
from tradeguard.sim.remote import SimRemote

OPEN_ORDERS = {
    "kind": "error",
    "http_status": 503,
    "method": "GET",
    "path_prefix": "/api/v3/openOrders",
}


def _tasks() -> set[str]:
    """The session's tasks running (the simulator's own, in this process too, left out)."""
    names = set()
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        where = "" if code is None else code.co_filename
        if "/tradeguard/" in where and "/tradeguard/sim/" not in where:
            names.add(f"{code.co_qualname} ({task.get_name()})")
    return names


@pytest.mark.parametrize("venue", ["binance"], indirect=True)
async def test_a_reconciliation_that_fails_refuses_connect_and_a_retry_connects(
    exchange: server.RunningSim, control: SimRemote, sessions: Connect
) -> None:
    assert _tasks() == set()
    await control.add_fault(OPEN_ORDERS)
    with pytest.raises(TradeguardError, match="openOrders"):
        await sessions("bot")
    assert _tasks() == set()  # no heartbeat, commit timer or stream left behind
    await control.clear_faults()
    again = await sessions("bot")  # the lock was released: no "already trading (this one)"
    assert again.ready.is_set()
    await again.market_buy("BTC/USDT", qty="0.001")
    with SqliteJournal(again.recorder.journal.location, create=False) as journal:
        shut = [e for e in journal.events() if isinstance(e, ShutDown)]
    assert len(shut) == 1 and shut[0].reason.startswith("connect refused: ")


@every_venue
async def test_a_user_stream_not_up_in_time_refuses_connect_and_a_retry_connects(
    exchange: server.RunningSim, sessions: Connect
) -> None:
    # no time at all to come up: deterministic, the stream needs the network
    with pytest.raises(GuardError, match="user stream did not come up"):
        await sessions("bot", stream_ready_timeout_s=0)
    assert _tasks() == set()  # the stream, its keep-alive, the heartbeat: all stopped
    again = await sessions("bot")
    assert again.ready.is_set()
    await again.market_buy("BTC/USDT", qty="0.001")
