"""What the real-browser tests share: Debian's Chromium driven by Playwright (never a browser
Playwright downloads), and the dashboard (or a whole `tradeguard run --web`) served from a
thread with its own event loop: the sync Playwright API owns the main thread's loop."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import pytest

ARGS = [
    "--no-sandbox",  # as root
    "--disable-gpu",
    "--disable-background-networking",  # no calls to Google's services: the machine refuses them
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
T = TypeVar("T")


def chromium_path() -> str:
    path = os.environ.get("TRADEGUARD_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).exists():
        # as the PostgreSQL tests do: ./scripts/test installs it where apt-get can, else skipped
        # with how to enable them, so the suite runs on a machine with only Python and pip
        pytest.skip(
            f"no Chromium at {path}: apt-get install -y chromium (or set TRADEGUARD_CHROMIUM)"
        )
    return path


def keep_screenshot(shot: Path) -> Path:
    """Copy a screenshot out of the test's tmp to build/screenshots/ (ignored by git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    kept = SCREENSHOTS / shot.name
    shutil.copyfile(shot, kept)
    return kept


class LoopThread:
    """An event loop on a thread of its own, to run the server (or a bot) while the test
    drives the browser."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def submit(self, coro: Awaitable[T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]

    def run(self, coro: Awaitable[T], timeout: float = 30) -> T:
        return self.submit(coro).result(timeout)

    def call(self, fn: Callable[[], Any]) -> None:
        self.loop.call_soon_threadsafe(fn)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
