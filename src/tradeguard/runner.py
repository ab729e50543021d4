"""`tradeguard run BOT.py`: load a bot, connect, show progress, stop cleanly, summarise.

A bot is a Python file that defines `async def main(tg)`; `tg` is the `Session`. The runner:

- connects with the profile (the embedded simulator unless the profile says otherwise);
- shows live progress: orders, fills, position, PnL, request weight and order rate against the
  exchange's limits;
- on Ctrl-C or SIGTERM stops the bot, refuses new orders, cancels open orders if the profile
  says so (`cancel_on_exit`, on by default), records the shutdown and flushes the journal;
- ends with a summary, including the peak request weight and order rate against the limits,
  so a user sees how close the bot's request pattern came to a ban before going live.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import signal
import sys
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from tradeguard.errors import ConfigError, TradeguardError
from tradeguard.events import OrderFilled, OrderIntended, RiskDenied
from tradeguard.session import Session
from tradeguard.text import plain

BotMain = Callable[[Session], Awaitable[object]]


def load_bot(path: Path) -> BotMain:
    """The bot file's `async def main(tg)`; a clear error for anything else."""
    if not path.is_file():
        raise ConfigError(f"no bot file at {path}", hint="give the path of a .py file")
    spec = importlib.util.spec_from_file_location(f"tradeguard_bot_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{path} cannot be loaded as Python", hint="name it something.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    main = getattr(module, "main", None)
    if main is None or not asyncio.iscoroutinefunction(main):
        raise ConfigError(
            f"{path} has no `async def main(tg)`",
            hint="define async def main(tg): ... — tg is the tradeguard session",
        )
    bot: BotMain = main
    return bot


@dataclass
class Tally:
    orders: int = 0
    fills: int = 0
    denials: int = 0

    def count(self, event: object) -> None:
        if isinstance(event, OrderIntended):
            self.orders += 1
        elif isinstance(event, OrderFilled):
            self.fills += 1
        elif isinstance(event, RiskDenied):
            self.denials += 1


def progress(tg: Session, tally: Tally) -> Group:
    """The live panel: what the bot holds and how close it runs to the limits."""
    table = Table(title=f"tradeguard · {tg.profile}", expand=False)
    for column in ("orders", "fills", "open", "denied", "PnL", "position"):
        table.add_column(column, justify="right")
    positions = []
    for symbol in tg.rules:
        held = tg.ledger.position(symbol)
        if held is not None and held.qty:
            positions.append(f"{plain(held.qty)} {held.base_asset}")
    table.add_row(
        str(tally.orders),
        str(tally.fills),
        str(len(tg.open_orders())),
        str(tally.denials),
        plain(tg.loss.equity.quantize(Decimal("0.0001"))),
        ", ".join(positions) or "flat",
    )
    limits = Table(show_header=True, expand=False, title="limits (peak this run)")
    limits.add_column("limit")
    limits.add_column("peak", justify="right")
    limits.add_column("share", justify="right")
    for rule, used in tg.transport.ledger.peaks():
        limits.add_row(rule.describe(), str(used), f"{used / rule.limit:.1%}")
    return Group(table, limits)


def summary(tg: Session, tally: Tally, console: Console, outcome: str) -> None:
    console.print(f"\n[bold]Run ended:[/] {outcome}")
    console.print(progress(tg, tally))
    for symbol, rules in tg.rules.items():
        held = tg.ledger.position(symbol)
        if held is not None and held.fills:
            console.print(
                f"  {symbol}: {held.fills} fills, position {plain(held.qty)} "
                f"{rules.base_asset}, cash {plain(held.quote)} {rules.quote_asset}"
            )
    journal = tg.recorder.journal
    # a path is never wrapped (it must copy and paste whole) nor read as markup
    console.print(
        f"  journal: {journal.location} ({tg.ledger.events} events)", soft_wrap=True, markup=False
    )
    console.print("  `tradeguard journal verify` checks it, `tradeguard journal tail` reads it")
    worst = max((used / rule.limit for rule, used in tg.transport.ledger.peaks()), default=0)
    console.print(
        f"  peak use of the exchange's limits: {worst:.1%} of the tightest"
        + ("  [red](close to a ban: slow the bot down)[/]" if worst > 0.5 else "")
    )


async def run_bot(
    bot: BotMain, tg: Session, console: Console, *, live: bool = True
) -> tuple[int, str]:
    """Run the bot until it returns, fails, or a signal stops it; (exit code, outcome)."""
    tally = Tally()
    tg.recorder.watchers.append(tally.count)
    task = asyncio.ensure_future(bot(tg))
    loop = asyncio.get_running_loop()
    stopped: list[str] = []

    def stop(name: str) -> None:
        stopped.append(name)
        task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop, sig.name)
    code, outcome = 0, "the bot finished"
    display = (
        Live(progress(tg, tally), console=console, refresh_per_second=4, transient=True)
        if live
        else None
    )
    try:
        if display is not None:
            display.start()
        while not task.done():
            await asyncio.wait({task}, timeout=0.25)
            if display is not None:
                display.update(progress(tg, tally))
        task.result()
    except asyncio.CancelledError:
        code, outcome = 130, f"stopped by {stopped[0] if stopped else 'cancel'}"
    except TradeguardError as exc:
        code, outcome = 1, f"the bot stopped on a tradeguard refusal: {exc}"
    except Exception:
        code, outcome = 1, "the bot raised an exception (traceback above)"
        console.print(traceback.format_exc(), markup=False, highlight=False)
    finally:
        if display is not None:
            display.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    summary(tg, tally, console, outcome)
    return code, outcome


async def run(path: Path, profile: str | None, config: Path | None, live: bool) -> int:
    from tradeguard.connect import connect
    from tradeguard.profile import load

    console = Console()
    loaded = load(profile, config=config)  # a profile mistake first: nothing of the bot runs
    bot = load_bot(path)
    console.print(
        f"[bold]tradeguard run[/] {path.name} · profile {loaded.name} ({loaded.env}, {loaded.mode})"
    )
    tg = await connect(loaded)
    if tg.sim is not None:
        console.print(f"  embedded simulator on {tg.sim.base_url}")
    try:
        code, _ = await run_bot(bot, tg, console, live=live and sys.stdout.isatty())
    finally:
        await tg.close(cancel_open=loaded.cancel_on_exit, reason="run ended")
    return code


def main(path: Path, profile: str | None, config: Path | None, live: bool) -> int:
    return asyncio.run(run(path, profile, config, live))


__all__ = ["load_bot", "main", "run_bot"]
