"""A simple limit-order bot: bid just under the market, then offer what it holds just over it.

Run it with `tradeguard run examples/limit_bot.py` (the embedded simulator, unless your
tradeguard.toml says otherwise). Each round waits a bounded time for its fills and cancels
what is left, so the bot never leaves an order behind it did not mean to.

It sells what it actually holds: the position tradeguard folded from the fill messages, which
is net of the commission paid in BTC (a buyer pays the fee in the asset it receives), rounded
down to the symbol's quantity step. Selling the bought quantity instead would sell a little
more than it has. It ends flat: what is left is less than one order may sell (a step, or the
exchange's minimum order value).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tradeguard.orders import Order
    from tradeguard.session.guard import Session

SYMBOL = "BTC/USDT"
QTY = Decimal("0.001")
ROUNDS = 3
TICK = Decimal("0.01")
WAIT_S = 10.0


def sellable(tg: Session, price: Decimal) -> Decimal:
    """What the bot holds and one order can sell: its position (net of fees) rounded down to the
    quantity step; 0 when that is worth less than the exchange's minimum order value."""
    rules = tg.rules["BTCUSDT"]  # the symbol's exchangeInfo filters
    held = tg.position(SYMBOL).qty  # net of fees paid in the base asset
    qty = held // rules.step_size * rules.step_size if held > 0 else Decimal(0)
    return qty if qty * price >= rules.min_notional else Decimal(0)


async def settled(tg: Session, client_order_id: str) -> Order:
    """Wait a bounded time for the order to fill; cancel what is left of it."""
    try:
        await tg.wait_for(client_order_id, timeout_s=WAIT_S)
    except TimeoutError:
        await tg.cancel(client_order_id)
    return await tg.wait_for(client_order_id, timeout_s=WAIT_S)


async def main(tg: Session) -> None:
    for _ in range(ROUNDS):
        last = await tg.last_price(SYMBOL)
        assert last is not None, "the exchange gives no last price"
        buy = await tg.limit_buy(SYMBOL, qty=QTY, price=last - TICK)
        bought = await settled(tg, buy.client_order_id)
        last = await tg.last_price(SYMBOL) or last
        held = sellable(tg, last)
        print(f"bought {bought.executed_qty} BTC, hold {held} to sell")
        if held == 0:
            continue
        sell = await tg.limit_sell(SYMBOL, qty=held, price=last + TICK)
        await settled(tg, sell.client_order_id)
        rest = sellable(tg, await tg.last_price(SYMBOL) or last)
        if rest > 0:  # the offer was not taken in time: sell the rest at the market
            sold = await tg.market_sell(SYMBOL, qty=rest)
            await tg.wait_for(sold.client_order_id, timeout_s=WAIT_S)
