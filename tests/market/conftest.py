"""A session on the embedded simulator (its journal and state in a temporary directory), and
the ways the market-data tests compare the local book with the exchange's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import aiohttp
import msgspec
import pytest

from tradeguard.market.keeper import MarketConfig
from tradeguard.market.stream import MarketStreamConfig
from tradeguard.market.values import OrderBook
from tradeguard.session.connect import connect
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote

SYMBOL = "BTCUSDT"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def market_config() -> MarketConfig:
    # quick reconnects and resyncs
    return MarketConfig(
        stream=MarketStreamConfig(backoff_base_s=0.05, backoff_cap_s=0.2),
        resync_backoff_s=0.05,
    )


@pytest.fixture
async def tg(market_config: MarketConfig) -> AsyncIterator[Session]:
    session = await connect(None, market=market_config)
    try:
        yield session
    finally:
        await session.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def remote(tg: Session, http: aiohttp.ClientSession) -> SimRemote:
    return SimRemote(tg.sim.control_url, http)


async def soon(check: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    """Until `check()` holds: stream frames on loopback, a few real seconds at most."""
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def diffs_lost(tg: Session, remote: SimRemote) -> None:
    """The book changes while the market streams are silenced (the diff is discarded, not
    held), then once more after: the stream's next diff starts after an update id it never
    sent."""
    book = await tg.book(SYMBOL, 1)
    assert book.best_bid is not None
    await remote.add_fault({"kind": "stream_silence", "channel": "market"})
    await remote.set_price(SYMBOL, book.best_bid * Decimal("1.002"))
    await asyncio.sleep(0.3)  # the depth stream's 100 ms period, and more: its diff went nowhere
    await remote.clear_faults()
    await remote.set_price(SYMBOL, book.best_bid * Decimal("0.998"))


async def exchange_book(tg: Session, http: aiohttp.ClientSession, depth: int) -> dict:  # type: ignore[type-arg]
    """The exchange's book as GET /api/v3/depth answers it (asked outside the session, so
    that the session's counts and ledger stay its own)."""
    async with http.get(
        f"{tg.sim.base_url}/api/v3/depth", params={"symbol": SYMBOL, "limit": str(depth)}
    ) as reply:
        body: dict = msgspec.json.decode(await reply.read())  # type: ignore[type-arg]
        return body


async def book_matches_exchange(
    tg: Session, http: aiohttp.ClientSession, depth: int = 10
) -> OrderBook:
    """Read the local book until it stands at the exchange's update id, and compare them."""
    for _ in range(300):
        ours = await tg.book(SYMBOL, depth)
        theirs = await exchange_book(tg, http, depth)
        if theirs["lastUpdateId"] == ours.update_id:
            assert [[str(p), str(q)] for p, q in ours.bids] == theirs["bids"]
            assert [[str(p), str(q)] for p, q in ours.asks] == theirs["asks"]
            return ours
        await asyncio.sleep(0.02)
    raise AssertionError("the local book never stood where the exchange's does")


@asynccontextmanager
async def venue_session(venue: str, folder: Path, market: MarketConfig) -> AsyncIterator[Session]:
    """A session on `venue`'s embedded simulator dialect (`env = "sim"`), its profile in
    `folder`."""
    config = folder / "tradeguard.toml"
    config.write_text(f'[profiles.default]\nvenue = "{venue}"\nenv = "sim"\n', encoding="utf-8")
    session = await connect("default", config=config, market=market)
    try:
        yield session
    finally:
        await session.close()


async def engine_book_matches(tg: Session, depth: int = 5) -> None:
    """Read the local book until its top `depth` levels are the engine's (any venue)."""
    for _ in range(300):
        ours = await tg.book(SYMBOL, depth)
        _, bids, asks = tg.sim.engine.depth(SYMBOL, depth)
        if list(ours.bids) == list(bids) and list(ours.asks) == list(asks):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the local book never stood where the exchange's does: {ours}")
