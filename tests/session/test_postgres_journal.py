"""Two bots, two profiles, one PostgreSQL database: each session journals through it (intents
durable, each profile's own chain), each journal replays to its bot's live state and verifies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.journal import pgcluster
from tradeguard.journal import open_journal
from tradeguard.profile.profiles import Profile
from tradeguard.session.connect import connect


@pytest.fixture(scope="module")
def pg() -> Iterator[pgcluster.Cluster | None]:
    with pgcluster.running() as cluster:
        yield cluster


async def test_two_sessions_share_one_postgresql_journal(pg: pgcluster.Cluster | None) -> None:
    if pg is None:
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    bots = [await connect(Profile(name=name), journal=pg.dsn) for name in ("bot-a", "bot-b")]
    live = {}
    try:
        for tg in bots:
            await tg.market_buy("BTC/USDT", qty="0.001")
            order = await tg.market_sell("BTC/USDT", qty="0.0015")
            assert order.order_id is not None
    finally:
        for tg in bots:
            await tg.close()
            live[tg.profile] = tg.ledger.state()
    for name in ("bot-a", "bot-b"):
        with open_journal(pg.dsn, profile=name) as journal:
            assert journal.verify().ok
            kinds = [r.kind for r in journal.records()]
            assert kinds.count("OrderIntended") == 2 and kinds.count("ShutDown") == 1
            replayed = journal.fold()
        assert replayed.positions == live[name].positions
        assert replayed.orders == live[name].orders
