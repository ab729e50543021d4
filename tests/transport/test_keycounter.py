"""One API key's call counters (Kraken's), shared by every session and process on the host
through a small locked file; a hold keeps room for the calls made inside it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from tradeguard.net.callcounter import CounterRule
from tradeguard.net.keycounter import key_counters

STARTER = (CounterRule(15, Decimal("0.33")),)  # 13.5 of it ours (keycounter.HEADROOM)
KEY = "kraken-api-key-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

SPEND_IN_ANOTHER_PROCESS = """
import sys
from decimal import Decimal
from pathlib import Path
from tradeguard.net.callcounter import CounterRule
from tradeguard.net.keycounter import key_counters

counters = key_counters("kraken", "api.kraken.com", sys.argv[2],
                        (CounterRule(15, Decimal("0.33")),), Path(sys.argv[1]))
for _ in range(10):
    assert counters.admit((1,), 1_000) == 0
"""


def test_what_another_process_spent_on_the_key_is_counted_here(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-c", SPEND_IN_ANOTHER_PROCESS, str(tmp_path), KEY], check=True)
    here = key_counters("kraken", "api.kraken.com", KEY, STARTER, tmp_path)
    assert here.affordable((1,), 1_000) == 3
    assert here.admit((4,), 1_000) > 0  # would pass the allowance: wait
    assert here.admit((3,), 1_000) == 0


def test_another_key_or_host_has_its_own_count(tmp_path: Path) -> None:
    key_counters("kraken", "api.kraken.com", KEY, STARTER, tmp_path).admit((12,), 0)
    assert (
        key_counters("kraken", "api.kraken.com", KEY + "B", STARTER, tmp_path).affordable((1,), 0)
        == 13
    )
    assert key_counters("kraken", "127.0.0.1:9", KEY, STARTER, tmp_path).affordable((1,), 0) == 13


def test_the_key_itself_is_never_written(tmp_path: Path) -> None:
    key_counters("kraken", "api.kraken.com", KEY, STARTER, tmp_path).admit((1,), 0)
    [written] = list(tmp_path.iterdir())
    assert KEY not in written.name and KEY not in written.read_text()


async def test_a_hold_keeps_room_for_its_own_calls_only(tmp_path: Path) -> None:
    counters = key_counters("kraken", "api.kraken.com", KEY, STARTER, tmp_path)
    counters.admit((4,), 0)
    released = asyncio.Event()
    inside: list[float] = []

    async def resolving() -> None:
        with counters.hold((6,)):  # three queries of 2
            inside.append(counters.admit((2,), 0))
            await released.wait()

    task = asyncio.create_task(resolving())
    await asyncio.sleep(0)
    assert inside == [0]  # the holder spends from the whole allowance
    assert counters.admit((2,), 0) > 0  # 6 spent: an ordinary call leaves the 6 held alone
    assert counters.admit((1,), 0) == 0
    released.set()
    await task
    assert counters.admit((2,), 0) == 0  # the hold ended: its room is everyone's again
