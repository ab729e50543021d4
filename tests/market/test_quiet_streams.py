"""A quiet book on Bybit, OKX and Kraken (nothing trades, the price stands still) is not a stale
stream, nor a quiet candle on OKX's /ws/v5/business connection: Kraken sends its `heartbeat`
channel on a quiet subscription, Bybit and OKX answer the client's pings (sent at least three
times in each stale window), and each counts as the stream being alive. A stream that truly goes silent (no data, no heartbeat, no pong) is still
reported stale and replaced."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

pytest.importorskip("ccxt")

from tradeguard.market.keeper import MarketConfig
from tradeguard.market.stream import MarketStreamConfig
from tradeguard.session.connect import connect
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote

SYMBOL = "BTCUSDT"
STALE_S = 2.0  # above Kraken's heartbeat period (1 s), with room
QUICK_STALE = MarketConfig(
    stream=MarketStreamConfig(stale_after_s=STALE_S, backoff_base_s=0.05, backoff_cap_s=0.2),
    resync_backoff_s=0.05,
)


@pytest.fixture(params=["bybit", "okx", "kraken"])
async def tg(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Session]:
    for name in ("STATE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "tradeguard.toml"
    config.write_text(
        f'[profiles.default]\nvenue = "{request.param}"\nenv = "sim"\n', encoding="utf-8"
    )
    session = await connect("default", config=config, market=QUICK_STALE)
    for state in session.sim.engine._core.books.values():  # the market stands still
        state.market._sigma = 0.0
    try:
        yield session
    finally:
        await session.close()


@pytest.fixture
async def remote(tg: Session) -> AsyncIterator[SimRemote]:
    async with aiohttp.ClientSession() as http:
        yield SimRemote(tg.sim.control_url, http)


async def soon(check: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_quiet_book_is_not_stale_and_a_silent_stream_is(
    tg: Session, remote: SimRemote
) -> None:
    book = await tg.book(SYMBOL, 5)
    assert book.best_bid is not None
    connections = 1
    if tg.venue == "okx":  # and its candles, on a connection of their own
        await tg.candles(SYMBOL, "1m", 5)
        connections = 2
    await asyncio.sleep(STALE_S * 3)  # three stale windows with nothing trading
    stats = tg.market_stats()
    assert stats.stale == 0 and stats.connections == connections, stats
    assert (await tg.book(SYMBOL, 5)).bids == book.bids  # quiet indeed: the book stood still
    await remote.add_fault({"kind": "stream_silence", "channel": "market"})
    await soon(lambda: tg.market_stats().stale >= connections, "the silent streams reported stale")
    await remote.clear_faults()
    await soon(lambda: tg.market_stats().connections >= 2 * connections, "the streams replaced")
