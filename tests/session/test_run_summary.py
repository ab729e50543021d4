"""`tradeguard run` on the README's example ends with a summary a user can act on: the outcome,
the journal's path whole on one line (to copy into `journal verify`), and the peak use of the
exchange's limits; as the demo runs it, against the embedded simulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_bot_run_ends_with_a_usable_summary(tmp_path: Path) -> None:
    data = tmp_path / "a data dir with a long name, [brackets] and spaces" / "deeper still"
    env = {
        **os.environ,
        "COLUMNS": "80",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(data),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tradeguard.cli", "run", str(ROOT / "examples" / "grid_bot.py"),
         "--no-live"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "Run ended: the bot finished" in lines
    journal = data / "tradeguard" / "default.db"
    (line,) = [ln for ln in lines if ln.startswith("  journal: ")]
    assert line.startswith(f"  journal: {journal} (") and line.endswith(" events)")
    assert journal.exists()
    assert any("tradeguard journal verify" in ln for ln in lines)
    assert any(ln.startswith("  peak use of the exchange's limits: ") for ln in lines)
