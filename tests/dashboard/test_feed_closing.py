"""A dashboard feed's close() under cancellation: a feed closed in the very turn it is woken
ends (its close() does not wait on it), and a close() cancelled while it waits for the feed to
stop is cancelled too (its caller's shutdown goes on being cancelled), the journal's tail
closed anyway."""

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


async def test_a_feed_close_cancelled_while_it_waits_is_cancelled() -> None:
    # with suppress(CancelledError) around its wait, close() swallowed its own cancel and
    # returned as if it had not been cancelled
    tail = _EmptyTail()
    feed = Feed(_EmptyView(), tail, 0, poll_s=3600.0)
    feed.start()
    for _ in range(3):  # the feed waits for a wake
        await asyncio.sleep(0)
    closing = asyncio.ensure_future(feed.close())
    await asyncio.sleep(0)  # close() waits for the feed's end
    closing.cancel()
    for _ in range(5):
        await asyncio.sleep(0)
    assert closing.cancelled()
    assert tail.closed
