"""Alerts on the live path: every recorded event is offered to the alert tracker; what comes out
passes the rate-limiting gate, is journaled as `AlertRaised` and sent to the profile's hooks
(webhook, command) in the background. Sending never blocks or breaks trading: a failed delivery
is journaled as an error and that is all.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from tradeguard.alerts.policy import (
    Alert,
    AlertGate,
    AlertPolicy,
    AlertTracker,
    alerts_for,
    may_alert,
)
from tradeguard.events import EventBase
from tradeguard.net.clock import Clock

Record = Callable[[EventBase], object]


class AlertHub:
    def __init__(
        self,
        record: Record,
        clock: Clock,
        *,
        sender: Any | None = None,
        policy: AlertPolicy | None = None,
        tracker: AlertTracker | None = None,
    ) -> None:
        self._record = record
        self._clock = clock
        self.sender = sender  # alerts_send.AlertSender, or None: journal only
        self.gate = AlertGate(policy or AlertPolicy())
        self.tracker = tracker or AlertTracker()
        self.sent: list[Alert] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def watch(self, event: EventBase) -> None:
        """A Recorder watcher: offer the event to the tracker, raise what qualifies."""
        if not may_alert(event):
            return
        now = self._clock.wall_ms()
        for alert in alerts_for(event, self.tracker, now):
            self._raise(alert, now)

    def tick(self) -> None:
        """Once a second, on the session's heartbeat: a stream lost too long, a flood's
        suppressed count."""
        now = self._clock.wall_ms()
        for alert in self.tracker.tick(now):
            self._raise(alert, now)
        summary = self.gate.tick(now)
        if summary is not None:
            self._deliver(summary)

    def _raise(self, alert: Alert, now: int) -> None:
        admitted = self.gate.admit(alert, now)
        if admitted is not None:
            self._deliver(admitted)

    def _deliver(self, alert: Alert) -> None:
        self.sent.append(alert)
        self._record(alert.to_event())
        if self.sender is None:
            return
        with contextlib.suppress(RuntimeError):  # no running loop: journal only
            task = asyncio.get_running_loop().create_task(self._send(alert))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send(self, alert: Alert) -> None:
        assert self.sender is not None
        result = await self.sender.send(alert)
        failed = result.to_event(alert, self._clock.wall_ms())
        if failed is not None:
            self._record(failed)

    async def close(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.sender is not None:
            await self.sender.aclose()
