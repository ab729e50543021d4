"""Waiting for Ctrl-C or SIGTERM in a command that serves until stopped (`run`'s page kept
up, `dashboard`, `gateway`), and the exit code each stop gives: 130 for SIGINT, 143 for
SIGTERM, as a shell reports a process those signals ended.

Imported by those commands when they run (asyncio is not needed for `tradeguard --help`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator

INTERRUPTED, TERMINATED = 128 + signal.SIGINT, 128 + signal.SIGTERM
_CODES = {signal.SIGINT: INTERRUPTED, signal.SIGTERM: TERMINATED}


@contextlib.contextmanager
def stop_signals() -> Iterator[asyncio.Future[int]]:
    """A future that the first SIGINT or SIGTERM sets to its exit code, while inside. The
    loop handles both from the start, before anything is served and announced, so a stop at
    any moment runs the caller's cleanup (a `finally`) instead of KeyboardInterrupt or the
    process dying mid-write."""
    loop = asyncio.get_running_loop()
    stopped: asyncio.Future[int] = loop.create_future()

    def stop(code: int) -> None:
        if not stopped.done():
            stopped.set_result(code)

    for sig, code in _CODES.items():
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop, code)
    try:
        yield stopped
    finally:
        for sig in _CODES:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def signal_name(code: int) -> str:
    """SIGINT for 130, SIGTERM for 143."""
    return signal.Signals(code - 128).name


async def until_stopped() -> int:
    """Wait for SIGINT or SIGTERM; its exit code."""
    with stop_signals() as stopped:
        return await stopped
