"""`tradeguard run` on the README's example ends with a summary a user can act on: the outcome,
the journal's path whole on one line (to copy into `journal verify`), and the peak use of the
exchange's limits; as the demo runs it, against the embedded simulator. A run ends with its
real reason in the journal's ShutDown (SIGINT, SIGTERM, the bot finished or raised), and the
summary lists what cancel-on-exit cancelled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tradeguard.events import ShutDown
from tradeguard.journal import open_journal
from tradeguard.text import plain

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
        [sys.executable, "-m", "tradeguard.cli.app", "run", str(ROOT / "examples" / "grid_bot.py"),
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
    assert not any("more than once" in ln for ln in lines)  # nothing repeated on a quiet run


# ── how a run ends: the reason, and what cancel-on-exit cancelled ────────────────────────────

SLEEPER = """
import asyncio
from decimal import Decimal

async def main(tg):
    last = await tg.last_price("BTC/USDT")
    order = await tg.limit_buy("BTC/USDT", qty="0.001",
                               price=(last * Decimal("0.99")).quantize(Decimal("0.01")))
    print("RESTING", order.client_order_id, order.price, flush=True)
    await asyncio.sleep(3600)
"""


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "COLUMNS": "200",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }


def _shutdowns(tmp_path: Path) -> list[ShutDown]:
    path = tmp_path / "data" / "tradeguard" / "default.db"
    with open_journal(path, profile="default") as journal:
        return [e for e in journal.events() if isinstance(e, ShutDown)]


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_ends_the_run_with_its_name_and_the_orders_it_cancelled(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    (tmp_path / "bot.py").write_text(SLEEPER)
    run = subprocess.Popen(
        [sys.executable, "-m", "tradeguard.cli.app", "run", "bot.py", "--no-live"],
        env=_env(tmp_path), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert run.stdout is not None
        line = ""
        while not line.startswith("RESTING "):
            line = run.stdout.readline()
            assert line, "the bot ended before placing its order"
        _, coid, price = line.split()
        run.send_signal(sig)
        out, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == code, out + err
    assert f"Run ended: stopped by {sig.name}" in out
    assert "Traceback" not in out + err
    (row,) = [ln for ln in out.splitlines() if coid in ln]
    assert all(part in row for part in ("BTCUSDT", "BUY", "0.001", plain(Decimal(price)))), row
    (shut,) = _shutdowns(tmp_path)
    assert shut.reason == sig.name
    assert shut.cancelled == (coid,) and shut.open_orders == 0


FINISHES = """
async def main(tg):
    await tg.market_buy("BTC/USDT", qty="0.001")
"""

RAISES = """
async def main(tg):
    raise ValueError("the strategy gave up")
"""


def _run(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "bot.py").write_text(source)
    return subprocess.run(
        [sys.executable, "-m", "tradeguard.cli.app", "run", "bot.py", "--no-live"],
        env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


def test_a_bot_that_finishes_says_nothing_was_open(tmp_path: Path) -> None:
    done = _run(tmp_path, FINISHES)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nothing was open" in done.stdout
    (shut,) = _shutdowns(tmp_path)
    assert shut.reason == "bot finished" and shut.cancelled == ()


def test_a_bot_that_raises_shows_its_traceback_once_and_the_reason_is_journaled(
    tmp_path: Path,
) -> None:
    done = _run(tmp_path, RAISES)
    both = done.stdout + done.stderr
    assert done.returncode == 1, both
    assert both.count("Traceback (most recent call last)") == 1, both
    assert both.count("ValueError: the strategy gave up") == 1, both
    assert 'bot.py", line 3, in main' in both
    assert "runner.py" not in both and "click" not in both
    (shut,) = _shutdowns(tmp_path)
    assert shut.reason == "bot raised ValueError: the strategy gave up"


EXITS = """
import asyncio
import sys
from decimal import Decimal

async def main(tg):
    last = await tg.last_price("BTC/USDT")
    order = await tg.limit_buy("BTC/USDT", qty="0.001",
                               price=(last * Decimal("0.99")).quantize(Decimal("0.01")))
    print("RESTING", order.client_order_id, flush=True)
    sys.exit(CODE)
"""


@pytest.mark.parametrize(("exit_code", "run_code"), [(0, 0), (4, 1)])
def test_a_bot_that_calls_sys_exit_ends_the_run_like_any_other(
    tmp_path: Path, exit_code: int, run_code: int
) -> None:
    """sys.exit() in a bot is the bot ending: its resting order cancelled at once (no wait
    for a reply that the torn-down loop never delivers), the summary printed, the reason
    journaled; no asyncio "Task exception was never retrieved" and no traceback."""
    done = _run(tmp_path, EXITS.replace("CODE", str(exit_code)))
    both = done.stdout + done.stderr
    assert done.returncode == run_code, both
    assert "Traceback" not in both and "never retrieved" not in both, both
    assert f"Run ended: the bot called sys.exit({exit_code})" in done.stdout, both
    coid = next(ln.split()[1] for ln in done.stdout.splitlines() if ln.startswith("RESTING "))
    (shut,) = _shutdowns(tmp_path)
    assert shut.reason == f"bot called sys.exit({exit_code})"
    assert shut.cancelled == (coid,) and shut.open_orders == 0


# ── the PnL shown is this run's, the journal's total beside it ───────────────────────────────


def _pnl(out: str) -> tuple[Decimal, Decimal]:
    """(this run's PnL, the journal's total) from the summary's table: its header, then the
    rule under it, then the row."""
    lines = out.splitlines()
    (at,) = [i for i, ln in enumerate(lines) if "PnL this run" in ln]
    names = [cell.strip() for cell in lines[at].split("┃")]
    cells = [cell.strip() for cell in lines[at + 2].split("│")]
    return Decimal(cells[names.index("PnL this run")]), Decimal(cells[names.index("journal PnL")])


def test_the_summary_shows_this_runs_pnl_and_the_journals_total_apart(tmp_path: Path) -> None:
    """Two runs on one journal: the second's summary shows its own PnL, not the first's folded
    in; the journal's total is beside it, labelled as such."""
    first = _run(tmp_path, FINISHES)
    assert first.returncode == 0, first.stdout + first.stderr
    run1, total1 = _pnl(first.stdout)
    assert run1 == total1 != 0  # a fresh journal: the run is all of it (the fee, at least)
    second = _run(tmp_path, FINISHES)
    assert second.returncode == 0, second.stdout + second.stderr
    run2, total2 = _pnl(second.stdout)
    assert run2 != total2 and run2 != 0
    assert total2 - total1 == run2
