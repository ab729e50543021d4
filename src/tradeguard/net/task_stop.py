"""Stopping a task from a close(): cancel it and wait for its end, without losing a cancel of
the closer itself.

The usual `task.cancel()` then `with suppress(CancelledError): await task` swallows two
cancellations, not one: the task's own (wanted) and, if the closer is cancelled while it
waits, the closer's (its caller's shutdown, a timeout), after which the closer goes on as if
never cancelled. Python 3.11 counts a task's pending cancellations (`Task.cancelling()`), which
tells the two apart. Both sides use this, the client's streams and the simulator's servers."""

from __future__ import annotations

import asyncio
from typing import Any


async def stop_task(task: asyncio.Future[Any], *, quiet: tuple[type[Exception], ...] = ()) -> None:
    """Cancels `task` and waits for it to end. Its CancelledError ends here, and so does an
    exception of a type in `quiet` (a close that must go on whatever the task died of); a
    cancellation of the caller, coming before or while it waits, raises CancelledError."""
    current = asyncio.current_task()
    before = current.cancelling() if current is not None else 0
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        if current is not None and current.cancelling():
            raise  # the caller is being cancelled, not only the task
    except quiet:
        pass
    if current is not None and current.cancelling() > before:
        # the caller was cancelled while it waited, but the task swallowed the cancel it was
        # handed on and ended otherwise: the caller's cancellation still stands
        raise asyncio.CancelledError
