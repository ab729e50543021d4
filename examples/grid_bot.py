"""A small grid bot with a bracket: bids stepped under the market (stepped again under it, up to
ROUNDS times, when the market rises away from them), and once some fill, an OCO bracket (a
take-profit above, a stop-loss below) on exactly what was bought, net of fees.

Run it with `tradeguard run examples/grid_bot.py` (`--venue bybit|okx|kraken` for another
venue's simulator). It uses the fills tradeguard booked from fill messages (never the order
replies), sizes its protective orders to the real position, and leaves nothing open when it
ends. Where the venue has no OCO (`tg.supports("oco")` is false: Bybit, OKX and Kraken spot),
the take-profit rests on the exchange alone and the bot watches the stop itself: a stop resting
beside it would need the same coins the take-profit already holds.
"""

from __future__ import annotations

import asyncio
import contextlib
from decimal import ROUND_DOWN, Decimal

SYMBOL = "BTC/USDT"
LEVELS = 3
STEP = Decimal("0.0002")  # 2 bp between grid levels
QTY = Decimal("0.0005")
LOT = Decimal("0.00001")
ROUNDS = 4  # grids placed at most, each under the price of its time
ROUND_S = 10  # how long a grid waits for its top bid


def net_bought(orders) -> Decimal:  # type: ignore[no-untyped-def]
    """Base asset received: fill quantities minus commission paid in the base asset."""
    total = Decimal(0)
    for order in orders:
        for fill in order.fills:
            fee = fill.commission if fill.commission_asset == "BTC" else Decimal(0)
            total += fill.qty - fee
    return total.quantize(LOT, rounding=ROUND_DOWN)


async def main(tg) -> None:  # type: ignore[no-untyped-def]
    bids = []  # every bid of every round: a cancelled one may have filled in part
    for _ in range(ROUNDS):
        grid = await place_grid(tg)
        bids += grid
        # let the market trade against the grid: until its top bid fills (at most ROUND_S),
        # then a little longer for the levels under it
        with contextlib.suppress(TimeoutError):
            await tg.wait_for(grid[0].client_order_id, timeout_s=ROUND_S)
        if tg.order(grid[0].client_order_id).executed_qty > 0:
            await asyncio.sleep(2)
        for bid in grid:
            if tg.order(bid.client_order_id).is_open:
                await tg.cancel(bid.client_order_id)
        if net_bought(tg.order(b.client_order_id) for b in bids) > 0:
            break  # else the market moved away: the next round steps the grid under it
    held = net_bought(tg.order(b.client_order_id) for b in bids)
    if held == 0:
        return
    last = await tg.last_price(SYMBOL)
    take_profit = (last * Decimal("1.0005")).quantize(Decimal("0.01"))
    stop = (last * Decimal("0.999")).quantize(Decimal("0.01"))
    if tg.supports("oco"):
        legs = await tg.bracket(
            SYMBOL,
            "SELL",
            qty=held,
            take_profit=take_profit,
            stop=stop,
            stop_limit=(last * Decimal("0.9985")).quantize(Decimal("0.01")),
        )
        with contextlib.suppress(TimeoutError):  # neither leg done in time: cancel both below
            await tg.wait_for(legs[0].client_order_id, timeout_s=8)
    else:
        legs = [await tg.limit_sell(SYMBOL, qty=held, price=take_profit)]
        await take_profit_or_stop(tg, legs[0].client_order_id, stop, timeout_s=8)
    for leg in legs:
        if tg.order(leg.client_order_id).is_open:
            await tg.cancel(leg.client_order_id)
    sold = sum(tg.order(leg.client_order_id).executed_qty for leg in legs)
    unsold = (held - sold).quantize(LOT, rounding=ROUND_DOWN)
    if unsold > 0:  # the stop was hit, or the take-profit was not reached in time
        await tg.market_sell(SYMBOL, qty=unsold)


async def place_grid(tg):  # type: ignore[no-untyped-def]
    """LEVELS bids stepped under the last price, the top one a cent under it."""
    last = await tg.last_price(SYMBOL)
    bids = []
    for level in range(LEVELS):
        price = (last * (1 - STEP * level)).quantize(Decimal("0.01")) - Decimal("0.01")
        bids.append(await tg.limit_buy(SYMBOL, qty=QTY, price=price))
    return bids


async def take_profit_or_stop(tg, take: str, stop: Decimal, timeout_s: float) -> None:  # type: ignore[no-untyped-def]
    """Until the take-profit is done, the price falls to the stop, or time is up."""
    for _ in range(int(timeout_s / 0.5)):
        with contextlib.suppress(TimeoutError):
            await tg.wait_for(take, timeout_s=0.5)
            return
        last = await tg.last_price(SYMBOL)
        if last is not None and last <= stop:
            return
