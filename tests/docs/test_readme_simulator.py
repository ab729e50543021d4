"""README's "The simulator" section holds what the simulator says of itself: the start line it
shows has the fields the real one has, and the built-in keys it lists are the ones there are.
(Its other sentences are tested where the code is: the start line and serving until SIGTERM in
tests/sim/server/test_main.py, the keys' configurations in tests/unit/test_keys.py, the
streams in tests/sim/server/test_streams_market.py, the control API in
tests/sim/server/test_control.py, the unmodified clients in tests/realclients and
tests/thirdparty.)"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tradeguard.sim import server
from tradeguard.sim.config import SimConfig

README = Path(__file__).resolve().parents[2] / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## The simulator") :]
    return section[: section.index("\n## ", 4)]


@pytest.fixture
async def running() -> AsyncIterator[Any]:
    sim = await server.start(SimConfig.default(seed=7))
    try:
        yield sim
    finally:
        await sim.close()


async def test_the_start_line_shown_has_the_fields_of_the_real_one(running: Any) -> None:
    shown = _section().split("```json", 1)[1].split("```", 1)[0]
    top, _, key = shown.partition('"keys": [')
    real = running.announcement()
    assert set(re.findall(r'"(\w+)":', top)) | {"keys"} == set(real)
    assert set(re.findall(r'"(\w+)":', key)) == set(real["keys"][0])


async def test_the_built_in_keys_listed_are_the_ones_there_are(running: Any) -> None:
    listed = _section().split("Built-in keys", 1)[1].split("Each answers", 1)[0]
    assert re.findall(r"`([a-z0-9-]+)`", listed) == [k["name"] for k in running.key_listing]
