"""With a PostgreSQL journal the one-runner-per-profile lock is a session advisory lock in the
database: it holds across hosts, is refused naming the holder, and goes with its connection."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.journal import pgcluster
from tradeguard.errors import GuardError
from tradeguard.profile.profiles import Profile
from tradeguard.session.connect import connect


@pytest.fixture(scope="module")
def pg() -> Iterator[pgcluster.Cluster | None]:
    with pgcluster.running() as cluster:
        yield cluster


async def test_one_runner_per_profile_in_a_postgresql_journal(
    pg: pgcluster.Cluster | None,
) -> None:
    if pg is None:
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    first = await connect(Profile(name="bot-a"), journal=pg.dsn)
    try:
        with pytest.raises(GuardError) as refused:
            await connect(Profile(name="bot-a"), journal=pg.dsn)
        assert "profile bot-a" in str(refused.value)
        assert f"process {os.getpid()}" in str(refused.value)
        other = await connect(Profile(name="bot-b"), journal=pg.dsn)  # its own profile: fine
        await other.close()
    finally:
        await first.close()
    again = await connect(Profile(name="bot-a"), journal=pg.dsn)  # released on close
    await again.close()
