"""Kraken's server time (`GET /0/public/Time`) is in whole seconds: the clock estimate reads a
stamp `t` as the middle of [t, t + 1 s), not as `t` (which ran about half a second behind)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from tradeguard.net.clock import FakeClock
from tradeguard.sim import server
from tradeguard.sim.config import SimConfig

from .conftest import credentials

SECOND_MS = 1_767_225_600_000


async def test_a_whole_second_server_time_is_read_as_the_middle_of_its_second() -> None:
    from tradeguard.venues.ccxt import open_venue

    config = SimConfig.default(seed=11, venue="kraken", clock="manual", start_ms=SECOND_MS + 900)
    config.market = dataclasses.replace(config.market, volatility_bps=Decimal(0))
    sim = await server.start(config)
    # the host's clocks stand still during the reads: each read says only "within that second"
    venue = open_venue(
        "kraken", sim.base_url, credentials(sim), urls=dict(sim.urls), clock=FakeClock()
    )
    try:
        await venue.sync_clock()
        estimated = venue.server_now_ms()
    finally:
        await venue.close()
        await sim.close()
    assert estimated != SECOND_MS  # the stamp's floor: 900 ms behind the exchange
    assert SECOND_MS < estimated < SECOND_MS + 1000
    assert abs(estimated - (SECOND_MS + 900)) <= 500
