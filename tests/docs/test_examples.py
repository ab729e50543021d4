"""Every example runs to the end it claims against the embedded simulator, the way a user runs
it: a bot file through `tradeguard run examples/x.py --no-live`, the library form through
`python examples/library_form.py`, each in its own process with its own data directories and no
tradeguard.toml. What the run did is then read back from its journal (the fold replay uses): no
order left open, no more sold than was held, and what each example says it does."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from tradeguard.journal import open_journal
from tradeguard.journal.state import State
from tradeguard.model import OrderStatus, OrderType, Side
from tradeguard.orders import Order
from tradeguard.sim.config import default_symbols

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BTCUSDT = next(s for s in default_symbols() if s.symbol == "BTCUSDT")


@dataclass
class Run:
    stdout: str
    state: State

    @property
    def orders(self) -> list[Order]:
        return sorted(self.state.orders.values(), key=lambda o: o.created_ms)

    def of_type(self, *types: OrderType) -> list[Order]:
        return [o for o in self.orders if o.type in types]

    @property
    def btc(self) -> Decimal:
        position = self.state.positions.get("BTCUSDT")
        return position.qty if position is not None else Decimal(0)


def _run(tmp_path: Path, command: list[str]) -> Run:
    data = tmp_path / "data"
    env = {
        **os.environ,
        "COLUMNS": "100",
        "XDG_DATA_HOME": str(data),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    env.pop("TRADEGUARD_CONFIG", None)
    env.pop("TRADEGUARD_PROFILE", None)
    done = subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    store = open_journal(data / "tradeguard" / "default.db", profile="default", create=False)
    try:
        state = store.fold()
    finally:
        store.close()
    return Run(done.stdout, state)


def run_bot(tmp_path: Path, name: str) -> Run:
    path = EXAMPLES / name
    return _run(
        tmp_path, [sys.executable, "-m", "tradeguard.cli.app", "run", str(path), "--no-live"]
    )


def assert_ends_flat(run: Run, last_price: Decimal = BTCUSDT.initial_price) -> None:
    """Nothing open; never sold more than was held; what is left, one order could not sell."""
    assert run.state.open_orders() == []
    assert run.btc >= 0, f"sold more than it held: position {run.btc}"
    unsellable = max(BTCUSDT.step_size, BTCUSDT.min_notional / last_price * Decimal("1.1"))
    assert run.btc < unsellable, f"left {run.btc} BTC unsold"


def test_limit_bot_sells_what_it_holds_after_fees_and_ends_flat(tmp_path: Path) -> None:
    run = run_bot(tmp_path, "limit_bot.py")
    buys = [o for o in run.orders if o.side is Side.BUY]
    sells = [o for o in run.orders if o.side is Side.SELL]
    assert sum(o.executed_qty for o in buys) > 0, "the market never took a bid: nothing shown"
    assert sum(o.executed_qty for o in sells) > 0
    assert_ends_flat(run)


def test_grid_bot_brackets_what_it_bought_and_leaves_nothing_behind(tmp_path: Path) -> None:
    run = run_bot(tmp_path, "grid_bot.py")
    # some of the grid filled, and what it bought was sold again by the bracket's legs
    bought = sum(o.executed_qty for o in run.orders if o.side is Side.BUY)
    sold = sum(o.executed_qty for o in run.orders if o.side is Side.SELL)
    assert bought > 0 and sold > 0, run.stdout
    assert_ends_flat(run)


def test_events_feed_prints_both_orders_lives(tmp_path: Path) -> None:
    run = run_bot(tmp_path, "events_feed.py")
    kinds = [line.split()[0] for line in run.stdout.splitlines() if line.startswith("Order")]
    assert kinds[0] == "OrderIntended"
    assert kinds.count("OrderIntended") == 2  # the buy and the sell
    assert "OrderUpdated" in kinds
    assert kinds.count("OrderFilled") >= 2
    assert any(
        ln.startswith("OrderFilled") and " BUY " in f"{ln} " for ln in run.stdout.splitlines()
    )
    assert any(
        ln.startswith("OrderFilled") and " SELL " in f"{ln} " for ln in run.stdout.splitlines()
    )
    assert_ends_flat(run)


def test_stop_loss_triggers_on_the_simulator_and_sells_the_position(tmp_path: Path) -> None:
    run = run_bot(tmp_path, "stop_loss.py")
    (stop,) = run.of_type(OrderType.STOP_LOSS)
    assert stop.status is OrderStatus.FILLED
    assert "the stop triggered" in run.stdout
    assert_ends_flat(run, last_price=stop.executed_quote / stop.executed_qty)


def test_bracket_takes_profit_and_the_exchange_cancels_the_stop(tmp_path: Path) -> None:
    run = run_bot(tmp_path, "bracket.py")
    (take,) = run.of_type(OrderType.LIMIT, OrderType.LIMIT_MAKER)
    (stop,) = run.of_type(OrderType.STOP_LOSS_LIMIT)
    assert take.status is OrderStatus.FILLED
    assert stop.status in (OrderStatus.EXPIRED, OrderStatus.CANCELED)
    assert stop.executed_qty == 0
    assert_ends_flat(run)


def test_cancel_replace_moves_the_bid_and_leaves_nothing_open(tmp_path: Path) -> None:
    run = run_bot(tmp_path, "cancel_replace.py")
    first, replacement = run.of_type(OrderType.LIMIT, OrderType.LIMIT_MAKER)
    assert first.status is OrderStatus.CANCELED
    assert replacement.price is not None and first.price is not None
    assert replacement.price > first.price  # moved up towards the market
    assert replacement.status is OrderStatus.CANCELED
    assert f"replaced: {first.client_order_id} is CANCELED" in run.stdout
    assert_ends_flat(run)


def test_library_form_runs_as_a_plain_script_and_cancels_on_the_way_out(tmp_path: Path) -> None:
    run = _run(tmp_path, [sys.executable, str(EXAMPLES / "library_form.py")])
    (bid,) = run.orders
    assert bid.status is OrderStatus.CANCELED
    assert f"session closed: {bid.client_order_id} was cancelled" in run.stdout
    assert_ends_flat(run)


def test_market_maker_quotes_post_only_at_the_top_of_the_book_and_ends_flat(
    tmp_path: Path,
) -> None:
    from tradeguard.events import OrderIntended

    run = run_bot(tmp_path, "market_maker.py")
    quotes = run.of_type(OrderType.LIMIT)
    store = open_journal(tmp_path / "data" / "tradeguard" / "default.db", profile="default")
    try:
        intents = [e.intent for e in store.events() if isinstance(e, OrderIntended)]
    finally:
        store.close()
    post_only = {i.client_order_id for i in intents if i.post_only}
    assert len(quotes) >= 2 and {o.client_order_id for o in quotes} <= post_only
    filled = [o for o in quotes if o.status is OrderStatus.FILLED]
    assert {o.side for o in filled} == {Side.BUY, Side.SELL}
    assert "round 3: bid 0.001 at " in run.stdout
    # what the bot printed at its end (the panel's short line starts alike)
    (line,) = [ln for ln in run.stdout.splitlines() if ln.startswith("market data: ") and "(" in ln]
    assert "1 book snapshot" in line  # the book came from the stream after its one snapshot
    assert_ends_flat(run)


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_has_a_test_here(example: str) -> None:
    assert example.removesuffix(".py") in Path(__file__).read_text(encoding="utf-8")
