"""Start a benchmark server in its own process and read the line it prints."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@contextmanager
def server(kind: str, *args: str) -> Iterator[dict[str, Any]]:
    process = subprocess.Popen(
        [sys.executable, str(HERE / "servers.py"), kind, *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {kind} server did not start")
        yield json.loads(line)
    finally:
        process.terminate()
        process.wait(timeout=10)
