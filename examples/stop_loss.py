"""Protect a position with a stop-loss on the exchange: buy, then place a stop that sells what
is held if the price falls 0.5 %.

Run it with `tradeguard run examples/stop_loss.py`.

The stop rests on the exchange (a STOP_LOSS order: a market sell once the last price reaches
`stop_price`; give `price=` too for a stop-limit, `trailing_delta=` for a trailing stop). On the
embedded simulator the bot then moves the market down itself to show the stop triggering: that
step is SIMULATOR-ONLY (it uses the simulator's control API). On a real exchange it waits for
the market, and if the stop has not triggered in time, cancels it and sells at the market.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import TYPE_CHECKING

from tradeguard.model import OrderStatus

if TYPE_CHECKING:
    from tradeguard.session.guard import Session

SYMBOL = "BTC/USDT"
QTY = Decimal("0.001")
STOP_BELOW = Decimal("0.005")  # 0.5 % under the price paid
WAIT_S = 15.0


def sellable(tg: Session) -> Decimal:
    """The position (net of fees) rounded down to the quantity step."""
    step = tg.rules["BTCUSDT"].step_size
    held = tg.position(SYMBOL).qty  # net of fees paid in the base asset
    return held // step * step if held > 0 else Decimal(0)


async def simulator_only_move_price(tg: Session, price: Decimal) -> None:
    """SIMULATOR ONLY: move the embedded simulator's market to `price` through its control API.
    A real exchange's market moves by itself."""
    import aiohttp

    from tradeguard.sim.remote import SimRemote

    async with aiohttp.ClientSession() as http:
        await SimRemote(tg.sim.control_url, http).set_price("BTCUSDT", price)


async def main(tg: Session) -> None:
    buy = await tg.market_buy(SYMBOL, qty=QTY)
    bought = await tg.wait_for(buy.client_order_id, timeout_s=WAIT_S)
    paid = bought.executed_quote / bought.executed_qty
    held = sellable(tg)
    tick = tg.rules["BTCUSDT"].tick_size
    stop_price = paid * (1 - STOP_BELOW) // tick * tick
    stop = await tg.stop_loss(SYMBOL, "SELL", qty=held, stop_price=stop_price)
    print(f"bought {bought.executed_qty} BTC at {paid:.2f}; stop-loss for {held} at {stop_price}")

    if tg.sim is not None:
        await simulator_only_move_price(tg, stop_price * Decimal("0.998"))
    with contextlib.suppress(TimeoutError):
        await tg.wait_for(stop.client_order_id, OrderStatus.FILLED, timeout_s=WAIT_S)
    done = tg.order(stop.client_order_id)
    if done is not None and done.status is OrderStatus.FILLED:
        done = await tg.wait_for(stop.client_order_id, timeout_s=WAIT_S)
        price = done.executed_quote / done.executed_qty
        print(f"the stop triggered: sold {done.executed_qty} BTC at {price:.2f}")
        return
    print("the market did not reach the stop in time: cancel it and sell at the market")
    await tg.cancel(stop.client_order_id)
    rest = sellable(tg)
    if rest > 0:
        sold = await tg.market_sell(SYMBOL, qty=rest)
        await tg.wait_for(sold.client_order_id, timeout_s=WAIT_S)
