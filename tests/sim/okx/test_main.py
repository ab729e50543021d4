"""`tradeguard sim --venue okx` as a process: its start line names the venue, URLs and the
keys' passphrases, and it serves OKX's wire."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import aiohttp

START_TIMEOUT_S = 30


async def test_the_start_line_names_okx_its_urls_and_passphrases() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from tradeguard.cli.app import main; main()",
        "sim",
        "--venue",
        "okx",
        "--seed",
        "5",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        start = json.loads(await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S))
        assert start["venue"] == "okx"
        base = start["base_url"]
        assert base.startswith("http://127.0.0.1:")
        assert start["ws_url"] == base.replace("http", "ws") + "/ws/v5"
        assert start["private_ws_url"] == start["ws_url"] + "/private"
        assert start["control_url"] == base + "/sim/v1"
        trade_only = next(k for k in start["keys"] if k["name"] == "trade-only")
        assert len(trade_only["passphrase"]) == 16
        async with (
            aiohttp.ClientSession() as session,
            session.get(base + "/api/v5/public/instruments?instType=SPOT") as reply,
        ):
            body = await reply.json()
        assert body["code"] == "0"
        assert "BTC-USDT" in {row["instId"] for row in body["data"]}
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), START_TIMEOUT_S)
