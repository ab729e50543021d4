"""`tradeguard run bot.py` loads the bot as a script would run: its folder first on sys.path
(so a module beside it imports), and a bot that cannot load (a syntax error, a failed import,
an exception in its body) is one line naming the bot's file and line, exit 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COLUMNS": "200",
        "XDG_STATE_HOME": str(cwd / "state"),
        "XDG_DATA_HOME": str(cwd / "data"),
        "XDG_CONFIG_HOME": str(cwd / "config"),
    }
    return subprocess.run(
        [sys.executable, "-m", "tradeguard.cli.app", "run", *args, "--no-live"],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_a_module_beside_the_bot_imports(tmp_path: Path) -> None:
    bots = tmp_path / "bots"
    bots.mkdir()
    (bots / "grid_levels_of_mine.py").write_text("LEVELS = 3\n")
    (bots / "bot.py").write_text(
        "import grid_levels_of_mine\n\n"
        "async def main(tg):\n"
        "    print('levels', grid_levels_of_mine.LEVELS)\n"
    )
    done = _run(tmp_path, "bots/bot.py")  # run from elsewhere: the bot's folder is not the cwd
    assert done.returncode == 0, done.stdout + done.stderr
    assert "levels 3" in done.stdout


BROKEN = [
    pytest.param(
        "import asyncio\n\nasync def main(tg)\n    pass\n",
        "bot.py:3: SyntaxError: expected ':'",
        id="syntax",
    ),
    pytest.param(
        "import asyncio\nimport no_such_module_anywhere\n\nasync def main(tg):\n    pass\n",
        "bot.py:2: ModuleNotFoundError: No module named 'no_such_module_anywhere'",
        id="import",
    ),
    pytest.param(
        "LEVELS = {}\nSTEP = LEVELS['step']\n\nasync def main(tg):\n    pass\n",
        "bot.py:2: KeyError: 'step'",
        id="body",
    ),
]


@pytest.mark.parametrize(("source", "where"), BROKEN)
def test_a_bot_that_cannot_load_is_one_line_with_its_file_and_line(
    tmp_path: Path, source: str, where: str
) -> None:
    (tmp_path / "bot.py").write_text(source)
    done = _run(tmp_path, "bot.py")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr == f"tradeguard: cannot load {where}\n"
    assert "Traceback" not in done.stdout


def test_an_error_in_a_module_beside_the_bot_names_that_module(tmp_path: Path) -> None:
    (tmp_path / "helper_of_mine.py").write_text("def broken(:\n    pass\n")
    (tmp_path / "bot.py").write_text("import helper_of_mine\n\nasync def main(tg):\n    pass\n")
    done = _run(tmp_path, "bot.py")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("tradeguard: cannot load bot.py: helper_of_mine.py:1: ")
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("\nasync def main():\n    pass\n", id="no-parameter"),
        pytest.param("\nasync def main(tg, levels):\n    pass\n", id="two-parameters"),
        pytest.param("\nasync def main(*, tg):\n    pass\n", id="keyword-only"),
    ],
)
def test_a_main_that_cannot_take_the_session_is_one_line_before_connecting(
    tmp_path: Path, source: str
) -> None:
    (tmp_path / "bot.py").write_text(source)
    done = _run(tmp_path, "bot.py")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("tradeguard: bot.py:2: main")
    assert "async def main(tg)" in done.stderr
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / "data").exists()  # refused before any session or journal
