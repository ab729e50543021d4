"""`tradeguard sim --venue bybit` as a process: the start line names the venue and its URLs, and
the REST URL it names answers in Bybit's envelope."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import aiohttp

START_TIMEOUT_S = 30


async def test_the_start_line_names_bybit_and_its_urls() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from tradeguard.cli.app import main; main()",
        "sim",
        "--venue",
        "bybit",
        "--seed",
        "5",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S)
        start = json.loads(line)
        assert start["venue"] == "bybit"
        root = start["base_url"].removeprefix("http://")
        assert start["private_ws_url"] == f"ws://{root}/v5/private"
        assert start["control_url"] == f"http://{root}/sim/v1"
        assert "trade-only" in [k["name"] for k in start["keys"]]
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{start['base_url']}/v5/market/time") as reply,
        ):
            assert (await reply.json())["retCode"] == 0
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), START_TIMEOUT_S)
    assert process.returncode == 0
