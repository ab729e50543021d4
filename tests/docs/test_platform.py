"""tradeguard runs on Linux and macOS. On Windows it would fail deep inside (fcntl locks in the
journal's intent log and the host state file, signal handlers on the event loop), so importing
it there refuses at once with one line that says what to do instead."""

from __future__ import annotations

import subprocess
import sys

WINDOWS_REFUSAL = "tradeguard runs on Linux and macOS; on Windows use WSL2"


def _import_as(platform: str, module: str) -> subprocess.CompletedProcess[str]:
    code = f"import sys; sys.platform = {platform!r}; import {module}; print('imported')"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_importing_on_windows_refuses_with_the_way_out() -> None:
    done = _import_as("win32", "tradeguard")
    assert done.returncode != 0
    assert "imported" not in done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: ")
    assert WINDOWS_REFUSAL in last


def test_the_cli_on_windows_refuses_the_same_way() -> None:
    done = _import_as("win32", "tradeguard.cli.app")
    assert done.returncode != 0
    assert WINDOWS_REFUSAL in done.stderr.strip().splitlines()[-1]


def test_linux_and_macos_import_it() -> None:
    for platform in ("linux", "darwin"):
        done = _import_as(platform, "tradeguard")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "imported"
