"""`tradeguard run BOT.py`: load a bot, connect, show progress, stop cleanly, summarise.

A bot is a Python file that defines `async def main(tg)`; `tg` is the `Session`. The runner:

- connects with the profile (the embedded simulator unless the profile says otherwise);
- shows live progress: orders, fills, the net of the journal's fills per coin ("net from
  fills": bought minus sold minus fees paid in the coin, on this exchange; not the account's
  balance), this run's PnL (and the journal's total beside it), request weight and order rate
  against the exchange's limits;
- on Ctrl-C or SIGTERM, or when the kill switch latches (`tradeguard kill` from anywhere, or
  a loss limit), stops the bot, refuses new orders, cancels open orders (the kill switch always;
  on a signal or when the bot ends, if the profile says so: `cancel_on_exit`, on by default),
  records the shutdown with its real reason and flushes the journal;
- ends with a summary: what the stop cancelled, and the peak request weight and order rate
  against the limits, so a user sees how close the bot's request pattern came to a ban before
  going live.

Exit codes: 0 the bot finished, 1 it raised, 2 it could not be loaded (or a profile mistake),
3 the kill switch stopped it (or was latched already), 130 SIGINT, 143 SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib.util
import inspect
import signal
import sys
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from tradeguard.cli.signals import until_stopped
from tradeguard.errors import ConfigError, TradeguardError
from tradeguard.events import OrderFilled, OrderIntended, RiskDenied, ShutDown
from tradeguard.profile.profiles import Profile, Venue
from tradeguard.session.guard import Session
from tradeguard.text import plain

if TYPE_CHECKING:
    from tradeguard.dashboard.serve import WebOptions

BotMain = Callable[[Session], Awaitable[object]]


def load_bot(path: Path) -> BotMain:
    """The bot file's `async def main(tg)`, loaded as `python bot.py` would run it (its folder
    first on sys.path, so a module beside it imports); a clear one-line error for anything
    else, naming the file and line where loading failed."""
    if not path.is_file():
        raise ConfigError(f"no bot file at {path}", hint="give the path of a .py file")
    name = f"tradeguard_bot_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{path} cannot be loaded as Python", hint="name it something.py")
    folder = str(path.resolve().parent)
    if sys.path[:1] != [folder]:
        sys.path.insert(0, folder)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as for any module: dataclasses and pickle look it up there
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ConfigError(f"cannot load {_failed_at(exc, path)}") from None
    main = getattr(module, "main", None)
    if main is None or not asyncio.iscoroutinefunction(main):
        raise ConfigError(
            f"{path} has no `async def main(tg)`",
            hint="define async def main(tg): ... — tg is the tradeguard session",
        )
    try:  # called as main(tg): a signature that cannot take it fails here, not mid-run
        inspect.signature(main).bind(None)
    except TypeError as exc:
        code = getattr(main, "__code__", None)
        where = f"{path}:{code.co_firstlineno}" if code is not None else str(path)
        raise ConfigError(
            f"{where}: main{inspect.signature(main)} cannot be called as main(tg): {exc}",
            hint="define async def main(tg): ... — tg is the tradeguard session",
        ) from None
    bot: BotMain = main
    return bot


def _failed_at(exc: Exception, bot: Path) -> str:
    """`bot.py:12: SyntaxError: ...`, or `bot.py: helper.py:3: ...` when the error is in a
    module beside the bot: where the user's own code failed, never a frame of tradeguard or
    of Python's import machinery."""
    what = f"{type(exc).__name__}: {exc.msg if isinstance(exc, SyntaxError) else exc}"
    what = " ".join(what.split()).removesuffix(":")
    where: tuple[str, int] | None = None
    if isinstance(exc, SyntaxError) and exc.filename:
        where = (exc.filename, exc.lineno or 0)
    else:
        folder = bot.resolve().parent
        for frame, line in traceback.walk_tb(exc.__traceback__):
            file = frame.f_code.co_filename
            if not file.startswith("<") and Path(file).resolve().is_relative_to(folder):
                where = (file, line)  # the deepest frame of the user's own code
    if where is None:
        return f"{bot}: {what}"
    file, line = where
    if Path(file).resolve() == bot.resolve():
        return f"{bot}:{line}: {what}"
    with contextlib.suppress(ValueError):
        file = str(Path(file).resolve().relative_to(Path.cwd()))
    return f"{bot}: {file}:{line}: {what}"


@dataclass
class Tally:
    """This run's counts, and the equity it started from: the loss watch folds the whole
    journal (every earlier run on this profile), so this run's PnL is the change since."""

    orders: int = 0
    fills: int = 0
    denials: int = 0
    equity_at_start: Decimal = Decimal(0)

    def count(self, event: object) -> None:
        if isinstance(event, OrderIntended):
            self.orders += 1
        elif isinstance(event, OrderFilled):
            self.fills += 1
        elif isinstance(event, RiskDenied):
            self.denials += 1


# The position column: what the journal's fills on this exchange add up to (a fresh simulator
# starts it at zero), never the account's balance, which holds what was there before the bot
NET = "net from fills"


def progress(tg: Session, tally: Tally) -> Group:
    """The live panel: what the bot holds and how close it runs to the limits."""
    table = Table(title=f"tradeguard · {tg.profile}", expand=False)
    for column in ("orders", "fills", "open", "denied", "PnL this run", "journal PnL", NET):
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
        plain((tg.loss.equity - tally.equity_at_start).quantize(Decimal("0.0001"))),
        plain(tg.loss.equity.quantize(Decimal("0.0001"))),
        ", ".join(positions) or "flat",
    )
    limits = Table(show_header=True, expand=False, title="limits (peak this run)")
    limits.add_column("limit")
    limits.add_column("peak", justify="right")
    limits.add_column("share", justify="right")
    for described, used, share in limit_peaks(tg):
        limits.add_row(described, plain(used), f"{share:.1%}")
    market = tg.market_stats()
    if not (market.requests or market.saved):
        return Group(table, limits)
    return Group(table, limits, Text(market.caption(), no_wrap=True, overflow="ellipsis"))


def limit_peaks(tg: Session) -> list[tuple[str, Decimal, float]]:
    """Each exchange limit's peak this run and its share of the limit: the request-weight and
    order windows (Binance, Bybit, OKX), and a decaying call counter (Kraken's)."""
    windows = [
        (rule.describe(), Decimal(used), used / rule.limit)
        for rule, used in tg.transport.ledger.peaks()
    ]
    counters = [
        (described, peak.quantize(Decimal("0.01")), float(peak / limit))
        for described, peak, limit in tg.transport.counter_peaks()
    ]
    return windows + counters


def summary(
    tg: Session, tally: Tally, console: Console, outcome: str, shut: ShutDown | None = None
) -> None:
    console.print(f"\n[bold]Run ended:[/] {escape(outcome)}")  # an error's text, not markup
    console.print(progress(tg, tally))
    if shut is not None:
        for line in stop_lines(tg, shut):
            console.print(line, markup=False, highlight=False)
    for symbol, rules in tg.rules.items():
        held = tg.ledger.position(symbol)
        if held is not None and held.fills:
            fills = f"{held.fills} fill{'s' if held.fills != 1 else ''}"
            console.print(
                f"  {symbol}: net from {fills}: "
                f"{plain(held.qty)} {rules.base_asset}, {plain(held.quote)} {rules.quote_asset} "
                "(the journal's fills on this exchange, not the account's balance)",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    if tg.recorder.repeated_fills:
        console.print(
            f"  {tg.recorder.repeated_fills} fills came more than once (a stream repeating "
            "itself, a back-fill re-reading them): each booked once"
        )
    market = tg.market_stats()
    if market.requests or market.saved:
        console.print("  " + market.line(), markup=False, highlight=False, soft_wrap=True)
    journal = tg.recorder.journal
    # a path is never wrapped (it must copy and paste whole) nor read as markup
    console.print(
        f"  journal: {journal.location} ({tg.ledger.events} events)", soft_wrap=True, markup=False
    )
    console.print("  `tradeguard journal verify` checks it, `tradeguard journal tail` reads it")
    peak_line(console, max((share for _, _, share in limit_peaks(tg)), default=0))


def peak_line(console: Console, worst: float) -> None:
    """The summary's last line, never wrapped: its note must not read as a line of its own
    on a narrow terminal. Past half a limit the bot is busy, not in danger: the limiter holds
    a call back until it fits, so a busy bot waits instead of being banned (the Kraken demo
    peaks near 53% by design, and said 'close to a ban' when nothing was)."""
    console.print(
        f"  peak use of the exchange's limits: {worst:.1%} of the tightest"
        + ("  [yellow](busy: calls wait for room near a limit)[/]" if worst > 0.5 else ""),
        soft_wrap=True,
    )


def stop_lines(tg: Session, shut: ShutDown) -> list[str]:
    """What the stop did to the orders: cancelled (which), left open (which), or nothing."""
    lines = []
    if shut.cancelled:
        lines.append(f"  cancelled when the bot stopped: {len(shut.cancelled)}")
        lines += [f"    {_described(tg, coid)}" for coid in shut.cancelled]
    still = tg.open_orders()
    if still:
        lines.append(
            f"  left open on the exchange: {len(still)}"
            + ("" if tg.cancel_on_exit else " (the profile sets cancel_on_exit = false)")
        )
        lines += [f"    {_described(tg, o.client_order_id)}" for o in still]
    if not shut.cancelled and not still:
        lines.append("  nothing was open when the bot stopped")
    return lines


def _described(tg: Session, coid: str) -> str:
    order = tg.order(coid)
    if order is None:
        return coid
    qty = "?" if order.qty is None else plain(order.qty)
    price = "market" if order.price is None else plain(order.price)
    filled = f", {plain(order.executed_qty)} filled" if order.executed_qty else ""
    return f"{coid}  {order.symbol} {order.side.value} {qty} @ {price}{filled}"


KILLED = 3  # exit code: the kill switch stopped the bot, or was latched before it started
_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_KILL_SWITCH = "kill switch: "


async def run_bot(
    bot: BotMain, tg: Session, console: Console, *, live: bool = True
) -> tuple[int, str]:
    """Run the bot until it returns, fails, a signal stops it or the kill switch latches;
    close the session (the shutdown journaled with that reason); print the summary.
    (exit code, outcome)."""
    tally = Tally(equity_at_start=tg.loss.equity)  # folded from the journal at connect
    tg.recorder.watchers.append(tally.count)
    loop = asyncio.get_running_loop()
    stopped: list[str] = []  # why the bot's task was cancelled: SIGINT, SIGTERM, kill switch
    task: asyncio.Future[object] | None = None

    def stop(why: str) -> None:
        if task is None or task.done():  # closing: cancelling orders must not be cut short
            console.print(f"  {why}: already stopping (cancelling open orders, flushing)")
            return
        if not stopped:  # the first reason is the one
            stopped.append(why)
        task.cancel()  # again on a second Ctrl-C, for a bot that swallowed the first

    for sig in _SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop, sig.name)
    try:
        if tg.ledger.kill_switch.latched:
            why = tg.ledger.kill_switch.reason
            code, outcome, reason = (
                KILLED,
                f"not started: the kill switch is latched ({why}); "
                "`tradeguard kill --reset` releases it",
                f"{_KILL_SWITCH}{why}",
            )
        else:
            task = asyncio.ensure_future(_exit_kept(bot, tg))
            await _follow(task, tg, tally, console, live, stop)
            code, outcome, reason = _ending(task, stopped)
        shut = await tg.close(reason=reason)
    finally:
        if task is not None and not task.done():  # run_bot itself was cancelled
            task.cancel()
        for sig in _SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    summary(tg, tally, console, outcome, shut)
    return code, outcome


async def _follow(
    task: asyncio.Future[object],
    tg: Session,
    tally: Tally,
    console: Console,
    live: bool,
    stop: Callable[[str], None],
) -> None:
    """Wait for the bot's task, showing progress, and stop it when the kill switch latches."""
    halted = asyncio.ensure_future(tg.halted.wait())
    either: set[asyncio.Future[Any]] = {task, halted}
    display = (
        Live(progress(tg, tally), console=console, refresh_per_second=4, transient=True)
        if live
        else None
    )
    try:
        if display is not None:
            display.start()
        while not task.done():
            await asyncio.wait(either, timeout=0.25)
            if halted in either and halted.done():
                either.discard(halted)
                stop(f"{_KILL_SWITCH}{tg.ledger.kill_switch.reason}")
            if display is not None:
                display.update(progress(tg, tally))
    finally:
        halted.cancel()
        if display is not None:
            display.stop()


class BotExited(Exception):
    """The bot called sys.exit(): its SystemExit, caught in its own task so that it ends the
    run as any ending does. Left alone it would leave the event loop from under the session
    (asyncio re-raises SystemExit out of the loop), the cancels of the bot's open orders
    waiting for replies nothing was left to deliver, and no summary."""

    def __init__(self, code: object) -> None:
        super().__init__(code)
        self.code = code


async def _exit_kept(bot: BotMain, tg: Session) -> object:
    try:
        return await bot(tg)
    except SystemExit as exc:
        raise BotExited(exc.code) from None


def _ending(task: asyncio.Future[object], stopped: list[str]) -> tuple[int, str, str]:
    """(exit code, the outcome for the user, the reason the journal's ShutDown records)."""
    if task.cancelled():
        why = stopped[0] if stopped else "cancelled"
        if why.startswith(_KILL_SWITCH):
            return KILLED, f"stopped by the kill switch: {why.removeprefix(_KILL_SWITCH)}", why
        if why in ("SIGINT", "SIGTERM"):
            return 128 + signal.Signals[why].value, f"stopped by {why}", why
        return 1, "the bot's task was cancelled", "bot cancelled"
    exc = task.exception()
    if exc is None:
        return 0, "the bot finished", "bot finished"
    if isinstance(exc, BotExited):  # as Python ends on it: 0 for none or 0, else 1
        code = "" if exc.code is None else repr(exc.code)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)  # sys.exit("why"): the why, as Python shows it
        ok = exc.code is None or exc.code == 0
        return 0 if ok else 1, f"the bot called sys.exit({code})", f"bot called sys.exit({code})"
    raised = f"bot raised {type(exc).__name__}: {exc}"
    if isinstance(exc, TradeguardError):
        return 1, f"the bot stopped on a tradeguard refusal: {exc}", raised
    _print_traceback(exc)
    return 1, f"the bot raised {type(exc).__name__} (traceback above)", raised


def _print_traceback(exc: BaseException) -> None:
    """The bot's traceback, once, from the bot's own frames (none of the runner's or
    asyncio's: they say nothing about the bug)."""
    tb = exc.__traceback__
    here, aio = Path(__file__).resolve(), Path(asyncio.__file__).resolve().parent
    while tb is not None:
        file = Path(tb.tb_frame.f_code.co_filename).resolve()
        if file != here and not file.is_relative_to(aio):
            break
        tb = tb.tb_next
    print("".join(traceback.format_exception(type(exc), exc, tb)), end="", file=sys.stderr)


def on_simulated_venue(profile: Profile, venue: Venue) -> Profile:
    """`run --venue`: the profile on that venue's embedded simulator. Only a profile that runs
    on the embedded simulator already: a testnet or live venue needs that venue's own
    credentials, which only its profile can name."""
    if profile.env != "sim" or profile.base_url is not None:
        where = profile.env if profile.base_url is None else f"{profile.env} at {profile.base_url}"
        raise ConfigError(
            f"--venue {venue} runs the bot on the embedded simulator, and profile "
            f"{profile.name} trades on {where}",
            hint=f'set venue = "{venue}" in the profile, with that venue\'s credentials, '
            "or drop --venue",
        )
    return dataclasses.replace(profile, venue=venue)


async def run(
    path: Path,
    profile: str | None,
    config: Path | None,
    live: bool,
    venue: Venue | None = None,
    web: WebOptions | None = None,
) -> int:
    from tradeguard.profile.profiles import load
    from tradeguard.session.connect import connect

    console = Console()
    loaded = load(profile, config=config)  # a profile mistake first: nothing of the bot runs
    if venue is not None:
        loaded = on_simulated_venue(loaded, venue)
    bot = load_bot(path)
    console.print(
        f"[bold]tradeguard run[/] {path.name} · profile {loaded.name} "
        f"({loaded.venue}, {loaded.env}, {loaded.mode})"
    )
    if web is not None:
        web.check()  # before connecting: a refusal costs nothing
    tg = await connect(loaded)
    if tg.sim is not None:
        console.print(f"  embedded simulator on {tg.sim.base_url}")
    page = None
    try:
        if web is not None:
            from tradeguard.dashboard.serve import beside

            page = await beside(tg, loaded, config, web)
            console.print(f"  dashboard on {web.url_for_user(page.url)}", soft_wrap=True)
        code, _ = await run_bot(bot, tg, console, live=live and sys.stdout.isatty())
        if page is not None and web is not None and web.hold:
            console.print(f"  the dashboard stays up on {page.url} until Ctrl-C")
            await until_stopped()  # the bot has ended; its page stays up for a look
    finally:
        await tg.close(reason="run ended")  # run_bot closed it already, unless it failed
        if page is not None:
            await page.close()
    return code


def main(
    path: Path,
    profile: str | None,
    config: Path | None,
    live: bool,
    venue: Venue | None = None,
    web: WebOptions | None = None,
) -> int:
    return asyncio.run(run(path, profile, config, live, venue, web))


__all__ = ["KILLED", "load_bot", "main", "run_bot"]
