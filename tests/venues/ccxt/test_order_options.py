"""Order options on Bybit, OKX and Kraken through `tradeguard.connect`: each option a venue
offers is placed on its dialect and seen there as the venue holds it (type, trigger, flags),
and its fills are booked; each one it lacks is refused with the reason before anything is
journaled."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytest.importorskip("ccxt")

from tests.venues.ccxt.conftest import journal
from tradeguard.errors import GuardError, RiskDenied
from tradeguard.events import OrderFilled, OrderIntended, ReplyReceived
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim.records import SimOrder

VENUES = ["bybit", "okx", "kraken"]
ACCOUNT = "main"
SYMBOL = "BTCUSDT"


def _held(tg: Session, client_order_id: str) -> SimOrder:
    """The order as the venue's dialect holds it (under the venue's spelling of the id)."""
    venue_id = tg.transport.adapter.client_id(client_order_id)  # type: ignore[attr-defined]
    return tg.sim.sim.engine.get_order(ACCOUNT, SYMBOL, None, venue_id)  # type: ignore[union-attr]


def _move_price(tg: Session, price: Decimal) -> None:
    sim = tg.sim.sim  # type: ignore[union-attr]
    sim.engine.set_price(SYMBOL, price, sim.clock.now_ms())


async def _last(tg: Session) -> Decimal:
    return await tg.transport.last_price(SYMBOL)


def _at(last: Decimal, factor: str) -> Decimal:
    return (last * Decimal(factor)).quantize(Decimal(1))


async def _booked(tg: Session, coid: str, qty: str) -> None:
    done = await tg.wait_for(coid, timeout_s=20)
    assert done.status is OrderStatus.FILLED
    assert done.executed_qty == Decimal(qty) and done.missing_qty == 0
    fills = [e for e in journal(tg) if isinstance(e, OrderFilled) and e.client_order_id == coid]
    assert fills and len({f.trade_id for f in fills}) == len(fills)


@pytest.mark.parametrize("limit", [False, True], ids=["market", "limit"])
async def test_a_stop_loss_rests_as_the_venues_stop_and_its_fill_is_booked(
    tg: Session, limit: bool
) -> None:
    last = await _last(tg)
    stop, price = _at(last, "0.95"), _at(last, "0.94")
    order = await tg.stop_loss(
        "BTC/USDT", "SELL", qty="0.001", stop_price=stop, price=price if limit else None
    )
    assert order.status is OrderStatus.NEW
    held = _held(tg, order.client_order_id)
    assert held.type == ("STOP_LOSS_LIMIT" if limit else "STOP_LOSS")
    assert held.stop_price == stop and held.orig_qty == Decimal("0.001")
    if limit:
        assert held.price == price
    _move_price(tg, _at(last, "0.945"))  # through the trigger, above the limit
    await _booked(tg, order.client_order_id, "0.001")


@pytest.mark.parametrize("limit", [False, True], ids=["market", "limit"])
async def test_a_take_profit_rests_as_the_venues_take_profit_and_its_fill_is_booked(
    tg: Session, limit: bool
) -> None:
    last = await _last(tg)
    trigger, price = _at(last, "1.05"), _at(last, "1.04")
    order = await tg.take_profit(
        "BTC/USDT", "SELL", qty="0.001", stop_price=trigger, price=price if limit else None
    )
    held = _held(tg, order.client_order_id)
    assert held.type == ("TAKE_PROFIT_LIMIT" if limit else "TAKE_PROFIT")
    assert held.stop_price == trigger
    _move_price(tg, _at(last, "1.06"))
    await _booked(tg, order.client_order_id, "0.001")


async def test_a_post_only_order_rests_as_a_maker_only_order(tg: Session) -> None:
    last = await _last(tg)
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=_at(last, "0.99"), post_only=True)
    assert order.status is OrderStatus.NEW
    assert _held(tg, order.client_order_id).type == "LIMIT_MAKER"
    _move_price(tg, _at(last, "0.98"))  # the market comes down through it: filled as maker
    await _booked(tg, order.client_order_id, "0.001")
    fills = [e for e in journal(tg) if isinstance(e, OrderFilled)]
    assert all(f.is_maker for f in fills if f.client_order_id == order.client_order_id)


async def test_an_ioc_order_fills_what_it_can_and_is_held_as_ioc(tg: Session) -> None:
    last = await _last(tg)
    order = await tg.limit_buy(
        "BTC/USDT", qty="0.001", price=_at(last, "1.01"), time_in_force="IOC"
    )
    assert _held(tg, order.client_order_id).time_in_force == "IOC"
    await _booked(tg, order.client_order_id, "0.001")


async def test_fok_is_placed_where_the_venue_has_it_and_refused_before_journaling_elsewhere(
    tg: Session,
) -> None:
    last = await _last(tg)
    before = len(journal(tg))
    if tg.venue == "kraken":
        assert not tg.supports("fok")
        with pytest.raises(GuardError, match=r"not sent: .*FOK.* kraken"):
            await tg.limit_buy(
                "BTC/USDT", qty="0.001", price=_at(last, "1.01"), time_in_force="FOK"
            )
        assert not [e for e in journal(tg)[before:] if isinstance(e, OrderIntended)]
        return
    order = await tg.limit_buy(
        "BTC/USDT", qty="0.001", price=_at(last, "1.01"), time_in_force="FOK"
    )
    assert _held(tg, order.client_order_id).time_in_force == "FOK"
    await _booked(tg, order.client_order_id, "0.001")


async def test_an_iceberg_shows_only_its_visible_part_where_offered(tg: Session) -> None:
    last = await _last(tg)
    before = len(journal(tg))
    if tg.venue == "bybit":
        assert not tg.supports("iceberg")
        with pytest.raises(GuardError, match="not sent: an iceberg_qty needs iceberg orders"):
            await tg.limit_buy(
                "BTC/USDT", qty="0.0015", price=_at(last, "0.99"), iceberg_qty="0.0005"
            )
        assert not [e for e in journal(tg)[before:] if isinstance(e, OrderIntended)]
        return
    order = await tg.limit_buy(
        "BTC/USDT", qty="0.0015", price=_at(last, "0.99"), iceberg_qty="0.0005"
    )
    held = _held(tg, order.client_order_id)
    assert held.iceberg_qty == Decimal("0.0005") and held.orig_qty == Decimal("0.0015")
    assert held.price == _at(last, "0.99")
    _move_price(tg, _at(last, "0.98"))
    await _booked(tg, order.client_order_id, "0.0015")


@pytest.mark.parametrize("option", ["hidden", "reduce_only"])
async def test_hidden_and_reduce_only_are_refused_on_spot_before_journaling(
    tg: Session, option: str
) -> None:
    last = await _last(tg)
    before = len(journal(tg))
    with pytest.raises(RiskDenied, match=option):
        await tg.limit_buy("BTC/USDT", qty="0.001", price=_at(last, "0.99"), **{option: True})
    assert not [e for e in journal(tg)[before:] if isinstance(e, OrderIntended)]


async def test_resting_stops_and_icebergs_are_listed_among_the_open_orders(tg: Session) -> None:
    last = await _last(tg)
    stop = await tg.stop_loss("BTC/USDT", "SELL", qty="0.001", stop_price=_at(last, "0.95"))
    plain = await tg.limit_buy("BTC/USDT", qty="0.001", price=_at(last, "0.98"))
    listed = {o.client_order_id: o for o in await tg.transport.open_orders(SYMBOL)}
    assert {stop.client_order_id, plain.client_order_id} <= set(listed)
    assert listed[stop.client_order_id].stop_price == _at(last, "0.95")
    assert listed[plain.client_order_id].stop_price is None


async def test_a_resting_stop_is_cancelled(tg: Session) -> None:
    last = await _last(tg)
    order = await tg.stop_loss("BTC/USDT", "SELL", qty="0.001", stop_price=_at(last, "0.95"))
    await tg.cancel(order.client_order_id)
    done = await tg.wait_for(order.client_order_id, timeout_s=20)
    assert done.status is OrderStatus.CANCELED
    assert _held(tg, order.client_order_id).status == "CANCELED"


@pytest.mark.parametrize(
    ("kind", "factor", "limit"),
    [
        ("STOP_LOSS", "0.95", False),
        ("STOP_LOSS_LIMIT", "0.95", True),
        ("TAKE_PROFIT", "1.05", False),
        ("TAKE_PROFIT_LIMIT", "1.05", True),
    ],
)
async def test_a_resting_stop_or_take_profit_reads_back_as_its_own_kind(
    tg: Session, kind: str, factor: str, limit: bool
) -> None:
    last = await _last(tg)
    place = tg.take_profit if kind.startswith("TAKE_PROFIT") else tg.stop_loss
    trigger = _at(last, factor)
    order = await place(
        "BTC/USDT", "SELL", qty="0.001", stop_price=trigger, price=trigger if limit else None
    )
    read = await tg.transport.get_order(SYMBOL, client_order_id=order.client_order_id)
    listed = {o.client_order_id: o for o in await tg.transport.open_orders(SYMBOL)}
    assert read.type.value == kind and read.stop_price == trigger
    assert listed[order.client_order_id].type.value == kind


@pytest.mark.parametrize("tg", ["okx"], indirect=True)
async def test_an_okx_stop_is_an_algo_order_placed_read_and_cancelled_at_the_algo_endpoints(
    tg: Session,
) -> None:
    last = await _last(tg)
    before = len(journal(tg))
    order = await tg.take_profit("BTC/USDT", "SELL", qty="0.001", stop_price=_at(last, "1.05"))
    await tg.transport.get_order(SYMBOL, order_id=order.order_id)
    await tg.cancel(order.client_order_id)
    done = await tg.wait_for(order.client_order_id, timeout_s=20)
    assert done.status is OrderStatus.CANCELED
    paths = [(e.method, e.path) for e in journal(tg)[before:] if isinstance(e, ReplyReceived)]
    assert ("POST", "/api/v5/trade/order-algo") in paths
    assert ("GET", "/api/v5/trade/order-algo") in paths
    assert ("POST", "/api/v5/trade/cancel-algos") in paths
    # where the order is known to be an algo order, never first at the regular endpoints
    assert ("POST", "/api/v5/trade/cancel-order") not in paths
    assert ("GET", "/api/v5/trade/order") not in paths


async def test_a_triggered_stop_reads_back_as_the_order_it_placed(tg: Session) -> None:
    last = await _last(tg)
    order = await tg.stop_loss("BTC/USDT", "SELL", qty="0.001", stop_price=_at(last, "0.95"))
    _move_price(tg, _at(last, "0.945"))
    await _booked(tg, order.client_order_id, "0.001")
    by_client = await tg.transport.get_order(SYMBOL, client_order_id=order.client_order_id)
    by_id = await tg.transport.get_order(SYMBOL, order_id=order.order_id)
    for read in (by_client, by_id):
        assert (read.order_id, read.status) == (order.order_id, OrderStatus.FILLED)
        assert read.executed_qty == Decimal("0.001")
