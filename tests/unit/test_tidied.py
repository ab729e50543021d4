"""The session's remembered tidy (session/reads.tidied) writes every amount as text.tidy does,
whatever form an equal value was first met in."""

from __future__ import annotations

from decimal import Decimal

from tradeguard.session import reads
from tradeguard.text import tidy

FORMS = ["0.00100000", "0.001", "1E+2", "100.00", "100", "-49.8000166000000000", "0E-8", "0",
         "-0", "-0E-3", "60000.00000000", "6E+4"]  # fmt: skip


def test_tidied_writes_each_amount_as_tidy_does_in_any_order() -> None:
    for forms in (FORMS, FORMS[::-1]):
        reads._TIDIED.clear()
        for text in forms * 2:
            value = Decimal(text)
            assert str(reads.tidied(value)) == str(tidy(value)), text


def test_tidied_forgets_rather_than_grows() -> None:
    reads._TIDIED.clear()
    for n in range(1, reads._TIDIED_MAX + 10):
        assert str(reads.tidied(Decimal(f"{n}.000"))) == str(n)
    assert len(reads._TIDIED) <= reads._TIDIED_MAX


def test_an_order_comes_back_with_every_amount_tidied_its_fills_too() -> None:
    # tidy_order names the Order's amounts one by one: a Decimal field added to Order and not
    # to it would reach the bot padded. Every field holds a padded amount here.
    import msgspec

    from tradeguard.events import OrderFilled
    from tradeguard.model import OrderStatus, OrderType, Side
    from tradeguard.orders import Order

    padded = Decimal("0.00100000")
    fill = OrderFilled(
        at_ms=1, profile="p", client_order_id="c", symbol="BTCUSDT", base_asset="BTC",
        quote_asset="USDT", trade_id=1, order_id=1, side=Side.BUY,
        price=Decimal("60000.00000000"), qty=padded, commission=Decimal("0E-8"),
        commission_asset="BNB", is_maker=False,
    )  # fmt: skip
    decimals = {f.name: padded for f in msgspec.structs.fields(Order) if "Decimal" in str(f.type)}
    order = Order(
        client_order_id="c", symbol="BTCUSDT", side=Side.BUY, type=OrderType.LIMIT,
        status=OrderStatus.FILLED, fills=(fill,), **decimals,  # type: ignore[arg-type]
    )  # fmt: skip
    tidied = reads.tidy_order(order)
    assert tidied == reads.tidy_struct(order, fills=(reads.tidy_struct(fill),))
    for name in decimals:
        assert str(getattr(tidied, name)) == "0.001", name
    assert str(tidied.fills[0].price) == "60000" and str(tidied.fills[0].commission) == "0"
