"""Rich tables for `tradeguard journal at` and `journal show`: printing only."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradeguard.journal.export import iso_ms
from tradeguard.journal.replay import State
from tradeguard.orders import Order
from tradeguard.text import plain


def _dec(value: object) -> str:
    """Plain digits: no exponent (0E-8, 1E+5) and no padding zeros."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return plain(value)
    return str(value)


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for column in columns:
        numeric = column in {
            "qty",
            "price",
            "executed",
            "missing",
            "quote",
            "free",
            "locked",
            "total",
            "fills",
            "commission",
        }
        table.add_column(column, justify="right" if numeric else "left")
    return table


def _console() -> Console:
    console = Console()
    # piped into a file or a pager: do not squeeze the tables into 80 columns
    return console if console.is_terminal else Console(width=160)


def print_orders(orders: Iterable[Order], title: str, console: Console | None = None) -> None:
    console = console or _console()
    table = _table(
        title,
        "order",
        "symbol",
        "side",
        "type",
        "status",
        "qty",
        "price",
        "executed",
        "missing",
        "fills",
    )
    fills = _table("fills", "order", "trade", "time", "qty", "price", "commission", "maker")
    for o in orders:
        table.add_row(
            o.client_order_id,
            o.symbol,
            o.side.value,
            o.type.value,
            o.status.value,
            _dec(o.qty),
            _dec(o.price),
            _dec(o.executed_qty),
            _dec(o.missing_qty or ""),
            str(len(o.fills)),
        )
        for f in o.fills:
            fee = f"{f.commission} {f.commission_asset or ''}".strip()
            when = iso_ms(f.exchange_ms if f.exchange_ms is not None else f.at_ms)
            fills.add_row(
                o.client_order_id,
                str(f.trade_id),
                when,
                str(f.qty),
                str(f.price),
                fee,
                "maker" if f.is_maker else "taker",
            )
    console.print(table)
    if fills.row_count:
        console.print(fills)


def print_state(state: State, until_ms: int, location: str, head: int) -> None:
    console = _console()
    last = f"record {state.events} of {head}" if state.events else "no record yet"
    console.print(f"[bold]{location}[/] at {iso_ms(until_ms)}: {last}")
    if state.profile:
        console.print(f"profile {state.profile}")
    print_orders(state.open_orders(), "open orders", console)

    positions = _table("positions (from fills)", "symbol", "qty", "quote", "fills")
    for p in state.positions.values():
        positions.add_row(p.symbol, _dec(p.qty), _dec(p.quote), str(p.fills))
    console.print(positions)

    balances = _table("balances", "asset", "free", "locked", "total")
    for b in state.balances.values():
        balances.add_row(b.asset, _dec(b.free), _dec(b.locked), _dec(b.total))
    console.print(balances)

    guard = _table("guard", "what", "state")
    stage = state.stage
    guard.add_row(
        "stage",
        "none set"
        if stage is None
        else f"{stage.rung} (order cap {_dec(stage.max_order_notional) or 'none'}, "
        f"daily cap {_dec(stage.max_daily_notional) or 'none'})",
    )
    kill = state.kill_switch
    guard.add_row(
        "kill switch",
        escape(f"LATCHED since {iso_ms(kill.since_ms or 0)}: {kill.reason}")
        if kill.latched
        else "off",
    )
    for limit in state.limits.values():
        active = "in force" if limit.until_ms > until_ms else "ended"
        guard.add_row(
            limit.limit, escape(f"until {iso_ms(limit.until_ms)} ({active}) {limit.reason}")
        )
    if not state.limits:
        guard.add_row("rate limits", "no pause, ban or breaker")
    guard.add_row("peak weight / orders", f"{state.peak_weight} / {state.peak_order_count}")
    if state.clock is not None:
        guard.add_row(
            "clock", f"offset {state.clock.offset_ms} ms, rtt {state.clock.rtt_ms:.2f} ms"
        )
    for s in state.streams.values():
        gap = "" if s.gap_since_ms is None else f", gap since {iso_ms(s.gap_since_ms)}"
        guard.add_row(f"stream {s.stream}", ("connected" if s.connected else "down") + gap)
    guard.add_row(
        "risk denials / errors / alerts", f"{state.risk_denials} / {state.errors} / {state.alerts}"
    )
    console.print(guard)
