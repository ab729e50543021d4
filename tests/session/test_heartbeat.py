"""The session's once-a-second duties share one timer (issue 13: every wake-up of an idle loop
costs about 200 µs of CPU here): the kill-switch watch, which still follows a latch another
process commits at its next beat, and the alert hub's tick. On SQLite, a beat when nobody
committed reads nothing. The beats are driven by hand: no time is asserted."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tradeguard.session import kill_switch
from tradeguard.session.guard import Session


class _Beats:
    """A heartbeat's sleep that returns when the test says so."""

    def __init__(self) -> None:
        self.waiting: asyncio.Queue[None] = asyncio.Queue()
        self.slept = 0

    async def sleep(self, seconds: float) -> None:
        self.slept += 1
        await self.waiting.get()

    async def beat(self) -> None:
        self.waiting.put_nowait(None)
        for _ in range(20):  # the duties run, then the heartbeat sleeps again
            await asyncio.sleep(0)


async def test_one_beat_follows_another_process_kill_and_ticks_the_alerts(tg: Session) -> None:
    beats, ticks = _Beats(), []
    heart = asyncio.create_task(tg.heartbeat(lambda: ticks.append(1), sleep=beats.sleep))
    try:
        await beats.beat()
        assert ticks == [1] and not tg.halted.is_set()
        said = await asyncio.to_thread(kill_switch.main, None, None, reset=False, reason="t")
        assert "latched" in said
        await beats.beat()  # the next beat: within a second of the other process's commit
        assert tg.halted.is_set() and ticks == [1, 1]
        assert beats.slept == 3  # one timer for both duties
    finally:
        heart.cancel()
        await asyncio.gather(heart, return_exceptions=True)


async def test_a_duty_that_raises_is_dropped_and_the_kill_switch_watch_goes_on(
    tg: Session,
) -> None:
    beats, failures = _Beats(), []

    def broken() -> None:
        failures.append(1)
        raise RuntimeError("a broken duty")

    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))
    heart = asyncio.create_task(tg.heartbeat(broken, sleep=beats.sleep))
    try:
        await beats.beat()
        await beats.beat()
        assert failures == [1]  # dropped after its failure, which was reported
        assert [type(c.get("exception")) for c in reported] == [RuntimeError]
        await asyncio.to_thread(kill_switch.main, None, None, reset=False, reason="t")
        await beats.beat()
        assert tg.halted.is_set()
    finally:
        loop.set_exception_handler(None)
        heart.cancel()
        await asyncio.gather(heart, return_exceptions=True)


async def test_the_session_runs_its_once_a_second_duties_on_one_timer(tg: Session) -> None:
    running = [task.get_coro().__qualname__ for task in tg._tasks]  # type: ignore[union-attr]
    assert running.count("StopCalls.heartbeat") == 1
    assert not [name for name in running if name in ("AlertHub.run", "StopCalls.watch_journal")]


async def test_a_beat_reads_no_head_while_nobody_commits(
    tg: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = tg.recorder.journal
    journal.flush()
    journal.wait_committed()
    heads: list[int] = []
    head = journal.head

    def counted(**kwargs: Any) -> Any:
        found = head(**kwargs)
        heads.append(found[0])
        return found

    monkeypatch.setattr(journal, "head", counted)
    beats = _Beats()
    heart = asyncio.create_task(tg.heartbeat(sleep=beats.sleep))
    try:
        for _ in range(30):
            await beats.beat()
        # its first look and the session's own commits, if any: never one per beat
        assert len(heads) < 10, heads
        await asyncio.to_thread(kill_switch.main, None, None, reset=False, reason="t")
        await beats.beat()  # another process's commit is still read at the next beat
        assert tg.halted.is_set()
    finally:
        heart.cancel()
        await asyncio.gather(heart, return_exceptions=True)
