"""What counts as sent, and what a refusal says it is (issue 12, items 7-9).

- An order refused here before it left (a ban still running, nothing sent) takes no place in
  the profile's `max_orders_per_minute`: after the ban the bot may send its full rate.
- -1021 means the exchange refused the request's timestamp before matching: the order was not
  placed, so after re-syncing the clock it is sent once more (same client order id, so even a
  fluke cannot place it twice); a second -1021 fails clearly.
- A refusal tradeguard makes itself never reads like an exchange's answer.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from tests.scenarios.conftest import FAST, PROFILE, Connect, assert_invariants
from tradeguard.errors import ClockSkewError, RateLimited
from tradeguard.events import ClockSynced
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim import server
from tradeguard.sim.remote import SimRemote

ORDER = "/api/v3/order"

RATE_PROFILE = PROFILE + "max_orders_per_minute = 3\n"  # the bot profile, 3 orders a minute


async def _posts(remote: SimRemote) -> int:
    return int((await remote.requests())["requests"].get(f"POST {ORDER}", 0))


async def test_orders_refused_during_a_ban_do_not_count_toward_the_order_rate(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote, tmp_path: Path
) -> None:
    (tmp_path / "tradeguard.toml").write_text(
        RATE_PROFILE.format(venue="binance", base_url=exchange.base_url, passphrase="")
    )
    tg = await sessions("bot", **FAST)
    await control.add_fault(
        {"kind": "error", "method": "POST", "path_prefix": ORDER, "count": 1, "http_status": 418,
         "code": -1003, "msg": "Way too many requests; IP banned.", "retry_after_s": 1}
    )  # fmt: skip
    with pytest.raises(RateLimited) as banned:
        await tg.market_buy("BTC/USDT", qty="0.0001")  # this one reached the exchange
    assert not banned.value.local
    before = await _posts(control)
    for _ in range(5):  # refused here: nothing leaves during the ban
        with pytest.raises(RateLimited) as refused:
            await tg.market_buy("BTC/USDT", qty="0.0001")
        assert refused.value.local
    assert await _posts(control) == before
    assert banned.value.banned_until_ms is not None
    left_s = (banned.value.banned_until_ms - tg.transport.server_now_ms()) / 1000
    await asyncio.sleep(max(0.0, left_s) + 0.05)  # the ban is 1 s on the exchange's clock
    # one request reached the exchange in this minute; two more fit the 3 a minute
    for _ in range(2):
        done = await tg.market_buy("BTC/USDT", qty="0.0001")
        assert done.status is OrderStatus.FILLED
    await assert_invariants(tg, exchange, initial=dict(exchange.sim.config.balances["main"]))


CAP_PROFILE = (
    PROFILE
    + """
[profiles.bot.stages.testnet]
max_order_notional = "20"
daily_notional = "30"
"""
)


async def test_orders_refused_during_a_ban_take_nothing_of_the_rungs_daily_cap(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote, tmp_path: Path
) -> None:
    """The rung's daily cap counts what was sent: orders refused here during a ban leave it
    whole, so the bot trades its day's worth after the ban."""
    (tmp_path / "tradeguard.toml").write_text(
        CAP_PROFILE.format(venue="binance", base_url=exchange.base_url, passphrase="")
    )
    tg = await sessions("bot", **FAST)
    await control.add_fault(
        {"kind": "error", "method": "POST", "path_prefix": ORDER, "count": 1, "http_status": 418,
         "code": -1003, "msg": "Way too many requests; IP banned.", "retry_after_s": 1}
    )  # fmt: skip
    with pytest.raises(RateLimited) as banned:
        await tg.market_buy("BTC/USDT", qty="0.0002")  # about 12: it reached the exchange
    for _ in range(3):  # refused here: 36 more would pass the day's 30
        with pytest.raises(RateLimited):
            await tg.market_buy("BTC/USDT", qty="0.0002")
    assert banned.value.banned_until_ms is not None
    left_s = (banned.value.banned_until_ms - tg.transport.server_now_ms()) / 1000
    await asyncio.sleep(max(0.0, left_s) + 0.05)  # the ban is 1 s on the exchange's clock
    done = await tg.market_buy("BTC/USDT", qty="0.0002")  # about 24 of the day's 30
    assert done.status is OrderStatus.FILLED


async def test_a_local_ban_refusal_says_not_sent_and_names_no_exchange_answer(
    sessions: Connect, exchange: server.RunningSim, control: SimRemote
) -> None:
    tg = await sessions("bot", **FAST)
    await control.add_fault(
        {"kind": "error", "method": "POST", "path_prefix": ORDER, "count": 1, "http_status": 418,
         "code": -1003, "msg": "Way too many requests; IP banned.", "retry_after_s": 60}
    )  # fmt: skip
    with pytest.raises(RateLimited):
        await tg.market_buy("BTC/USDT", qty="0.0001")
    with pytest.raises(RateLimited) as refused:
        await tg.market_buy("BTC/USDT", qty="0.0001")
    text = str(refused.value)
    assert text.startswith("not sent: "), text
    assert "exchange error" not in text and "HTTP" not in text and "None" not in text, text
    assert "banned" in text


def test_a_local_clock_refusal_reads_as_this_hosts_clock() -> None:
    from tradeguard.net.clocksync import Estimate, SkewPolicy

    with pytest.raises(ClockSkewError) as skewed:
        SkewPolicy(max_skew_ms=1000).check(
            Estimate(anchor_monotonic=0.0, anchor_server_ms=0, skew_ms=9000.0, rtt_ms=1.0,
                     samples_used=3)
        )  # fmt: skip
    text = str(skewed.value)
    assert skewed.value.local
    assert text.startswith("not sent: this host's clock is 9.0 s behind"), text
    assert "exchange error" not in text and "None" not in text


def test_an_exchange_answer_still_reads_as_one() -> None:
    answered = ClockSkewError(-1021, "Timestamp for this request is outside of the recvWindow.",
                              400)  # fmt: skip
    assert str(answered).startswith("exchange error -1021 (HTTP 400): Timestamp")
    assert not answered.local


async def test_after_a_clock_move_the_refused_order_is_resynced_and_sent_once_more(
    fast: Session, fast_remote: SimRemote
) -> None:
    synced_before = sum(1 for _ in _clock_syncs(fast))
    await fast_remote.clock(offset_ms=-2500)  # the exchange's clock steps back 2.5 s
    await fast_remote.reset_requests()
    order = await fast.market_buy("BTC/USDT", qty="0.0001")
    assert order.status is OrderStatus.FILLED
    assert await _posts(fast_remote) == 2  # refused with -1021, then placed
    placed = Counter(o.client_order_id for o in fast.sim.engine.all_orders("main", "BTCUSDT"))
    assert placed[order.client_order_id] == 1
    assert sum(1 for _ in _clock_syncs(fast)) > synced_before  # the re-sync is journaled
    await assert_invariants(fast)


async def test_a_second_minus_1021_after_the_resync_fails_clearly_and_places_nothing(
    fast: Session, fast_remote: SimRemote
) -> None:
    await fast_remote.add_fault(
        {"kind": "error", "method": "POST", "path_prefix": ORDER, "count": 2, "http_status": 400,
         "code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}
    )  # fmt: skip
    with pytest.raises(ClockSkewError) as twice:
        await fast.market_buy("BTC/USDT", qty="0.0001")
    assert "-1021" in str(twice.value) and "not placed" in str(twice.value)
    [order] = fast.ledger.orders.values()
    assert order.status is OrderStatus.REJECTED
    assert await _posts(fast_remote) == 2
    await fast_remote.clear_faults()
    await assert_invariants(fast)


def _clock_syncs(tg: Session) -> list[ClockSynced]:
    return [e for e in tg.recorder.journal.events() if isinstance(e, ClockSynced)]
