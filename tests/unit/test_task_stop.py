"""stop_task: a close() stops its task and keeps its own caller's cancellation."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tradeguard.net.task_stop import stop_task


async def _turns(n: int) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def _waits_for_good() -> None:
    await asyncio.get_running_loop().create_future()


async def test_a_stopped_task_ends_and_its_cancel_stays_inside() -> None:
    task = asyncio.ensure_future(_waits_for_good())
    await _turns(2)
    await stop_task(task)  # no CancelledError here: the task's cancel is not the caller's
    assert task.cancelled()


async def test_a_closer_cancelled_while_it_waits_is_cancelled() -> None:
    # with suppress(CancelledError) around the wait, the closer's own cancel was swallowed
    # and it returned as if it had not been cancelled
    task = asyncio.ensure_future(_waits_for_good())
    await _turns(2)
    closer = asyncio.ensure_future(stop_task(task))
    await _turns(1)  # the closer waits for the task's end
    closer.cancel()
    await _turns(5)
    assert task.cancelled()
    assert closer.cancelled()


async def test_a_closer_cancelled_while_a_task_takes_its_time_to_end_is_cancelled() -> None:
    release = asyncio.Event()

    async def slow_to_end() -> None:
        try:
            await _waits_for_good()
        finally:
            await release.wait()  # its cleanup takes turns; the closer is cancelled meanwhile

    task = asyncio.ensure_future(slow_to_end())
    await _turns(2)
    closer = asyncio.ensure_future(stop_task(task))
    await _turns(3)
    assert not closer.done()
    closer.cancel()
    await _turns(5)
    assert closer.cancelled()


async def test_a_closer_cancelled_while_a_task_swallows_its_cancel_is_cancelled() -> None:
    async def swallows() -> None:
        with contextlib.suppress(asyncio.CancelledError):  # the task's own cancel
            await _waits_for_good()
        await asyncio.sleep(0)
        try:
            await _waits_for_good()  # the cancel handed on from the closer lands here
        except asyncio.CancelledError:
            return  # and is swallowed too: the task returns normally

    task = asyncio.ensure_future(swallows())
    await _turns(2)
    closer = asyncio.ensure_future(stop_task(task))
    await _turns(3)
    closer.cancel()
    await _turns(5)
    assert task.done() and not task.cancelled()
    assert closer.cancelled()


async def test_a_quiet_failure_of_the_task_ends_here_and_others_go_on() -> None:
    async def fails_on_cancel() -> None:
        try:
            await _waits_for_good()
        finally:
            raise RuntimeError("died as it ended")

    task = asyncio.ensure_future(fails_on_cancel())
    await _turns(2)
    await stop_task(task, quiet=(Exception,))

    task = asyncio.ensure_future(fails_on_cancel())
    await _turns(2)
    with pytest.raises(RuntimeError):
        await stop_task(task)


async def test_a_task_already_ended_is_waited_for_without_a_turn() -> None:
    task = asyncio.ensure_future(asyncio.sleep(0))
    await _turns(3)
    assert task.done()
    await stop_task(task)
