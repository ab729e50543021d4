"""Builders of valid journal events on any symbol, for the dashboard's tests."""

from __future__ import annotations

from decimal import Decimal

from tradeguard import events as ev
from tradeguard.model import OrderIntent, OrderType, Side, Symbol

T0 = 1_795_000_000_000


class Orders:
    """Numbered orders and fills: each `trade` is an intent and its one fill."""

    def __init__(self) -> None:
        self.n = 0

    def trade(
        self,
        side: Side,
        qty: str,
        price: str,
        *,
        pair: str = "BTC/USDT",
        fee: str = "0",
        fee_asset: str | None = None,
        maker: bool = False,
    ) -> list[ev.EventBase]:
        self.n += 1
        n = self.n
        symbol = Symbol.parse(pair)
        coid = f"tg-{n}"
        at = T0 + 10 * n
        return [
            ev.OrderIntended(
                at_ms=at,
                profile="t",
                intent=OrderIntent(
                    client_order_id=coid,
                    symbol=symbol,
                    side=side,
                    type=OrderType.LIMIT,
                    qty=Decimal(qty),
                    price=Decimal(price),
                ),
            ),
            ev.OrderFilled(
                at_ms=at + 1,
                exchange_ms=at + 1,
                profile="t",
                client_order_id=coid,
                order_id=n,
                symbol=symbol.base + symbol.quote,
                base_asset=symbol.base,
                quote_asset=symbol.quote,
                side=side,
                trade_id=n,
                price=Decimal(price),
                qty=Decimal(qty),
                commission=Decimal(fee),
                commission_asset=fee_asset,
                is_maker=maker,
            ),
        ]


def numbered(events: list[ev.EventBase], first: int = 1) -> list[tuple[int, ev.EventBase]]:
    return list(enumerate(events, first))
