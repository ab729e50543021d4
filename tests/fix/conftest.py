"""Sessions trading over Binance's FIX order entry (`order_transport = "fix"`) on the embedded
simulator's acceptor, through real TLS on loopback, with the scenario tests' isolation,
bookkeeping and invariants."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.scenarios import conftest as scenarios
from tests.scenarios.conftest import FAST, Connect, watch_placements
from tradeguard.profile.profiles import Profile
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote
from tradeguard.venues.binance.client import BinanceTransport
from tradeguard.venues.binance.fix import FixOrderWire


def fix_profile(**fields: Any) -> Profile:
    """A Binance profile with `order_transport = "fix"`, made inside the test: a profile
    resolves its journal's path when made, and only then is $XDG_DATA_HOME the test's own."""
    return Profile(order_transport="fix", **fields)


_isolated = scenarios._isolated
sessions = scenarios.sessions
http = scenarios.http


@pytest.fixture
async def fix_tg(sessions: Connect) -> Session:
    """A session whose orders go over FIX, with a 2 s answer timeout and a fast resolver."""
    session = await sessions(fix_profile(), **FAST)
    watch_placements(session.sim)
    return session


@pytest.fixture
def fix_remote(fix_tg: Session, http: aiohttp.ClientSession) -> SimRemote:
    assert fix_tg.sim is not None
    return SimRemote(fix_tg.sim.control_url, http)


def wire(tg: Session) -> FixOrderWire:
    assert isinstance(tg.transport, BinanceTransport)
    assert isinstance(tg.transport.order_wire, FixOrderWire)
    return tg.transport.order_wire
