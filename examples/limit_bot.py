"""A simple limit-order bot: bid just under the market, then offer what it bought just over it.

Run it with `tradeguard run examples/limit_bot.py` (the embedded simulator, unless your
tradeguard.toml says otherwise). Each round waits a bounded time for its fills and cancels
what is left, so the bot never leaves an order behind it did not mean to.
"""

from __future__ import annotations

from decimal import Decimal

from tradeguard.model import OrderStatus

SYMBOL = "BTC/USDT"
QTY = Decimal("0.001")
ROUNDS = 3
TICK = Decimal("0.01")


async def main(tg) -> None:  # type: ignore[no-untyped-def]
    for _ in range(ROUNDS):
        last = await tg.last_price(SYMBOL)
        buy = await tg.limit_buy(SYMBOL, qty=QTY, price=last - TICK)
        try:
            buy = await tg.wait_for(buy.client_order_id, timeout_s=10)
        except TimeoutError:
            buy = await tg.cancel(buy.client_order_id)
        bought = buy.executed_qty  # what the fill messages said, partial or whole
        if bought == 0:
            continue
        last = await tg.last_price(SYMBOL)
        sell = await tg.limit_sell(SYMBOL, qty=bought, price=last + TICK)
        try:
            await tg.wait_for(sell.client_order_id, timeout_s=10)
        except TimeoutError:
            sell = await tg.cancel(sell.client_order_id)
            if sell.status is not OrderStatus.FILLED and sell.remaining_qty:
                await tg.market_sell(SYMBOL, qty=sell.remaining_qty)
