"""A bracket (Binance's OCO): after a buy, one order list that takes profit above the market and
stops the loss below it; when one leg fills, the exchange cancels the other.

Run it with `tradeguard run examples/bracket.py`.

`tg.bracket(symbol, "SELL", qty=..., take_profit=..., stop=..., stop_limit=...)` places both legs
in one request, each checked and journaled like any order: a post-only limit at `take_profit`
and a stop at `stop` (a stop-limit at `stop_limit` when given). It returns both legs. On the
embedded simulator the bot then moves the market up through the take-profit itself: that step
is SIMULATOR-ONLY (the simulator's control API). On a real exchange it waits for the market, and
if neither leg has filled in time, cancels the bracket and sells at the market.
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
    await tg.wait_for(buy.client_order_id, timeout_s=WAIT_S)
    held = sellable(tg)
    last = await tg.last_price(SYMBOL)
    assert last is not None, "the exchange gives no last price"
    tick = tg.rules["BTCUSDT"].tick_size

    def price(ratio: str) -> Decimal:
        return last * Decimal(ratio) // tick * tick

    take, stop = await tg.bracket(
        SYMBOL,
        "SELL",
        qty=held,
        take_profit=price("1.003"),  # 0.3 % up: a post-only limit sell
        stop=price("0.997"),  # 0.3 % down: the stop triggers here ...
        stop_limit=price("0.9965"),  # ... and offers at this limit
    )
    print(f"bracket on {held} BTC: take profit at {take.price}, stop at {price('0.997')}")

    if tg.sim is not None:
        await simulator_only_move_price(tg, price("1.004"))
    with contextlib.suppress(TimeoutError):
        await tg.wait_for(take.client_order_id, timeout_s=WAIT_S)
    legs = [tg.order(leg.client_order_id) for leg in (take, stop)]
    filled = [leg for leg in legs if leg is not None and leg.status is OrderStatus.FILLED]
    if filled:
        leg = await tg.wait_for(filled[0].client_order_id, timeout_s=WAIT_S)
        took_profit = leg.client_order_id == take.client_order_id
        other = await tg.wait_for((stop if took_profit else take).client_order_id)
        name = "the take-profit" if took_profit else "the stop"
        print(f"{name} filled {leg.executed_qty} BTC; the other leg is {other.status}")
        return
    print("neither leg filled in time: cancel the bracket and sell at the market")
    for leg in (take, stop):
        found = tg.order(leg.client_order_id)
        if found is not None and found.is_open:
            await tg.cancel(leg.client_order_id)
    rest = sellable(tg)
    if rest > 0:
        sold = await tg.market_sell(SYMBOL, qty=rest)
        await tg.wait_for(sold.client_order_id, timeout_s=WAIT_S)
