"""The library form: tradeguard inside your own program, without `tradeguard run`.

    python examples/library_form.py

`tradeguard.connect()` with no argument uses $TRADEGUARD_PROFILE, else the profile `default` of
tradeguard.toml; with no tradeguard.toml at all, the embedded simulator. Everything a bot file
does works the same on the session it gives. Leaving the `async with` block closes the session:
open orders are cancelled (unless the profile sets cancel_on_exit = false), the shutdown is
journaled and the journal flushed. Every refusal is a `tradeguard.TradeguardError` whose text
says what to do.
"""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal

import tradeguard

SYMBOL = "BTC/USDT"


async def trade() -> None:
    async with tradeguard.connect() as tg:
        last = await tg.last_price(SYMBOL)
        assert last is not None, "the exchange gives no last price"
        usdt = tg.balance("USDT")
        print(f"{SYMBOL} last {last}; USDT free {usdt.free if usdt else 'unknown'}")
        tick = tg.rules["BTCUSDT"].tick_size
        bid = await tg.limit_buy(
            SYMBOL, qty="0.001", price=last * Decimal("0.99") // tick * tick, post_only=True
        )
        print(f"bid {bid.client_order_id}: {bid.qty} BTC at {bid.price}, {bid.status}")
        print(f"open orders: {[o.client_order_id for o in tg.open_orders()]}")
    print(f"session closed: {bid.client_order_id} was cancelled on the way out")


def main() -> int:
    try:
        asyncio.run(trade())
    except tradeguard.TradeguardError as exc:
        print(f"tradeguard: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
