"""A watch_* call of a symbol the exchange does not list ends with why, as `tg.book` does,
instead of waiting forever for updates that cannot come (the stream's refusal of its
subscription used to reach no watcher)."""

from __future__ import annotations

import asyncio

import pytest

from tradeguard.errors import ConfigError
from tradeguard.session.guard import Session

UNLISTED = "DOGE/EUR"


@pytest.mark.parametrize("call", ["watch_trades", "watch_ticker", "watch_candles", "watch_book"])
async def test_a_watch_of_an_unlisted_symbol_is_refused_with_why(tg: Session, call: str) -> None:
    args = (UNLISTED, "1m") if call == "watch_candles" else (UNLISTED,)
    with pytest.raises(ConfigError, match=r"(?i)dogeeur") as refused:
        # the bound: a hang fails the test instead of stalling the suite
        await asyncio.wait_for(anext(getattr(tg, call)(*args)), 5)
    assert "refused" in str(refused.value) and refused.value.hint
    assert "\n" not in str(refused.value)


async def test_a_second_watch_of_a_book_refused_before_is_refused_at_once(tg: Session) -> None:
    with pytest.raises(ConfigError):
        await asyncio.wait_for(tg.book(UNLISTED), 5)
    with pytest.raises(ConfigError, match="no order book of DOGEEUR"):
        await asyncio.wait_for(anext(tg.watch_book(UNLISTED)), 5)
