"""The market stream's stale timeout comes from tradeguard.toml (`market_stale_after_s`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tradeguard.session.connect import connect
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote

from .conftest import book_matches_exchange, soon


@pytest.fixture
async def tg(tmp_path: Path) -> AsyncIterator[Session]:
    config = tmp_path / "tradeguard.toml"
    config.write_text("[profiles.default]\nmarket_stale_after_s = 1\n", encoding="utf-8")
    session = await connect("default", config=config)
    try:
        yield session
    finally:
        await session.close()


async def test_a_stream_silent_past_the_profiles_timeout_is_replaced(
    tg: Session, remote: SimRemote, http: aiohttp.ClientSession
) -> None:
    await book_matches_exchange(tg, http)
    await remote.add_fault({"kind": "stream_silence", "channel": "market"})
    # 1 s from the profile, not the 30 s default: noticed within a few seconds
    await soon(lambda: tg.market_stats().stale >= 1, "the stale stream noticed", seconds=10)
    await remote.clear_faults()


def test_the_profiles_default_is_the_streams() -> None:
    from tradeguard.market.stream import MarketStreamConfig
    from tradeguard.profile.profiles import Profile

    assert Profile(name="p").market_stale_after_s == MarketStreamConfig().stale_after_s == 30.0


@pytest.mark.parametrize("given", ["profile", "market"])
async def test_a_window_kraken_s_heartbeat_cannot_fill_is_refused_at_connect(given: str) -> None:
    # a Profile built in code (or connect's own `market=`) skips the file's check: connect
    # refuses it before it opens anything, naming the setting, the venue and the smallest
    from tradeguard.errors import ConfigError
    from tradeguard.market.keeper import MarketConfig
    from tradeguard.market.stream import MarketStreamConfig
    from tradeguard.profile.profiles import Profile

    short = MarketConfig(stream=MarketStreamConfig(stale_after_s=1.5))
    if given == "profile":
        profile, options = Profile(venue="kraken", market_stale_after_s=1.5), {}
    else:
        profile, options = Profile(venue="kraken"), {"market": short}
    with pytest.raises(ConfigError) as caught:
        await connect(profile, **options)
    message = str(caught.value)
    setting = "market_stale_after_s" if given == "profile" else "MarketStreamConfig.stale_after_s"
    assert message.startswith(setting) and "kraken" in message and "heartbeat" in message
    assert "= 2 or more" in message and "\n" not in message
