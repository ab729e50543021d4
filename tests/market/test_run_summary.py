"""`tradeguard run` ends with what market data cost and what the streams and the cache saved."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BOOK_READER = """
async def main(tg):
    for _ in range(10):
        book = await tg.book("BTC/USDT")
        assert book.best_bid < book.best_ask
"""


def test_the_run_summary_counts_market_requests_made_and_saved(tmp_path: Path) -> None:
    bot = tmp_path / "book_reader.py"
    bot.write_text(BOOK_READER)
    env = {
        **os.environ,
        "COLUMNS": "200",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tradeguard.cli.app", "run", str(bot), "--no-live"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # the panel's caption under the limits, then the summary's line
    assert "market data: 1 request, 9 saved by streams and cache" in done.stdout
    (line,) = [ln for ln in done.stdout.splitlines() if ln.startswith("  market data: ")]
    # one snapshot (depth 1000: weight 50), then nine reads from the book the stream keeps
    assert line.startswith(
        "  market data: 1 request (weight 50); 9 reads served without one, by the streams (9) "
        "and the cache (0), saving weight 45; stream: 1 connection, 0 stale, 1 book snapshot"
    ), line


def test_a_run_that_reads_no_market_data_says_nothing_of_it(tmp_path: Path) -> None:
    bot = tmp_path / "idle.py"
    bot.write_text("async def main(tg):\n    pass\n")
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "s"), "XDG_DATA_HOME": str(tmp_path / "d"),
           "XDG_CONFIG_HOME": str(tmp_path / "c")}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "tradeguard.cli.app", "run", str(bot), "--no-live"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "market data" not in done.stdout
