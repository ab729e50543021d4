"""`python -m tradeguard.sim.server` / `tradeguard sim` as a process: one JSON start line, then
it serves until SIGTERM; a bad config is one clear line on stderr, never a stack trace."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

START_TIMEOUT_S = 30


async def _run(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tradeguard.sim.server",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.parametrize("entry", ["module", "cli"])
async def test_start_line_serves_and_stops_on_sigterm(entry: str, tmp_path: Path) -> None:
    if entry == "cli":
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from tradeguard.cli.app import main; main()",
            "sim",
            "--seed",
            "5",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    else:
        process = await _run("--seed", "5", "--port", "0")
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S)
        start = json.loads(line)
        assert set(start) == {
            *("base_url", "ws_api_url", "stream_url", "control_url", "keys"),
            *("fix_url", "fix_dc_url", "fix_ca_pem"),
        }
        assert start["fix_url"].startswith("tcp+tls://localhost:")
        assert start["fix_dc_url"].startswith("tcp+tls://localhost:")
        assert start["base_url"].startswith("http://127.0.0.1:")
        assert start["ws_api_url"] == start["base_url"].replace("http", "ws") + "/ws-api/v3"
        assert start["stream_url"] == start["base_url"].replace("http", "ws") + "/ws"
        assert start["control_url"] == start["base_url"] + "/sim/v1"
        names = {k["name"] for k in start["keys"]}
        assert {"trade-only", "withdraw-enabled", "read-only", "no-ip-restriction", "old"} <= names
        trade_only = next(k for k in start["keys"] if k["name"] == "trade-only")
        assert set(trade_only) == {"name", "api_key", "secret", "kind", "permissions"}
        async with (
            aiohttp.ClientSession() as session,
            session.get(start["base_url"] + "/api/v3/time") as reply,
        ):
            assert reply.status == 200
            assert (await reply.json())["serverTime"] > 0
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        rest, err = await asyncio.wait_for(process.communicate(), START_TIMEOUT_S)
    assert process.returncode == 0, err.decode()
    assert rest == b""  # exactly one line on stdout


async def test_bad_config_is_one_clear_line(tmp_path: Path) -> None:
    config = tmp_path / "sim.toml"
    config.write_text('clock = "sundial"\n', encoding="utf-8")
    process = await _run("--config", str(config))
    out, err = await asyncio.wait_for(process.communicate(), START_TIMEOUT_S)
    assert process.returncode == 2
    assert out == b""
    text = err.decode()
    assert str(config) in text and "clock" in text
    assert "Traceback" not in text


async def test_an_unknown_venue_is_one_clear_line_naming_the_ones_there_are() -> None:
    process = await _run("--venue", "mtgox")
    out, err = await asyncio.wait_for(process.communicate(), START_TIMEOUT_S)
    assert process.returncode == 2
    assert out == b""
    text = err.decode()
    assert "mtgox" in text and "bybit" in text and "kraken" in text
    assert "Traceback" not in text


async def test_a_config_file_names_its_venue(tmp_path: Path) -> None:
    from tradeguard.sim.config import load

    config = tmp_path / "sim.toml"
    config.write_text('venue = "okx"\n', encoding="utf-8")
    assert load(config).venue == "okx"
    assert load(config, venue="binance").venue == "binance"
    config.write_text('venue = "ftx"\n', encoding="utf-8")
    with pytest.raises(Exception, match="venue"):
        load(config)
