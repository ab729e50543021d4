"""A small market maker: quote a bid and an offer at the top of the local order book, post-only.

Run it with `tradeguard run examples/market_maker.py`.

Each round reads the book from the session (`tg.book`: kept from the depth stream, so reading it
sends no request), joins the best bid with a buy and, once it holds something, the best offer
with a sell of what it holds (its position net of fees, rounded down to the step). Both are
post-only (LIMIT_MAKER): an order that would take liquidity is refused by the exchange rather
than filled at a worse price, and the bot skips that quote. Quotes left unfilled after a short
wait are cancelled; at the end, whatever is still held is sold at the market, so the bot ends
flat. On the embedded simulator an outside taker trades against the quotes (SIMULATOR ONLY,
through its control API); on a real exchange the market does that by itself, or not.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from tradeguard.errors import OrderRejected

if TYPE_CHECKING:
    from tradeguard.orders import Order
    from tradeguard.session.guard import Session

SYMBOL = "BTC/USDT"
QTY = Decimal("0.001")
ROUNDS = 3
WAIT_S = 3.0  # how long a quote may rest before it is cancelled


def sellable(tg: Session, price: Decimal) -> Decimal:
    """What the bot holds and one order can sell at `price` (0 below the minimum order value)."""
    rules = tg.rules["BTCUSDT"]
    held = tg.position(SYMBOL).qty  # net of fees paid in the base asset
    qty = held // rules.step_size * rules.step_size if held > 0 else Decimal(0)
    return qty if qty * price >= rules.min_notional else Decimal(0)


async def quote(tg: Session, side: str, qty: Decimal, price: Decimal) -> Order | None:
    """A post-only order; None when the exchange refused it because it would have taken."""
    try:
        return await tg.limit(SYMBOL, side, qty=qty, price=price, post_only=True)
    except OrderRejected as refused:
        print(f"{side} {qty} at {price} not placed: {refused.msg}")
        return None


async def simulator_only_take(tg: Session, order: Order) -> None:
    """SIMULATOR ONLY: an outside taker trades the whole of a resting quote."""
    import aiohttp

    from tradeguard.sim.remote import SimRemote

    async with aiohttp.ClientSession() as http:
        await SimRemote(tg.sim.control_url, http).fill(
            "BTCUSDT", order.qty or Decimal(0), order_id=order.order_id
        )


async def settled(tg: Session, order: Order) -> Order:
    """The quote once filled, or cancelled after WAIT_S."""
    try:
        return await tg.wait_for(order.client_order_id, timeout_s=WAIT_S)
    except TimeoutError:
        await tg.cancel(order.client_order_id)
        return await tg.wait_for(order.client_order_id, timeout_s=WAIT_S)


async def main(tg: Session) -> None:
    for n in range(1, ROUNDS + 1):
        book = await tg.book(SYMBOL, depth=5)  # the local book: no request once it is in sync
        bid_price, ask_price = book.best_bid, book.best_ask
        assert bid_price is not None and ask_price is not None, "an empty book"
        held = sellable(tg, ask_price)
        bid = await quote(tg, "BUY", QTY, bid_price)
        ask = await quote(tg, "SELL", held, ask_price) if held else None
        quotes = [q for q in (bid, ask) if q is not None]
        print(f"round {n}: bid {QTY} at {bid_price}, offer {held} at {ask_price}")
        for order in quotes:
            if tg.sim is not None:
                await simulator_only_take(tg, order)
            done = await settled(tg, order)
            print(f"  {done.side.value} {done.client_order_id}: {done.status.value}, "
                  f"{done.executed_qty} filled")  # fmt: skip
    last = (await tg.ticker(SYMBOL)).last
    rest = sellable(tg, last)
    if rest > 0:  # the last bid filled with no round after it to offer it: sell at the market
        sold = await tg.market_sell(SYMBOL, qty=rest)
        await tg.wait_for(sold.client_order_id, timeout_s=WAIT_S)
    print(tg.market_stats().line())
