"""`tradeguard account`: balances, open orders and recent trades, read-only.

The first thing to run with a new key: it sends no order, so a read-only key is enough, and the
key is audited as at every connect (a key that can withdraw is refused even here). It reads the
profile's venue the way a session would: Binance natively, Bybit, OKX and Kraken through ccxt.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradeguard.text import plain


async def _show(profile_name: str | None, config: Path | None, trades: int) -> int:
    from tradeguard.doctor import checks as doctor
    from tradeguard.profile.profiles import load
    from tradeguard.session.connect import (
        ConnectOptions,
        open_exchange,
        open_venue,
        venue_refusal,
    )

    console = Console()
    profile = load(profile_name, config=config)
    refused = venue_refusal(profile.name, profile.venue)
    if refused is not None:
        raise refused
    closers: list = []  # type: ignore[type-arg]
    try:
        options = ConnectOptions()
        base_url, creds, _, sim = await open_exchange(profile, options, closers)
        transport = open_venue(profile, base_url, creds, options, sim)
        closers.append(transport.close)
        await transport.sync_clock()
        await doctor.connect_audit(profile, transport)
        where = f"embedded simulator {base_url}" if sim is not None else base_url
        console.print(f"[bold]{escape(profile.name)}[/] · {profile.env} · {escape(where)}")
        balances = Table(title="balances")
        for column in ("asset", "free", "locked"):
            balances.add_column(column, justify="right")
        for asset, held in sorted((await transport.balances()).items()):
            if held.total:
                balances.add_row(asset, plain(held.free), plain(held.locked))
        console.print(balances)
        orders = Table(title="open orders")
        for column in ("symbol", "client id", "side", "type", "price", "filled", "status"):
            orders.add_column(column)
        recent = Table(title=f"recent trades (last {trades})")
        for column in ("symbol", "trade", "side", "qty", "price", "fee", "maker"):
            recent.add_column(column)
        for symbol in (s.binance for s in profile.symbols):
            for o in await transport.open_orders(symbol):
                orders.add_row(
                    symbol,
                    o.client_order_id,
                    o.side.value,
                    o.type.value,
                    plain(o.price),
                    f"{plain(o.executed_qty)}/{plain(o.orig_qty)}",
                    o.status.value,
                )
            for t in (await transport.my_trades(symbol))[-trades:]:
                recent.add_row(
                    symbol,
                    str(t.trade_id),
                    t.side.value,
                    plain(t.qty),
                    plain(t.price),
                    f"{plain(t.commission)} {t.commission_asset}",
                    "yes" if t.is_maker else "no",
                )
        console.print(orders)
        console.print(recent)
        return 0
    finally:
        for close in reversed(closers):
            await close()


def main(profile: str | None, config: Path | None, trades: int) -> int:
    return asyncio.run(_show(profile, config, trades))
