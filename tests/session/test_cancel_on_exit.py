"""Every way of closing a session honours the profile's `cancel_on_exit`: `async with
tradeguard.connect(...)`, `async with session` and `close()` without an argument; `close()`
with `cancel_open=` keeps what it was told."""

from __future__ import annotations

from decimal import Decimal

import pytest

import tradeguard
from tradeguard.events import ShutDown
from tradeguard.journal import open_journal
from tradeguard.model import OrderStatus
from tradeguard.orders import Order
from tradeguard.profile.profiles import Profile
from tradeguard.session.guard import Session


def _keep() -> Profile:
    """A profile that keeps orders open on exit (made in the test: its journal path is read
    from the environment the test isolates)."""
    return Profile(cancel_on_exit=False)


async def _rest(tg: Session) -> Order:
    last = await tg.last_price("BTC/USDT")
    assert last is not None
    price = (last * Decimal("0.99")).quantize(Decimal("0.01"))
    return await tg.limit_buy("BTC/USDT", qty="0.001", price=price)


def _shutdown(tg: Session) -> ShutDown:
    """The ShutDown the session recorded (its journal is closed by now: read it again)."""
    with open_journal(tg.recorder.journal.location, profile=tg.profile) as journal:
        (shut,) = [e for e in journal.events() if isinstance(e, ShutDown)]
    return shut


def _status(tg: Session, order: Order) -> OrderStatus:
    found = tg.order(order.client_order_id)
    assert found is not None
    return found.status


async def test_async_with_connect_leaves_orders_open_when_the_profile_says_so() -> None:
    async with tradeguard.connect(_keep()) as tg:
        resting = await _rest(tg)
    assert _status(tg, resting) is OrderStatus.NEW
    assert _shutdown(tg).open_orders == 1
    assert tg.sim.engine.open_orders("main", "BTCUSDT")  # the exchange still holds it


async def test_async_with_session_leaves_orders_open_when_the_profile_says_so() -> None:
    tg = await tradeguard.connect(_keep())
    async with tg:
        resting = await _rest(tg)
    assert _status(tg, resting) is OrderStatus.NEW


async def test_close_without_an_argument_follows_the_profile() -> None:
    tg = await tradeguard.connect(_keep())
    resting = await _rest(tg)
    await tg.close()
    assert _status(tg, resting) is OrderStatus.NEW


async def test_an_explicit_close_keeps_its_argument() -> None:
    tg = await tradeguard.connect(_keep())
    resting = await _rest(tg)
    await tg.close(cancel_open=True)
    assert _status(tg, resting) is OrderStatus.CANCELED


async def test_the_default_profile_cancels_on_the_way_out() -> None:
    async with tradeguard.connect() as tg:
        resting = await _rest(tg)
    assert _status(tg, resting) is OrderStatus.CANCELED
    assert _shutdown(tg).open_orders == 0


async def test_the_exception_that_ends_the_block_is_the_shutdown_reason() -> None:
    with pytest.raises(ValueError, match="the strategy gave up"):
        async with tradeguard.connect() as tg:
            raise ValueError("the strategy gave up")
    shut = _shutdown(tg)
    assert shut.reason == "raised ValueError: the strategy gave up"
