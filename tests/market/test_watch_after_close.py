"""A watch_* call on a closed session says so at once: it neither waits forever for updates
that cannot come nor subscribes under an empty stream name (where a watch of trades and one of
the ticker would share one handler)."""

from __future__ import annotations

import asyncio

import pytest

from tradeguard.errors import GuardError
from tradeguard.session.guard import Session

from .conftest import SYMBOL


@pytest.mark.parametrize("call", ["watch_trades", "watch_ticker", "watch_candles", "watch_book"])
async def test_a_watch_on_a_closed_session_is_refused_with_why(tg: Session, call: str) -> None:
    await tg.ticker(SYMBOL)  # the market keeper and its stream are up
    await tg.close()
    args = (SYMBOL, "1m") if call == "watch_candles" else (SYMBOL,)
    with pytest.raises(GuardError, match="closed") as refused:
        # the bound: a hang fails the test instead of stalling the suite
        await asyncio.wait_for(anext(getattr(tg, call)(*args)), 5)
    assert refused.value.hint
    assert "" not in tg._market.stream.names  # type: ignore[union-attr]


@pytest.mark.parametrize("call", ["ticker", "book", "candles", "trades"])
async def test_a_read_on_a_closed_session_is_refused_with_why(tg: Session, call: str) -> None:
    """Not sent as a request that fails like a network fault ("could not connect; check the
    network")."""
    await tg.ticker(SYMBOL)
    await tg.close()
    args = (SYMBOL, "1m") if call == "candles" else (SYMBOL,)
    with pytest.raises(GuardError, match="closed") as refused:
        await asyncio.wait_for(getattr(tg, call)(*args), 5)
    assert refused.value.hint and "connect again" in refused.value.hint
    assert tg.market_stats().requests == 1  # the ticker before the close, nothing after


async def test_market_data_first_asked_after_the_close_opens_no_stream(tg: Session) -> None:
    await tg.close()
    with pytest.raises(GuardError, match="closed"):
        tg.watch_book(SYMBOL)
    with pytest.raises(GuardError, match="closed"):
        await tg.book(SYMBOL)
    assert tg._market is None  # no keeper, no market stream left open
