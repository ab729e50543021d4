"""POST /api/v3/order's parameters are written out by hand (every order builds them); they are
the pairs the generic builder gives, in its order, for every combination of options."""

from __future__ import annotations

import itertools
from decimal import Decimal

from tradeguard.model import OrderType, Side, TimeInForce
from tradeguard.venues.binance import endpoints


def test_new_order_params_are_the_generic_builders_for_every_option_set() -> None:
    options = itertools.product(
        [None, Decimal("0.00100")], [None, Decimal("50")], [None, Decimal("60000.10")],
        [None, TimeInForce.IOC], [None, Decimal("1E+2")], [None, 100], [None, Decimal("0.0002")],
    )  # fmt: skip
    for qty, quote, price, tif, stop, trailing, iceberg in options:
        order = endpoints.NewOrder(
            "BTCUSDT", Side.SELL, OrderType.LIMIT, "tg-x-1", quantity=qty, quote_order_qty=quote,
            price=price, time_in_force=tif, stop_price=stop, trailing_delta=trailing,
            iceberg_qty=iceberg,
        )  # fmt: skip
        generic = endpoints._params(
            symbol=order.symbol, side=order.side.value, type=order.type.value,
            timeInForce=order.time_in_force.value if order.time_in_force else None,
            quantity=order.quantity, quoteOrderQty=order.quote_order_qty, price=order.price,
            stopPrice=order.stop_price, trailingDelta=order.trailing_delta,
            icebergQty=order.iceberg_qty, newClientOrderId=order.client_order_id,
            newOrderRespType=order.resp_type,
        )  # fmt: skip
        assert endpoints.new_order(order).params == generic
        assert endpoints.new_order(order, test=True).params == generic
