"""The session as a bot uses it (issue 12, items 2, 12, 13 and 21): what it returns must be
what a bot can act on, and every failure must name the order it is about.

- `wait_for` never reports a final status before the order's fills are booked: a bot reading
  FILLED must find the quantity and the position there (the seed's partial-fill mistake);
- an unknown outcome names its order and the session says how to await its resolution, so a
  bot written like the README's example does not just stop;
- `round="safe"`, which the refusal's hint offers, works as an order option;
- sides and times in force in any case; decimals without the wire's padding; a flat position
  is a position.
"""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.scenarios.conftest import assert_invariants, price_off
from tradeguard.errors import (
    ConfigError,
    OrderRejected,
    OutcomeUnknown,
    RiskDenied,
    TradeguardError,
    TradingHalted,
)
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote
from tradeguard.text import plain

ORDER = "/api/v3/order"
ROOT = Path(__file__).resolve().parents[2]


# ── item 2: a final status only with its fills booked ─────────────────────────────────────


async def test_wait_for_a_market_order_returns_it_with_its_fills_booked(
    tg: Session, remote: SimRemote
) -> None:
    """The reply says FILLED at once; the fills come only as fill messages, and here the
    stream is silent: wait_for asks myTrades rather than report a FILLED order with nothing."""
    await remote.add_fault({"kind": "stream_silence", "channel": "user"})
    order = await tg.market_buy("BTC/USDT", qty="0.001")
    assert order.status is OrderStatus.FILLED  # what the reply said
    done = await tg.wait_for(order.client_order_id, timeout_s=20)
    assert done.status is OrderStatus.FILLED
    assert done.executed_qty == done.qty == Decimal("0.001")
    assert done.missing_qty == 0 and done.fills
    position = tg.position("BTC/USDT")
    assert position.fills == len(done.fills)
    await remote.clear_faults()
    await assert_invariants(tg)


async def test_wait_for_an_ioc_that_fills_at_once_books_it_first(
    tg: Session, remote: SimRemote
) -> None:
    await remote.add_fault({"kind": "stream_silence", "channel": "user"})
    price = await price_off(tg, "1")
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=price, time_in_force="IOC")
    done = await tg.wait_for(order.client_order_id, timeout_s=20)
    assert done.status.is_final
    assert done.executed_qty == done.reported_qty > 0
    await remote.clear_faults()
    await assert_invariants(tg)


async def test_wait_for_an_order_the_session_never_saw_says_so(tg: Session) -> None:
    with pytest.raises(ConfigError, match="no order tg-nope"):
        await tg.wait_for("tg-nope", timeout_s=1)


# ── item 12: an order error names its order; a lost reply is awaited, not fatal ───────────


async def test_an_unknown_outcome_names_its_order_and_tg_resolved_returns_it(
    fast: Session, fast_remote: SimRemote
) -> None:
    await fast_remote.add_fault(
        {"kind": "drop_after_execute", "method": "POST", "path_prefix": ORDER, "count": 1}
    )
    with pytest.raises(OutcomeUnknown) as lost:
        await fast.market_buy("BTC/USDT", qty="0.001")
    coid = lost.value.client_order_id
    assert coid is not None and lost.value.symbol == "BTCUSDT"
    assert f'tg.resolved("{coid}")' in str(lost.value)
    order = await fast.resolved(coid, timeout_s=10)
    assert order.client_order_id == coid
    assert order.status is OrderStatus.FILLED and order.executed_qty == order.qty
    await assert_invariants(fast)


async def test_tg_resolved_on_an_order_never_placed_returns_it_rejected(
    fast: Session, fast_remote: SimRemote
) -> None:
    await fast_remote.add_fault(
        {"kind": "error", "method": "POST", "path_prefix": ORDER, "count": 1, "http_status": 503,
         "html_body": "<html>Service Unavailable</html>"}
    )  # fmt: skip
    with pytest.raises(OutcomeUnknown) as lost:
        await fast.limit_buy("BTC/USDT", qty="0.001", price=await price_off(fast, "-1"))
    assert lost.value.client_order_id is not None
    order = await fast.resolved(lost.value.client_order_id, timeout_s=10)
    assert order.status is OrderStatus.REJECTED and "not resent" in (order.reason or "")


async def _error_of(call: Any) -> TradeguardError:
    with pytest.raises(TradeguardError) as caught:
        await call
    return caught.value


async def test_every_order_error_names_the_order_and_the_symbol(
    tg: Session, remote: SimRemote
) -> None:
    refused_by_filter = await _error_of(tg.limit_buy("BTC/USDT", qty="0.0012345", price="1"))
    over_notional = await _error_of(tg.market_buy("BTC/USDT", qty="5000"))
    await remote.add_fault(
        {"kind": "error", "method": "POST", "path_prefix": ORDER, "count": 1, "http_status": 400,
         "code": -2010, "msg": "Account has insufficient balance for requested action."}
    )  # fmt: skip
    rejected = await _error_of(tg.market_buy("BTC/USDT", qty="0.001"))
    await tg.kill("test")
    halted = await _error_of(tg.market_buy("BTC/USDT", qty="0.001"))
    assert isinstance(refused_by_filter, RiskDenied)
    assert isinstance(over_notional, RiskDenied)
    assert isinstance(rejected, OrderRejected)
    assert isinstance(halted, TradingHalted)
    for error in (refused_by_filter, over_notional, rejected, halted):
        assert error.symbol == "BTCUSDT", error
        assert error.client_order_id is not None, error
        assert error.client_order_id.startswith("tg-"), error
    journaled = {o.client_order_id for o in tg.ledger.orders.values()}
    assert rejected.client_order_id in journaled


def _readme_bot() -> str:
    """The README's bot example, as written there."""
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    [bot] = [b for b in blocks if "async def main(tg)" in b]
    return bot


async def test_a_bot_written_like_the_readme_example_survives_a_lost_reply(
    fast: Session, fast_remote: SimRemote, capsys: pytest.CaptureFixture[str]
) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(_readme_bot(), "README.md", "exec"), namespace)
    await fast_remote.add_fault(
        {"kind": "drop_after_execute", "method": "POST", "path_prefix": ORDER, "count": 1}
    )
    # the example rests a post-only buy at 60000; the market sits above it, so fill it by hand
    import asyncio

    bot = asyncio.ensure_future(namespace["main"](fast))
    for _ in range(200):
        open_now = [o for o in fast.open_orders() if o.order_id is not None]
        if open_now:
            break
        await asyncio.sleep(0.05)
    [resting] = open_now
    await fast_remote.fill("BTCUSDT", "0.001", order_id=resting.order_id)
    await asyncio.wait_for(bot, 20)
    printed = capsys.readouterr().out
    assert printed.startswith("0.001 "), printed


# ── item 13: round="safe" as an order option ──────────────────────────────────────────────


async def test_round_safe_is_an_order_option_as_the_refusal_offers(tg: Session) -> None:
    refused = await _error_of(tg.limit_buy("BTC/USDT", qty="0.0012345", price="59500.123"))
    assert "round='safe'" in str(refused)
    order = await tg.limit_buy(
        "BTC/USDT", qty="0.0012345", price="59500.123", post_only=True, round="safe"
    )
    assert order.qty == Decimal("0.00123")  # quantities round down
    assert order.price == Decimal("59500.12")  # a buy's price rounds down
    sell = await tg.limit_sell(
        "BTC/USDT", qty="0.0012345", price="60500.121", post_only=True, round="SAFE"
    )
    assert (sell.qty, sell.price) == (Decimal("0.00123"), Decimal("60500.13"))  # a sell's: up
    bad = await _error_of(tg.limit_buy("BTC/USDT", qty="0.001", price="59500", round="up"))
    assert isinstance(bad, ConfigError) and "refuse" in str(bad) and "safe" in str(bad)


# ── item 21: any case, tidy decimals, flat positions ──────────────────────────────────────


async def test_sides_and_times_in_force_in_any_case(tg: Session) -> None:
    order = await tg.limit(
        "btc/usdt", "buy", qty="0.001", price=await price_off(tg, "-1"), time_in_force="gtc"
    )
    assert order.status is OrderStatus.NEW
    wrong_side = await _error_of(tg.limit("BTC/USDT", "long", qty="0.001", price="50000"))
    assert isinstance(wrong_side, ConfigError)
    assert "BUY" in str(wrong_side) and "SELL" in str(wrong_side)
    wrong_tif = await _error_of(
        tg.limit("BTC/USDT", "BUY", qty="0.001", price="50000", time_in_force="day")
    )
    assert isinstance(wrong_tif, ConfigError)
    assert all(t in str(wrong_tif) for t in ("GTC", "IOC", "FOK"))


def _tidy(value: Decimal) -> bool:
    return str(value) == plain(value)


async def test_what_the_session_returns_is_written_plainly(tg: Session) -> None:
    assert tg.position("BTC/USDT").qty == 0  # flat before any fill: a position, not None
    assert tg.position("BTC/USDT").fills == 0
    order = await tg.market_buy("BTC/USDT", qty="0.001")
    done = await tg.wait_for(order.client_order_id, timeout_s=10)
    position = tg.position("BTC/USDT")
    for value in (position.qty, position.quote, done.executed_qty, done.executed_quote,
                  done.reported_qty, *(f.price for f in done.fills),
                  *(f.commission for f in done.fills)):  # fmt: skip
        assert _tidy(value), value
    for asset in ("BTC", "USDT", "BNB"):
        held = tg.balance(asset)
        if held is not None:
            assert _tidy(held.free) and _tidy(held.locked), held
    with pytest.raises(ConfigError, match="DOGE/USDT"):
        tg.position("DOGE/USDT")


# ── tg.events(): the feed starts when it is asked for ─────────────────────────────────────


async def test_events_asked_for_before_an_order_see_that_order(tg: Session) -> None:
    """A bot takes the feed, places an order, then reads: nothing recorded in between is lost
    (the feed listens from the moment `events()` is called, not from its first read)."""
    from tradeguard.events import OrderIntended

    feed = tg.events()
    order = await tg.market_buy("BTC/USDT", qty="0.001")
    async with asyncio.timeout(10):
        async for event in feed:
            if isinstance(event, OrderIntended):
                assert event.intent.client_order_id == order.client_order_id
                break


async def test_a_feed_never_read_is_let_go(tg: Session) -> None:
    import gc

    tg.events()  # asked for and dropped at once
    gc.collect()
    assert tg.recorder.listeners == 0
