"""The acceptor's drop-copy sessions, as Binance's: a Logon with DropCopyFlag (9406=Y) by a key
with FIX_API or FIX_API_READ_ONLY, on the drop-copy port (`fix_dc_url`: Binance's fix-dc
host), receives every ExecutionReport of the account, delayed (1 s on Binance), and may send
no order (-1183). DropCopyFlag on the order-entry port is -1184, its absence on the
drop-copy port -1185."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tradeguard.sim import server
from tradeguard.sim.config import SimConfig

from .fix_client import RawFix, limit_buy

KEYS = [
    {"name": "fix-read", "kind": "ED25519", "permissions": ["READ", "FIX_API_READ_ONLY"]},
    {"name": "read", "kind": "ED25519", "permissions": ["READ"]},
]


@pytest.fixture
async def running() -> AsyncIterator[server.RunningSim]:
    sim = await server.start(SimConfig.default(seed=4, keys=KEYS))
    assert sim.fix is not None
    sim.fix.drop_copy_delay_s = 0.05  # Binance's is 1 s
    yield sim
    await sim.close()


async def session(
    running: server.RunningSim, key: str, sender: str, dc: bool, *, port: str | None = None
) -> RawFix:
    """A Logon as drop copy (`dc`) or order entry, on its own port unless `port` names the
    other ("fix_url", "fix_dc_url")."""
    client = await RawFix.open(running, port or ("fix_dc_url" if dc else "fix_url"))
    await client.logon(key, sender, drop_copy=dc)
    return client


async def test_drop_copy_receives_the_accounts_reports_after_order_entry(
    running: server.RunningSim,
) -> None:
    order_entry = await session(running, "trade-only-ed25519", "OE1", dc=False)
    await order_entry.expect("A")
    drop_copy = await session(running, "fix-read", "DC1", dc=True)
    await drop_copy.expect("A")
    order_entry.send("D", limit_buy("dc-1"))
    first = await order_entry.expect("8")
    copied = await drop_copy.expect("8")
    assert (copied.get(11), copied.get(17), copied.get(150)) == ("dc-1", first.get(17), "0")
    await order_entry.close()
    await drop_copy.close()


async def test_drop_copy_sends_no_order(running: server.RunningSim) -> None:
    drop_copy = await session(running, "fix-read", "DC2", dc=True)
    await drop_copy.expect("A")
    drop_copy.send("D", limit_buy("dc-2", price="1000"))
    reject = await drop_copy.expect("3")
    assert reject.get(25016) == "-1183"
    drop_copy.send("1", [(112, "still-here")])
    assert (await drop_copy.expect("0")).get(112) == "still-here"
    await drop_copy.close()


async def test_drop_copy_needs_a_fix_permission(running: server.RunningSim) -> None:
    refused = await session(running, "read", "DC3", dc=True)
    assert (await refused.expect("3")).get(25016) == "-2015"
    await refused.close()
    read_only = await session(running, "fix-read", "OE3", dc=False)  # not order entry
    assert (await read_only.expect("3")).get(25016) == "-2015"
    await read_only.close()


async def test_drop_copy_on_the_order_entry_port_is_refused(running: server.RunningSim) -> None:
    refused = await session(running, "fix-read", "DC4", dc=True, port="fix_url")
    reject = await refused.expect("3")
    assert reject.get(25016) == "-1184"
    assert reject.get(58) == (
        "DropCopy sessions are not supported on this server. Please reconnect to a drop copy "
        "server."
    )
    await refused.expect("5")
    assert await refused.closed()


async def test_order_entry_on_the_drop_copy_port_is_refused(running: server.RunningSim) -> None:
    refused = await session(running, "trade-only-ed25519", "OE4", dc=False, port="fix_dc_url")
    reject = await refused.expect("3")
    assert reject.get(25016) == "-1185"
    assert "send DropCopyFlag (9406)" in (reject.get(58) or "")
    await refused.expect("5")
    assert await refused.closed()
