"""The market keeper's watchers: one bounded queue per watch_* call, by topic; a slow reader
loses the oldest update, closing the keeper ends every watch, and a subscription the venue
refuses ends the watches of it with why."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Any

WATCH_QUEUE = 1000  # updates a watcher may fall behind before the oldest are dropped

_CLOSED: Any = object()


class _Failed:
    """What ends a watch with an error (its subscription refused)."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


class Watchers:
    def __init__(self) -> None:
        self._queues: dict[Hashable, set[asyncio.Queue[Any]]] = {}

    async def watch(
        self, topic: Hashable, start: Callable[[], None], *, latest_only: bool = False
    ) -> AsyncIterator[Any]:
        """Every update told under `topic` from now on (`start` subscribes what brings them);
        `latest_only`: only the newest one waits for a slow reader."""
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=1 if latest_only else WATCH_QUEUE)
        self._queues.setdefault(topic, set()).add(queue)
        try:
            start()
            while True:
                item = await queue.get()
                if item is _CLOSED:
                    return
                if isinstance(item, _Failed):
                    raise item.error
                yield item
        finally:
            self._queues.get(topic, set()).discard(queue)

    def watched(self, topic: Hashable) -> bool:
        return bool(self._queues.get(topic))

    def tell(self, topic: Hashable, item: Any) -> None:
        for queue in self._queues.get(topic, ()):
            _put_dropping_oldest(queue, item)

    def fail(self, topic: Hashable, error: Exception) -> None:
        """Every watch of `topic` raises `error` (nothing more will come for it)."""
        for queue in self._queues.get(topic, ()):
            _put_dropping_oldest(queue, _Failed(error))

    def close(self) -> None:
        """Every watch ends (its loop returns) once it has read what it was told before."""
        for queues in self._queues.values():
            for queue in queues:
                _put_dropping_oldest(queue, _CLOSED)


def _put_dropping_oldest(queue: asyncio.Queue[Any], item: Any) -> None:
    if queue.full():
        queue.get_nowait()  # a slow reader loses the oldest
    queue.put_nowait(item)


__all__ = ["WATCH_QUEUE", "Watchers"]
