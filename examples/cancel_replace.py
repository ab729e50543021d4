"""Move a resting order in one request: Binance's cancelReplace.

Run it with `tradeguard run examples/cancel_replace.py`.

`tg.cancel_replace(client_order_id, price=..., qty=..., stop_price=...)` cancels the order and
places its replacement (a new order with its own client order id, checked and journaled like any
other) in one request, and returns the replacement. Fields left out are the old order's; `qty`
defaults to what is left of it. The default mode, STOP_ON_FAILURE, places nothing if the old
order could not be cancelled (it filled meanwhile), so a replace never doubles the exposure;
`mode="ALLOW_FAILURE"` places the new order regardless.

This bot rests a post-only bid 1 % under the market, moves it to 0.5 % under, then cancels it
and ends with nothing open (and sells anything that filled meanwhile).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tradeguard.session.guard import Session

SYMBOL = "BTC/USDT"
QTY = Decimal("0.001")


def sellable(tg: Session, price: Decimal) -> Decimal:
    """The position (net of fees) rounded down to the quantity step; 0 below the minimum order
    value."""
    rules = tg.rules["BTCUSDT"]
    held = tg.position(SYMBOL).qty  # net of fees paid in the base asset
    qty = held // rules.step_size * rules.step_size if held > 0 else Decimal(0)
    return qty if qty * price >= rules.min_notional else Decimal(0)


async def main(tg: Session) -> None:
    last = await tg.last_price(SYMBOL)
    assert last is not None, "the exchange gives no last price"
    tick = tg.rules["BTCUSDT"].tick_size
    low = last * Decimal("0.99") // tick * tick
    bid = await tg.limit_buy(SYMBOL, qty=QTY, price=low, post_only=True)
    print(f"bid {bid.client_order_id}: {bid.qty} BTC at {bid.price}, {bid.status}")

    closer = last * Decimal("0.995") // tick * tick
    moved = await tg.cancel_replace(bid.client_order_id, price=closer)
    old = tg.order(bid.client_order_id)
    assert old is not None
    print(f"replaced: {old.client_order_id} is {old.status}; {moved.client_order_id} bids "
          f"{moved.qty} BTC at {moved.price}, {moved.status}")  # fmt: skip

    await tg.cancel(moved.client_order_id)
    # wait_for returns it with every fill booked, a fill that raced the cancel included
    done = await tg.wait_for(moved.client_order_id, timeout_s=10)
    print(f"cancelled {done.client_order_id}: {done.status}, {done.executed_qty} BTC filled")
    rest = sellable(tg, last)
    if rest > 0:
        sold = await tg.market_sell(SYMBOL, qty=rest)
        await tg.wait_for(sold.client_order_id, timeout_s=10)
