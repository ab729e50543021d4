"""`tradeguard demo`: the embedded simulator and a short scripted run of orders and fills.

What it shows, in order: the simulator starting on loopback with its keys; tradeguard's own
transport syncing its clock and reading the exchange's rate limits; the key's permissions; a
limit order filled in two parts by an outside taker; a market order; a cancel; an order whose
reply is lost on the way back (a fault) resolved by its client order id instead of being sent
again; and what the run cost against the exchange's limits.
"""

from __future__ import annotations

import asyncio
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tradeguard.errors import OutcomeUnknown
from tradeguard.keys.credentials import ApiCredentials, Secret
from tradeguard.model import OrderReport, OrderType, Side, TimeInForce
from tradeguard.net.hoststate import HostState
from tradeguard.text import plain
from tradeguard.venues.binance.endpoints import NewOrder

SYMBOL = "BTCUSDT"


def main(seed: int = 7) -> int:
    return asyncio.run(_run(seed, Console(highlight=False)))


def _order_row(table: Table, step: str, order: OrderReport) -> None:
    table.add_row(
        step,
        order.client_order_id,
        f"{order.side} {order.type}",
        f"{plain(order.executed_qty)}/{plain(order.orig_qty)}",
        f"{plain(order.price)}" if order.price else "market",
        order.status.value,
    )


async def _run(seed: int, out: Console) -> int:
    import aiohttp

    from tradeguard.sim import server
    from tradeguard.sim.config import SimConfig
    from tradeguard.sim.remote import SimRemote
    from tradeguard.venues.binance.client import BinanceTransport

    running = await server.start(SimConfig.default(seed=seed))
    key = running.key("trade-only")
    out.print(f"[bold]Simulator[/] on {running.base_url}  (seed {seed})")
    out.print(f"  key [cyan]trade-only[/] {key.api_key[:6]}…")
    state_dir = Path(tempfile.mkdtemp(prefix="tradeguard-demo-"))
    credentials = ApiCredentials(key.api_key, Secret(key.secret), kind=key.kind)
    try:
        async with (
            aiohttp.ClientSession() as session,
            BinanceTransport(
                running.base_url, credentials, host_state=HostState("demo", state_dir)
            ) as venue,
        ):
            remote = SimRemote(running.control_url, session)
            await _script(venue, remote, out)
    finally:
        await running.close()
    return 0


async def _script(venue: Any, remote: Any, out: Console) -> None:
    est = await venue.sync_clock()
    out.print(
        f"  clock: exchange is {est.skew_ms:+.0f} ms from this host "
        f"(round trip {est.rtt_ms:.1f} ms, {est.samples_used} samples)"
    )
    info = await venue.load_rate_limits()
    limits = ", ".join(rule.describe() for rule in venue.ledger.rules)
    out.print(f"  limits: {limits}; {len(info.symbols)} symbols")
    restrictions = await venue.api_restrictions()
    out.print(
        f"  key audit: withdrawals {'ON' if restrictions.enableWithdrawals else 'off'}, "
        f"IP-restricted {'yes' if restrictions.ipRestrict else 'NO'}, "
        f"spot trading {'on' if restrictions.enableSpotAndMarginTrading else 'off'}"
    )
    before = await venue.balances()
    last = await venue.last_price(SYMBOL)
    out.print(f"  {SYMBOL} last price {plain(last)}")

    orders = Table(title="Orders", show_lines=False)
    for column in ("step", "client id", "order", "filled", "price", "status"):
        orders.add_column(column)

    bid = (last * Decimal("0.995")).quantize(Decimal("0.01"))
    placed = await venue.place_order(
        NewOrder(SYMBOL, Side.BUY, OrderType.LIMIT, "demo-limit-1", Decimal("0.010"),
                 price=bid, time_in_force=TimeInForce.GTC)
    )  # fmt: skip
    _order_row(orders, "limit buy placed", placed)
    await remote.fill(SYMBOL, "0.004", order_id=placed.order_id)
    _order_row(orders, "taker hits 0.004", await venue.get_order(SYMBOL, order_id=placed.order_id))
    await remote.fill(SYMBOL, "0.006", order_id=placed.order_id)
    _order_row(orders, "taker hits 0.006", await venue.get_order(SYMBOL, order_id=placed.order_id))

    sold = await venue.place_order(
        NewOrder(SYMBOL, Side.SELL, OrderType.MARKET, "demo-market-1", Decimal("0.005"))
    )
    _order_row(orders, "market sell", sold)

    ask = (last * Decimal("1.05")).quantize(Decimal("0.01"))
    resting = await venue.place_order(
        NewOrder(SYMBOL, Side.SELL, OrderType.LIMIT, "demo-limit-2", Decimal("0.003"),
                 price=ask, time_in_force=TimeInForce.GTC)
    )  # fmt: skip
    _order_row(orders, "limit sell placed", resting)
    _order_row(orders, "cancelled", await venue.cancel_order(SYMBOL, order_id=resting.order_id))

    # The exchange executes the next order but the reply never comes back.
    await remote.add_fault({"kind": "drop_after_execute", "method": "POST",
                            "path_prefix": "/api/v3/order", "count": 1})  # fmt: skip
    lost = NewOrder(SYMBOL, Side.BUY, OrderType.MARKET, "demo-lost-reply", Decimal("0.002"))
    counts_before = (await remote.requests())["requests"].get("POST /api/v3/order", 0)
    try:
        await venue.place_order(lost)
        out.print("[red]expected the reply to be lost[/]")
    except OutcomeUnknown:
        resolved = await venue.get_order(SYMBOL, client_order_id=lost.client_order_id)
        _order_row(orders, "reply lost → resolved", resolved)
    counts_after = (await remote.requests())["requests"].get("POST /api/v3/order", 0)
    out.print(orders)
    out.print(
        f"  lost reply: {counts_after - counts_before} request reached the exchange; "
        "tradeguard asked for the order by its client id instead of sending it again"
    )

    trades = await venue.my_trades(SYMBOL)
    fills = Table(title="Fills (from myTrades)")
    for column in ("trade", "order", "side", "qty", "price", "fee", "maker"):
        fills.add_column(column)
    for fill in trades:
        fills.add_row(str(fill.trade_id), str(fill.order_id), fill.side.value,
                      f"{plain(fill.qty)}", f"{plain(fill.price)}",
                      f"{plain(fill.commission)} {fill.commission_asset}",
                      "yes" if fill.is_maker else "no")  # fmt: skip
    out.print(fills)

    after = await venue.balances()
    for asset in ("BTC", "USDT"):
        change = after[asset].total - before[asset].total
        out.print(f"  {asset}: {plain(before[asset].total)} → "
                  f"{plain(after[asset].total)} ({change:+f})")  # fmt: skip
    peaks = ", ".join(f"{used} of {rule.describe()}" for rule, used in venue.ledger.peaks())
    out.print(f"[bold]Done.[/] {venue.requests_sent} requests; peak use: {peaks}")
