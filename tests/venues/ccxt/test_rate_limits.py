"""Rate limits on Bybit, OKX and Kraken as each venue says them, through `tradeguard.connect`:
Bybit's HTTP 403 (an IP ban of at least 10 minutes), Kraken's `EGeneral:Temporary lockout`
and OKX's 429 `50011` (a 2-second window). A ban blocks every later request, reads and
orders, until it ends; it is journaled (RateLimitChanged); an order refused during it is
`not sent` and gives back its place in the order rate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

pytest.importorskip("ccxt")

from tradeguard.errors import RateLimited
from tradeguard.events import RateLimitChanged
from tradeguard.model import OrderStatus
from tradeguard.session.connect import connect
from tradeguard.session.guard import Session
from tradeguard.sim.kraken import KrakenLimits
from tradeguard.sim.kraken import state_of as kraken_state
from tradeguard.sim.okx import state_of as okx_state

RATE = 3  # the profile's max_orders_per_minute


async def _session(venue: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Session:
    for name in ("STATE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "tradeguard.toml"
    config.write_text(
        f'[profiles.default]\nvenue = "{venue}"\nenv = "sim"\n'
        f"[profiles.default.limits]\nmax_orders_per_minute = {RATE}\n",
        encoding="utf-8",
    )
    return await connect("default", config=config)


@pytest.fixture(params=["bybit", "kraken"])
async def banned(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Session]:
    """A session whose venue has just answered a ban: Bybit a bare 403, Kraken a lockout."""
    tg = await _session(request.param, tmp_path, monkeypatch)
    sim = tg.sim.sim  # type: ignore[union-attr]
    await tg.last_price("BTCUSDT")  # known before the ban (orders are valued by it)
    try:
        if tg.venue == "bybit":
            fault = {"kind": "error", "http_status": 403, "count": 1}
            sim.add_fault(fault | {"path_prefix": "/v5/account/wallet-balance"})
        else:  # one call past a counter of 1 locks the key out
            counter = kraken_state(sim).counter
            counter.limits = KrakenLimits(max_counter=1, lockout_after=1)
            key = tg.transport.credentials.api_key  # type: ignore[union-attr]
            with pytest.raises(Exception, match="Rate limit"):
                counter.admit(key, 5, sim.clock.now_ms())
        yield tg
    finally:
        await tg.close()


def _limits(tg: Session) -> list[RateLimitChanged]:
    tg.recorder.journal.flush()
    return [e for e in tg.recorder.journal.events() if isinstance(e, RateLimitChanged)]


async def test_a_ban_blocks_reads_and_orders_until_it_ends_and_is_journaled(
    banned: Session,
) -> None:
    tg = banned
    with pytest.raises(RateLimited):
        await tg.transport.balances()
    bans = [e for e in _limits(tg) if e.limit == "ban"]
    assert bans and bans[-1].until_ms is not None
    assert bans[-1].until_ms - tg.transport.server_now_ms() > 5 * 60_000  # minutes, not a second
    sent = tg.transport.requests_sent  # type: ignore[attr-defined]
    with pytest.raises(RateLimited, match="not sent"):
        await tg.transport.balances()  # a read too
    for _ in range(RATE + 1):  # more orders than the rate allows: none counts
        with pytest.raises(RateLimited, match="not sent") as refused:
            await tg.market_buy("BTC/USDT", qty="0.001")
        coid = refused.value.client_order_id
        assert coid is not None
        assert tg.order(coid).status is OrderStatus.REJECTED  # type: ignore[union-attr]
    assert tg.transport.requests_sent == sent  # type: ignore[attr-defined]

    tg.transport.ledger.banned_until_ms = 0  # the ban ends (as its time passing would)
    if tg.venue == "kraken":
        kraken_state(tg.sim.sim).counter.reset()  # type: ignore[union-attr]
        kraken_state(tg.sim.sim).counter.limits = KrakenLimits()  # type: ignore[union-attr]
    for _ in range(RATE):  # the full rate is there: the refused orders gave their places back
        order = await tg.market_buy("BTC/USDT", qty="0.001")
        done = await tg.wait_for(order.client_order_id, timeout_s=20)
        assert done.executed_qty == Decimal("0.001")


async def test_okx_50011_pauses_for_its_window_then_the_read_goes_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tg = await _session("okx", tmp_path, monkeypatch)
    try:
        okx_state(tg.sim.sim).limiter.set_limit("GET /api/v5/account/balance", 1)  # type: ignore[union-attr]
        await tg.transport.balances()
        before = tg.transport.server_now_ms()
        balances = await tg.transport.balances()  # 429 50011 at once, then after the pause
        assert balances["USDT"].free > 0
        pauses = [e for e in _limits(tg) if e.limit == "pause" and (e.until_ms or 0) > before]
        assert pauses and pauses[-1].until_ms is not None
        first = pauses[0].until_ms
        assert first is not None and first - before >= 1_500  # OKX's 2 s window, not 1 s
        assert tg.transport.server_now_ms() >= pauses[-1].until_ms  # not before it ended
    finally:
        await tg.close()
