"""Ctrl-C (SIGINT) or SIGTERM stops a serving command cleanly, with `run`'s and `gateway`'s
exit codes (130, 143): `tradeguard dashboard` exited 0 on Ctrl-C, as if nothing had stopped it,
and on SIGTERM died by the signal without closing its journal tails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tradeguard.journal import open_journal


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_the_dashboard_stops_on_a_signal_with_its_exit_code(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    journal = tmp_path / "data" / "tradeguard" / "default.db"
    journal.parent.mkdir(parents=True)
    with open_journal(journal, profile="default"):
        pass
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "c")}  # fmt: skip
    env.pop("TRADEGUARD_CONFIG", None)
    env.pop("TRADEGUARD_PROFILE", None)
    served = subprocess.Popen(
        [sys.executable, "-m", "tradeguard.cli.app", "dashboard", "--port", "0"],
        env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert served.stdout is not None
        assert served.stdout.readline().startswith("tradeguard dashboard on http://127.0.0.1:")
        served.send_signal(sig)
        out, err = served.communicate(timeout=30)
    finally:
        if served.poll() is None:
            served.kill()
            served.wait()
    assert served.returncode == code, out + err
    assert "Traceback" not in err, err
