"""The README's test command installs what some tests drive, and without it they skip."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.dashboard.browsing import chromium_path

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(os.geteuid() != 0, reason="scripts/test installs with apt-get only as root")
def test_scripts_test_installs_a_missing_chromium_with_apt_get(tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    calls = tmp_path / "apt-calls"
    (fake_bin / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    (fake_bin / "apt-get").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}",
           "TRADEGUARD_CHROMIUM": str(tmp_path / "no-chromium")}  # fmt: skip
    done = subprocess.run(
        [str(ROOT / "scripts" / "test"), "--version"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "installing" in done.stderr and "chromium" in done.stderr
    said = calls.read_text().splitlines()
    assert any(line.startswith("install") and "chromium" in line.split() for line in said), said


def test_without_chromium_the_browser_tests_skip_with_the_install_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRADEGUARD_CHROMIUM", str(tmp_path / "no-chromium"))
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        chromium_path()


def test_scripts_test_makes_freqtraders_venv_when_it_is_absent(tmp_path: Path) -> None:
    # a python3 that fakes only `-m venv` (a venv whose pip and freqtrade do nothing), so the
    # test sees scripts/test make the venv without downloading freqtrade
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    real = subprocess.run(["sh", "-c", "command -v python3"], capture_output=True, text=True)
    (fake_bin / "python3").write_text(
        "#!/bin/sh\n"
        'if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin"; '
        'printf "#!/bin/sh\\n" > "$3/bin/pip"; printf "#!/bin/sh\\n" > "$3/bin/freqtrade"; '
        'chmod +x "$3/bin/pip" "$3/bin/freqtrade"; exit 0; fi\n'
        f'exec {real.stdout.strip()} "$@"\n'
    )
    (fake_bin / "python3").chmod(0o755)
    venv = tmp_path / "ft"
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}",
           "TRADEGUARD_FREQTRADE_VENV": str(venv)}  # fmt: skip
    done = subprocess.run(
        [str(ROOT / "scripts" / "test"), "--version"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "installing freqtrade" in done.stderr
    assert (venv / "bin" / "freqtrade").exists()
