"""The FIX acceptor's faults: the REST order path's drops, and its own garbled message,
sequence gap and News before a maintenance logout (docs/faults.md)."""

from __future__ import annotations

import pytest

from tradeguard.sim.server import RunningSim
from tradeguard.venues.binance import fix_wire

from .fix_client import RawFix, limit_buy


async def test_drop_after_execute_cuts_the_connection_after_the_engine_took_the_order(
    logged_on: RawFix, running_sim: RunningSim
) -> None:
    running_sim.sim.add_fault({"kind": "drop_after_execute", "method": "POST", "count": 1})
    logged_on.send("D", limit_buy("fix-dropped"))
    assert await logged_on.closed()
    placed = running_sim.engine.get_order("main", "BTCUSDT", None, "fix-dropped")
    assert placed.status == "NEW"


async def test_drop_before_execute_places_nothing(
    logged_on: RawFix, running_sim: RunningSim
) -> None:
    running_sim.sim.add_fault({"kind": "drop_before_execute", "method": "POST", "count": 1})
    logged_on.send("D", limit_buy("fix-never"))
    assert await logged_on.closed()
    assert not running_sim.engine.open_orders("main", "BTCUSDT")


async def test_fix_garble_spoils_the_next_message_sent(
    logged_on: RawFix, running_sim: RunningSim
) -> None:
    running_sim.sim.add_fault({"kind": "fix_garble"})
    logged_on.send("1", [(112, "t")])
    with pytest.raises(fix_wire.Garbled, match="CheckSum"):
        await logged_on.receive()
    assert not running_sim.faults.faults()  # once


async def test_fix_seq_gap_skips_a_sequence_number(
    logged_on: RawFix, running_sim: RunningSim
) -> None:
    running_sim.sim.add_fault({"kind": "fix_seq_gap"})
    logged_on.send("1", [(112, "t")])
    assert (await logged_on.expect("0")).seq == 3  # the Logon answer was 1


async def test_fix_news_then_logout(logged_on: RawFix, running_sim: RunningSim) -> None:
    running_sim.sim.add_fault({"kind": "fix_news", "seconds": 0.05})
    first = await logged_on.expect("B")
    assert first.get(148) == "You'll be disconnected in 0 seconds. Please reconnect."
    last = await logged_on.expect("B")
    assert last.get(148) == "Your connection is about to be closed. Please reconnect."
    await logged_on.expect("5")
    assert await logged_on.closed()
