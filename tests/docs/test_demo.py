"""`tradeguard demo` does what docs/simulator.md and the README's command table say: on an
embedded simulator, a limit buy filled in two parts by an outside taker, a market sell, a
cancel, and a market buy whose reply is lost, found by its client order id and sent once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tradeguard.events import OrderFilled, ProfileLoaded
from tradeguard.journal import open_journal
from tradeguard.model import Side


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


# ── ./scripts/demo --venue: the grid bot on another venue's embedded simulator ──────────────

ROOT = Path(__file__).resolve().parents[2]


def test_scripts_demo_runs_the_grid_bot_with_its_arguments() -> None:
    """What the tests below run is what ./scripts/demo runs (they skip its .venv setup)."""
    script = (ROOT / "scripts" / "demo").read_text(encoding="utf-8").splitlines()
    assert script[-1] == 'exec .venv/bin/tradeguard run examples/grid_bot.py "$@"'


def _demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COLUMNS": "200",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    env.pop("TRADEGUARD_CONFIG", None)
    env.pop("TRADEGUARD_PROFILE", None)
    return subprocess.run(
        [sys.executable, "-m", "tradeguard.cli.app", "run", "examples/grid_bot.py", "--no-live",
         *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("venue", ["bybit", "okx", "kraken"])
def test_the_demo_runs_the_grid_bot_on_another_venue(tmp_path: Path, venue: str) -> None:
    pytest.importorskip("ccxt")
    done = _demo(tmp_path, "--venue", venue)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"tradeguard run grid_bot.py · profile default ({venue}, sim, trade)"
    assert "Run ended: the bot finished" in lines
    assert "  nothing was open when the bot stopped" in lines
    # the summary's peak use of the exchange's limits counts on every venue: on Kraken its
    # call counter (no request-weight window), which the bot's calls always fill some of
    (peak,) = [line for line in lines if "peak use of the exchange's limits" in line]
    assert "of the tightest" in peak and " 0.0% " not in peak, peak
    if venue == "kraken":
        assert any("a call counter of" in line for line in lines), done.stdout
    with open_journal(tmp_path / "data" / "tradeguard" / "default.db", profile="default") as j:
        events = list(j.events())
    (loaded,) = [e for e in events if isinstance(e, ProfileLoaded)]
    assert loaded.venue == venue and loaded.fresh_exchange
    # the same bot does the same thing there: some of its grid fills, and what it bought is
    # sold again (the take-profit, or the stop's market sell), so it ends flat
    fills = [e for e in events if isinstance(e, OrderFilled)]
    bought = sum(f.qty for f in fills if f.side is Side.BUY)
    sold = sum(f.qty for f in fills if f.side is Side.SELL)
    assert bought > 0, done.stdout
    assert sold > 0, done.stdout


def test_venue_is_refused_for_a_profile_that_trades_elsewhere(tmp_path: Path) -> None:
    config = tmp_path / "config" / "tradeguard" / "tradeguard.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        '[profiles.default]\nvenue = "binance"\nenv = "testnet"\n\n'
        '[profiles.default.credentials]\nsource = "env"\n'
        'api_key = "BINANCE_API_KEY"\nsecret = "BINANCE_API_SECRET"\n',
        encoding="utf-8",
    )
    done = _demo(tmp_path, "--venue", "bybit")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "tradeguard: --venue bybit runs the bot on the embedded simulator, and profile default "
        'trades on testnet (set venue = "bybit" in the profile, with that venue\'s '
        "credentials, or drop --venue)"
    ]
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("args", "extras"), [((), ""), (("--venue", "okx"), "ccxt"), (("--venue=kraken",), "ccxt")]
)
def test_scripts_demo_installs_the_ccxt_extra_for_another_venue(
    tmp_path: Path, args: tuple[str, ...], extras: str
) -> None:
    """A fresh clone's `./scripts/demo --venue okx` needs ccxt in its .venv: the script asks
    _venv.sh for the `ccxt` extra then (here a stand-in that says what it was asked)."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "demo").write_text((ROOT / "scripts" / "demo").read_text(encoding="utf-8"))
    (scripts / "_venv.sh").write_text('echo "extras=[$1]"; exit 0\n')
    done = subprocess.run(
        ["bash", str(scripts / "demo"), *args], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == f"extras=[{extras}]"
