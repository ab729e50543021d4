"""The `tradeguard run` panel and summary say what their position is: the net of the fills the
journal booked on this exchange (bought minus sold minus fees paid in the coin), labelled so,
never a bare "position" a trader could read as the account's balance or as this run's alone."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

BUYS = """
async def main(tg):
    await tg.market_buy("BTC/USDT", qty="0.001")
"""


def _run(tmp_path: Path) -> str:
    (tmp_path / "bot.py").write_text(BUYS)
    env = {
        **os.environ,
        "COLUMNS": "80",  # a plain terminal: the table keeps one header line
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    env.pop("TRADEGUARD_CONFIG", None)
    env.pop("TRADEGUARD_PROFILE", None)
    done = subprocess.run(
        [sys.executable, "-m", "tradeguard.cli.app", "run", "bot.py", "--no-live"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_position_column_is_labelled_as_the_net_of_the_fills(tmp_path: Path) -> None:
    lines = _run(tmp_path).splitlines()
    (at,) = [i for i, line in enumerate(lines) if "PnL this run" in line]
    names = [cell.strip() for cell in lines[at].split("┃")]
    cells = [cell.strip() for cell in lines[at + 2].split("│")]
    assert "position" not in names  # the bare, ambiguous label
    shown = cells[names.index("net from fills")]
    qty, asset = shown.split()
    assert asset == "BTC" and Decimal("0") < Decimal(qty) <= Decimal("0.001")  # a fee at most
    (line,) = [ln for ln in lines if ln.startswith("  BTCUSDT: ")]
    assert line.startswith(f"  BTCUSDT: net from 1 fill: {qty} BTC, -")
    assert line.endswith(" USDT (the journal's fills on this exchange, not the account's balance)")


def test_the_readme_names_the_label_the_summary_shows() -> None:
    from tradeguard.cli.runner import NET

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert f'the position as "{NET}"' in " ".join(readme.split())


def test_the_peak_line_s_warning_stays_on_its_line_at_80_columns() -> None:
    """It wrapped onto a line of its own (the Kraken demo), and it said "close to a ban" where
    the limiter holds calls back so that none is refused."""
    import io

    from rich.console import Console

    from tradeguard.cli.runner import peak_line

    out = io.StringIO()
    peak_line(Console(file=out, width=80, color_system=None), 0.529)
    assert out.getvalue() == (
        "  peak use of the exchange's limits: 52.9% of the tightest  "
        "(busy: calls wait for room near a limit)\n"
    )
