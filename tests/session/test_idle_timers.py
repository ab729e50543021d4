"""An idle session's timers do nothing when there is nothing to do (bench_idle measures the CPU
they cost): the journal's group-commit tick sleeps while nothing waits, and wakes when an
append leaves something waiting, which it still commits within two ticks (the README's 0.2 s).
On the journal's fake clock with a counting sleep: no time is asserted."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tradeguard.events import AlertRaised
from tradeguard.journal import open_journal
from tradeguard.net.clock import FakeClock
from tradeguard.session import kill_switch
from tradeguard.session.guard import Session
from tradeguard.session.stop import StopCalls


class _Quiet(StopCalls):
    """Just what `commit_due` reads of a session."""

    def __init__(self, journal: object) -> None:
        self.recorder = SimpleNamespace(journal=journal)  # type: ignore[assignment]
        self.closing = False


def _event(n: int) -> AlertRaised:
    return AlertRaised(at_ms=n, profile="t", kind="test", message=f"m{n}")


async def test_the_group_commit_tick_sleeps_while_nothing_waits_and_commits_what_comes(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    ticks: list[float] = []

    async def sleep(seconds: float) -> None:
        ticks.append(seconds)
        clock.advance(seconds)
        await asyncio.sleep(0)

    with open_journal(tmp_path / "j.db", clock=clock) as journal:
        session = _Quiet(journal)
        timer = asyncio.create_task(session.commit_due(sleep))
        for _ in range(50):  # an idle bot: the loop turns, the timer must not
            await asyncio.sleep(0)
        assert ticks == []
        assert journal.append(_event(1)) is None  # waits for its group commit
        for _ in range(50):
            await asyncio.sleep(0)
            if journal.waiting == 0:
                break
        assert journal.wait_committed() == 1 and journal.waiting == 0
        assert 0 < sum(ticks) <= journal.max_delay_s  # committed by the tick, in its time
        woken = len(ticks)
        for _ in range(50):  # idle again: asleep again
            await asyncio.sleep(0)
        assert len(ticks) == woken
        session.closing = True
        timer.cancel()
        await asyncio.gather(timer, return_exceptions=True)
        assert journal.on_waiting is None


async def test_at_a_bots_pace_a_group_commit_takes_two_orders_events_within_the_delay(
    tmp_path: Path,
) -> None:
    # An order every 0.125 s (the bench's pace): a commit per order cost a group commit's work
    # on the loop and on the commit thread every order. Committing what waited 0.9 of the
    # delay takes the next order's events along, and still none waits past the delay.
    clock = FakeClock()
    orders = [i * 0.125 for i in range(40)]
    ages: list[float] = []
    commits = 0

    with open_journal(tmp_path / "j.db", clock=clock) as journal:

        def place_due(until: float) -> None:
            while orders and orders[0] <= until:
                clock.advance(orders.pop(0) - clock.monotonic())
                for k in range(4):  # intent, reply, the stream's reports
                    journal.append(_event(k))

        async def sleep(seconds: float) -> None:
            until = clock.monotonic() + seconds
            place_due(until)
            clock.advance(until - clock.monotonic())
            ages.append(journal.oldest_waited_s or 0.0)
            await asyncio.sleep(0)

        flush_due = journal.flush_due

        def counted(older_than_s: float | None = None) -> int | None:
            nonlocal commits
            held = journal.holding
            done = flush_due(older_than_s)
            commits += held and not journal.holding  # a group commit takes all that waits
            return done

        journal.flush_due = counted  # type: ignore[method-assign]
        start = clock.monotonic()
        orders = [start + t for t in orders]
        session = _Quiet(journal)
        place_due(start)
        timer = asyncio.create_task(session.commit_due(sleep))
        while orders or journal.waiting:
            for _ in range(5):
                await asyncio.sleep(0)
            if orders and not journal.holding:  # the timer sleeps till an append: the next order
                place_due(orders[0])
        session.closing = True
        await asyncio.sleep(0)
        timer.cancel()
        await asyncio.gather(timer, return_exceptions=True)
    assert max(ages) <= journal.max_delay_s  # nothing waited past the delay
    assert commits <= 21  # two orders a commit (one each before)


async def test_the_kill_switch_watch_reads_no_records_while_nothing_is_committed(
    tg: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = tg.recorder.journal
    journal.flush()
    reads: list[int] = []
    records = journal.records

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(journal.head(commit_first=False)[0])
        return records(*args, **kwargs)

    monkeypatch.setattr(journal, "records", counted)
    watch = asyncio.create_task(tg.watch_journal(every_s=0))  # looks at every loop turn
    try:
        for _ in range(200):
            await asyncio.sleep(0)
        # only when the head moved (this session's own commits, if any): never per look
        assert len(reads) <= len(set(reads)) and len(reads) < 20
        said = await asyncio.to_thread(kill_switch.main, None, None, reset=False, reason="t")
        assert "latched" in said
        for _ in range(200):  # the latch another process committed is still noticed
            await asyncio.sleep(0)
            if tg.halted.is_set():
                break
        assert tg.halted.is_set()
    finally:
        watch.cancel()
        await asyncio.gather(watch, return_exceptions=True)
