"""A Node bot (Binance's own @binance/connector, unmodified) through the gateway.

Needs `node` and the package in NODE_MODULES (default ~/.cache/tradeguard-tests/node); without
them the test skips with the line that installs them, as the browser tests do without Chromium.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.gateway.conftest import Served

pytestmark = pytest.mark.realclient

BOT = Path(__file__).with_name("node") / "bot.js"
NODE_HOME = Path(
    os.environ.get("TRADEGUARD_TEST_NODE_HOME", "~/.cache/tradeguard-tests/node")
).expanduser()
INSTALL = f"npm install --prefix {NODE_HOME} @binance/connector@3"


async def test_a_node_bot_trades_through_the_gateway(served: Served) -> None:
    node = shutil.which("node")
    if node is None or not (NODE_HOME / "node_modules" / "@binance" / "connector").is_dir():
        pytest.skip(f"needs node and @binance/connector: {INSTALL}")
    env = dict(os.environ, NODE_PATH=str(NODE_HOME / "node_modules"))
    proc = await asyncio.create_subprocess_exec(
        node, str(BOT), served.base_url, served.key.api_key, served.secret,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    seen = json.loads(out.decode().strip().splitlines()[-1])
    assert seen["canWithdraw"] is False and float(seen["usdt"]) > 0
    assert seen["placed"] == {"status": "FILLED", "clientOrderId": "node1"}
    assert (seen["denied"]["status"], seen["denied"]["code"]) == (400, -2010)
    assert seen["denied"]["msg"].startswith("tradeguard: ")
    assert served.tg.order("node1") is not None  # through the guard, in the journal
