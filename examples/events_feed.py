"""Watch everything tradeguard records, as it happens: `tg.events()`.

Run it with `tradeguard run examples/events_feed.py --no-live`.

`tg.events()` is an async feed of the journal's events from the moment it is called:
order intents, replies and updates, fills from the fill messages, balance changes, risk
denials, alerts (the types are in `tradeguard.events`; `help(tradeguard.events)`). This bot buys
at the market and sells it back, printing each event of both orders' lives, and stops watching
each order once its fills add up.

A feed listens from the moment `tg.events()` returns, so the order placed right after it shows
up in it from its intent on. A bot that stops reading loses only its own feed's events
(`feed.missed` counts them), never the journal's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import TYPE_CHECKING

from tradeguard.events import (
    BalanceChanged,
    EventBase,
    OrderFilled,
    OrderIntended,
    OrderUpdated,
    kind,
)
from tradeguard.model import Side

if TYPE_CHECKING:
    from tradeguard.session.guard import Session

SYMBOL = "BTC/USDT"
QTY = Decimal("0.001")


def describe(event: EventBase) -> str:
    match event:
        case OrderIntended(intent=intent):
            return f"{intent.side} {intent.type} {intent.qty} {intent.symbol}"
        case OrderUpdated(status=status, source=source):
            return f"{event.client_order_id} {status} (from the {source})"
        case OrderFilled(side=side, qty=qty, price=price, commission=fee, commission_asset=asset):
            return f"{side} {qty} at {price}, fee {fee} {asset}"
        case BalanceChanged(balances=balances):
            return ", ".join(f"{b.asset} {b.free}" for b in balances)
    return ""


async def show_until_filled(feed: AsyncIterator[EventBase], side: Side, qty: Decimal) -> None:
    """Print events until the fills on `side` add up to `qty`."""
    filled = Decimal(0)
    async with asyncio.timeout(30):
        async for event in feed:
            print(f"{kind(event):<16} {describe(event)}".rstrip())
            if isinstance(event, OrderFilled) and event.side is side:
                filled += event.qty
                if filled >= qty:
                    return


def sellable(tg: Session) -> Decimal:
    """The position (net of fees) rounded down to the quantity step."""
    step = tg.rules["BTCUSDT"].step_size
    held = tg.position(SYMBOL).qty  # net of fees paid in the base asset
    return held // step * step if held > 0 else Decimal(0)


async def main(tg: Session) -> None:
    feed = tg.events()  # one feed for the whole run: it ends when the session closes
    await tg.market_buy(SYMBOL, qty=QTY)
    await show_until_filled(feed, Side.BUY, QTY)
    held = sellable(tg)
    await tg.market_sell(SYMBOL, qty=held)
    await show_until_filled(feed, Side.SELL, held)
