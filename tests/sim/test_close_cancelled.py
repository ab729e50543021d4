"""A simulator's close() cancelled while it waits for its market ticker to stop is cancelled
too (its caller's cancellation is not swallowed), and its servers close anyway."""

from __future__ import annotations

import asyncio

from tradeguard.sim.config import SimConfig
from tradeguard.sim.server import start


async def test_a_sim_close_cancelled_while_it_waits_is_cancelled() -> None:
    running = await start(SimConfig.default(clock="wall"))
    ticker = running._ticker
    assert ticker is not None  # the wall clock's market ticker runs
    closing = asyncio.ensure_future(running.close())
    await asyncio.sleep(0)  # close() waits for the ticker's end
    closing.cancel()
    done, _ = await asyncio.wait({closing}, timeout=30)  # a bound, not a measure
    assert closing in done
    assert ticker.done()
    assert closing.cancelled()
    assert running._runner.server is None  # the HTTP server closed anyway
    assert running.fix is not None and all(not s.is_serving() for s in running.fix._servers)
