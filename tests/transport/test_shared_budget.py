"""Two bot processes on one host spend one weight budget (Binance limits are per IP)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tradeguard.sim import server
from tradeguard.sim.config import RateLimitSpec, SimConfig

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def small_budget() -> AsyncIterator[Any]:
    running = await server.start(
        SimConfig.default(seed=9, limits=RateLimitSpec(request_weight_per_min=400))
    )
    try:
        yield running
    finally:
        await running.close()


async def _worker(running: Any, state_dir: Path, reads: int) -> dict[str, Any]:
    key = next(k for k in running.key_listing if k["name"] == "trade-only")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.transport.budget_worker",
        running.base_url, key["api_key"], key["secret"], str(state_dir), str(reads),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out)
    return result


async def test_two_processes_together_stay_under_the_weight_limit(
    small_budget: Any, tmp_path: Path
) -> None:
    # Each wants 12 reads of weight 20 (240); together 480 > the 400 the exchange allows,
    # and far more than the 320 (80 % headroom) tradeguard lets the host use.
    first, second = await asyncio.gather(
        _worker(small_budget, tmp_path, 12), _worker(small_budget, tmp_path, 12)
    )
    # exchangeInfo and each read weigh 20: in no window is the exchange's limit passed
    weight = Counter(minute for worker in (first, second) for minute in worker["minutes"])
    assert all(20 * requests <= 400 for requests in weight.values()), weight
    if len(weight) == 1:  # all in one window (unless the run crossed a minute's turn)
        assert first["refused"] + second["refused"] > 0  # someone was held back locally
