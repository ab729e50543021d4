"""Realized and unrealized PnL per symbol, by average cost, fees included. Pure.

Each fill is turned into what it did to the account: the base it added or removed and the quote
it cost or brought, its commission included:
- a commission in the base asset reduces the base received on a buy (adds to the base given up
  on a sell);
- a commission in the quote asset adds to the cost of a buy, reduces the proceeds of a sell;
- a commission in a third asset (BNB) is valued at that asset's last price in the symbol's
  quote asset, when a fill on that pair (BNBUSDT) has shown one; otherwise it is left out and
  said so (`fees_unvalued`), never guessed.
A fill that adds to the position (or opens one, long or short) adds its fee-inclusive cost to
the basis; a fill that reduces it realizes (fee-inclusive price - average cost) x quantity, and
what crosses zero opens the other side at the fill's price. Unrealized is (mark - average cost)
x quantity, the mark being the last fill's price: it does not include the fee of closing.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradeguard.events import OrderFilled
from tradeguard.model import Side

ZERO = Decimal(0)
BASIS = (
    "average cost; fees included: a commission in the base asset reduces the quantity, in the "
    "quote asset the proceeds (or adds to the cost), in another asset (BNB) it is valued at "
    "that asset's last fill price in the quote asset; unrealized is against the last fill "
    "price and leaves out the fee of closing"
)


class Book(msgspec.Struct, gc=False):
    """One symbol's position as the PnL sees it. `cost` is the signed basis of `qty` (negative
    for a short: what opening it brought in), so the average entry is cost / qty."""

    symbol: str
    base: str
    quote: str
    qty: Decimal = ZERO
    cost: Decimal = ZERO
    realized: Decimal = ZERO
    fees_unvalued: dict[str, Decimal] = {}
    mark: Decimal | None = None
    mark_ms: int | None = None
    fills: int = 0

    @property
    def average(self) -> Decimal | None:
        return None if not self.qty else self.cost / self.qty

    @property
    def unrealized(self) -> Decimal | None:
        if self.mark is None:
            return None
        return self.mark * self.qty - self.cost


def book_fill(book: Book, fill: OrderFilled, fee_price: Decimal | None) -> None:
    """Fold one fill into its symbol's book. `fee_price`: the commission asset's last price in
    the quote asset, when the commission is in a third asset and one is known."""
    qty, quote = fill.qty, fill.quote
    fee, fee_asset = fill.commission, fill.commission_asset
    base_fee = quote_fee = ZERO
    if fee:
        if fee_asset == book.base:
            base_fee = fee
        elif fee_asset == book.quote:
            quote_fee = fee
        elif fee_price is not None:
            quote_fee = fee * fee_price
        elif fee_asset is not None:
            book.fees_unvalued = {
                **book.fees_unvalued,
                fee_asset: book.fees_unvalued.get(fee_asset, ZERO) + fee,
            }
    if fill.side is Side.BUY:
        delta, cash = qty - base_fee, -(quote + quote_fee)
    else:
        delta, cash = -(qty + base_fee), quote - quote_fee
    book.fills += 1
    book.mark, book.mark_ms = fill.price, fill.exchange_ms or fill.at_ms
    _move(book, delta, cash)


def _move(book: Book, delta: Decimal, cash: Decimal) -> None:
    """The position moves by `delta` base for `cash` quote (negative: paid)."""
    if not delta:  # all of it went in fees: a pure cost
        book.realized += cash
        return
    held = book.qty
    if not held or (held > 0) == (delta > 0):  # opening or adding
        book.qty = held + delta
        book.cost -= cash
        return
    price = -cash / delta  # the fill's fee-inclusive price per unit
    closed = min(abs(delta), abs(held))
    sign = 1 if held > 0 else -1
    average = book.cost / held
    book.realized += closed * (price - average) * sign
    rest = abs(delta) - closed
    if rest:  # crossed zero: the rest opens the other side at this price
        book.qty = rest * -sign
        book.cost = price * book.qty
    else:
        book.qty = held - closed * sign
        book.cost = ZERO if not book.qty else average * book.qty
