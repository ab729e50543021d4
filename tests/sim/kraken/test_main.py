"""`tradeguard sim --venue kraken` as a process: its start line names the venue and its URLs."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import aiohttp

START_TIMEOUT_S = 30


async def test_the_start_line_names_kraken_and_its_urls() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from tradeguard.cli.app import main; main()", "sim", "--venue", "kraken",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        start = json.loads(await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S))
        assert set(start) == {
            "venue", "base_url", "private_ws_url", "public_ws_url", "control_url", "keys",
        }  # fmt: skip
        assert start["venue"] == "kraken"
        base = start["base_url"]
        assert start["private_ws_url"] == base.replace("http", "ws") + "/v2"
        assert start["public_ws_url"] == base.replace("http", "ws") + "/v2/public"
        assert start["control_url"] == base + "/sim/v1"
        async with (
            aiohttp.ClientSession() as session,
            session.get(base + "/0/public/Time") as reply,
        ):
            assert (await reply.json())["error"] == []
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), START_TIMEOUT_S)
