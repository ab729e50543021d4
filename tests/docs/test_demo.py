"""`tradeguard demo` does what docs/simulator.md and the README's command table say: on an
embedded simulator, a limit buy filled in two parts by an outside taker, a market sell, a
cancel, and a market buy whose reply is lost, found by its client order id and sent once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_the_demo_shows_two_part_fills_a_cancel_and_a_lost_reply_sent_once(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "COLUMNS": "200", "XDG_STATE_HOME": str(tmp_path / "state")}
    done = subprocess.run(
        [sys.executable, "-m", "tradeguard.cli.app", "demo", "--seed", "7"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {
        cells[1].strip(): [c.strip() for c in cells[2:-1]]
        for line in done.stdout.splitlines()
        if len(cells := line.split("│")) > 6
    }
    assert rows["taker hits 0.004"][-1] == "PARTIALLY_FILLED"
    assert rows["taker hits 0.006"][-1] == "FILLED"
    assert rows["market sell"][-1] == "FILLED"
    assert rows["cancelled"][-1] == "CANCELED"
    assert rows["reply lost → resolved"][-1] == "FILLED"
    assert "lost reply: 1 request reached the exchange" in done.stdout
    assert "key audit: withdrawals off, IP-restricted yes" in done.stdout
