"""Safety invariant 3: a whole bot run, through `tradeguard run` in its own process, with known
secret bytes; then everything it wrote (stdout, stderr, the journal, the state directory) is
searched for the secret. Only the API key's short prefix may appear."""

from __future__ import annotations

import asyncio
import base64
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tradeguard.sim import server
from tradeguard.sim.config import SimConfig

BOT = """
from decimal import Decimal

async def main(tg):
    last = await tg.last_price("BTC/USDT")
    await tg.market_buy("BTC/USDT", qty="0.001")
    order = await tg.limit_sell("BTC/USDT", qty="0.001", price=(last * Decimal("1.01")).quantize(Decimal("0.01")))
    await tg.cancel(order.client_order_id)
    try:
        await tg.limit_buy("BTC/USDT", qty="0.001", price="1000", reduce_only=True)
    except Exception as exc:
        print("refused as expected:", type(exc).__name__)
"""


@pytest.fixture
async def exchange() -> AsyncIterator[server.RunningSim]:
    running = await server.start(SimConfig.default(seed=11))
    try:
        yield running
    finally:
        await running.close()


async def test_a_whole_run_writes_no_secret_anywhere(
    exchange: server.RunningSim, tmp_path: Path
) -> None:
    key = exchange.key("trade-only")
    (tmp_path / "bot.py").write_text(BOT)
    (tmp_path / "tradeguard.toml").write_text(
        f"""
[profiles.leak]
venue = "binance"
env = "testnet"
base_url = "{exchange.base_url}"

[profiles.leak.credentials]
source = "env"
api_key = "TG_LEAK_KEY"
secret = "TG_LEAK_SECRET"
"""
    )
    env = {
        **os.environ,
        "TG_LEAK_KEY": key.api_key,
        "TG_LEAK_SECRET": key.secret,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tradeguard.cli.app", "run", str(tmp_path / "bot.py"),
        "--profile", "leak", "--config", str(tmp_path / "tradeguard.toml"), "--no-live",
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, (out + err).decode()
    assert b"refused as expected: OrderRefused" in out or b"refused as expected" in out

    written = [out, err]
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name not in ("tradeguard.toml", "bot.py"):
            written.append(path.read_bytes())
    assert any(b"OrderIntended" in blob or b"ShutDown" in blob for blob in written[2:])
    secret = key.secret.encode()
    needles = [secret, secret[:16], base64.b64encode(secret)[:20], key.api_key.encode()]
    for blob in written:
        for needle in needles:
            assert needle not in blob, "a secret (or the full API key) was written"
