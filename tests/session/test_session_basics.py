"""The guard end to end on the embedded simulator: intent, journal, exchange, stream, state."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradeguard.errors import ConfigError, GuardError, RiskDenied
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote


async def test_a_limit_order_fills_from_the_stream(tg: Session, remote: SimRemote) -> None:
    last = await tg.last_price("BTCUSDT")
    assert last is not None
    price = (last * Decimal("0.99")).quantize(Decimal("0.01"))
    order = await tg.limit_buy("BTC/USDT", qty="0.001", price=str(price))
    assert order.status is OrderStatus.NEW and order.order_id is not None
    await remote.fill("BTCUSDT", "0.0004", order_id=order.order_id)
    await tg.wait_for(order.client_order_id, OrderStatus.PARTIALLY_FILLED)
    await remote.fill("BTCUSDT", "0.0006", order_id=order.order_id)
    done = await tg.wait_for(order.client_order_id)
    assert done.status is OrderStatus.FILLED
    assert done.executed_qty == Decimal("0.001")
    position = tg.position("BTC/USDT")
    assert position is not None
    assert position.qty == Decimal("0.001") - sum(
        f.commission for f in done.fills if f.commission_asset == "BTC"
    )


async def test_a_fat_finger_is_denied_and_journaled(tg: Session) -> None:
    with pytest.raises(RiskDenied) as denied:
        await tg.limit_buy("BTC/USDT", qty="0.01", price="1000")
    assert any("band" in r.lower() or "PERCENT" in r for r in denied.value.reasons), (
        denied.value.reasons
    )
    assert tg.ledger.risk_denials == 1


async def test_an_order_on_a_symbol_outside_the_profile_says_how_to_add_it(tg: Session) -> None:
    """The symbol may well trade on the exchange: what is missing is the profile's `symbols`
    entry (the rules are loaded for those only), and the error says so and where to add it."""
    with pytest.raises(ConfigError) as refused:
        await tg.market_buy("ETH/USDT", qty="0.01")
    said = str(refused.value)
    assert "ETH/USDT is not among profile" in said and "BTC/USDT" in said, said
    assert "add it to `symbols`" in (refused.value.hint or ""), refused.value.hint
    assert tg.ledger.risk_denials == 1  # denied and journaled like any refusal


@pytest.mark.parametrize(
    ("call", "options", "dropped"),
    [
        ("limit_buy", {"stop_price": "58000"}, "stop_price"),
        ("limit_buy", {"client_order_id": "mine-1"}, "client_order_id"),
        ("limit_buy", {"trailing_delta": 100}, "trailing_delta"),
        ("stop_loss", {"time_in_force": "IOC"}, "time_in_force"),
        ("stop_loss", {"iceberg_qty": "0.0005"}, "iceberg_qty"),
        ("take_profit", {"post_only": True}, "post_only"),
    ],
)
async def test_an_option_the_call_does_not_take_is_refused_not_dropped(
    tg: Session, call: str, options: dict[str, object], dropped: str
) -> None:
    """An option another order call takes (stop_price is a stop's) was let through by name
    and then dropped: a limit buy "with a stop" was placed as a plain limit buy."""
    last = await tg.last_price("BTCUSDT")
    assert last is not None
    price = str((last * Decimal("0.99")).quantize(Decimal("0.01")))
    args: dict[str, object] = {"qty": "0.001", "price": price, **options}
    if call != "limit_buy":
        args = {"side": "sell", "stop_price": price, **args}
    with pytest.raises(RiskDenied) as refused:
        await getattr(tg, call)("BTC/USDT", **args)
    (reason,) = refused.value.reasons
    kind = {"limit_buy": "limit", "stop_loss": "stop-loss", "take_profit": "take-profit"}[call]
    assert reason.startswith(f"UNSUPPORTED: {dropped}: a {kind} order takes no {dropped}"), reason
    assert tg.open_orders() == []


@pytest.mark.parametrize("flag", [True, False])
async def test_a_bool_given_as_an_amount_is_refused_not_read_as_one_or_zero(
    tg: Session, flag: bool
) -> None:
    """bool is an int to Python: qty=True became a 1 BTC order (denied only by the notional
    limit, if there was one), qty=False "must be positive"; neither says the type is wrong."""
    with pytest.raises(ConfigError) as refused:
        await tg.market_buy("BTC/USDT", qty=flag)
    assert f"qty was given as {flag}, not an amount" in str(refused.value)
    assert tg.open_orders() == [] and tg.position("BTC/USDT").fills == 0


async def test_an_order_after_close_is_refused_with_how_to_trade_again(tg: Session) -> None:
    await tg.close()
    with pytest.raises(GuardError, match="closed") as refused:
        await tg.market_buy("BTC/USDT", qty="0.001")
    assert refused.value.hint is not None and "connect again" in refused.value.hint
    assert tg.open_orders() == []
