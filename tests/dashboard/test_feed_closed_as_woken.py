"""A dashboard feed closed in the very turn it is woken ends: its close() does not wait on it."""

from __future__ import annotations

import asyncio
from typing import Any

from tradeguard.dashboard.sse import Feed


class _EmptyView:
    def apply(self, seq: int, event: Any) -> dict[str, Any] | None:
        return None

    def snapshot(self, now_ms: int | None = None) -> dict[str, Any]:
        return {}


class _EmptyTail:
    closed = False

    def head(self) -> int:
        return 0

    def after(self, seq: int, limit: int = 1000) -> list[tuple[int, Any]]:
        return []

    def close(self) -> None:
        self.closed = True


async def test_a_feed_closed_as_it_is_woken_ends() -> None:
    # On Python 3.11 asyncio.wait_for swallowed the close's cancel when it landed as the wake
    # came: the feed went on following the journal, and close() (the dashboard's shutdown)
    # waited for it forever.
    tail = _EmptyTail()
    feed = Feed(_EmptyView(), tail, 0, poll_s=3600.0)
    feed.start()
    for _ in range(3):  # the feed waits for a wake
        await asyncio.sleep(0)
    feed.wake()
    closing = asyncio.ensure_future(feed.close())
    for _ in range(10):
        await asyncio.sleep(0)
    try:
        assert closing.done()
        assert tail.closed
    finally:
        if feed._task is not None:
            feed._task.cancel()  # a feed that went on is stopped, so the test ends either way
        for _ in range(5):
            await asyncio.sleep(0)
