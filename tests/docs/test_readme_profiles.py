"""README's "Profiles" section, where no test held a sentence: `reconcile_every_s = 0`
reconciles at start and after gaps only (no periodic round while trading), and any other
value runs one; with no tradeguard.toml a session is the default profile on the embedded
simulator."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

import tradeguard


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("TRADEGUARD_CONFIG", "TRADEGUARD_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("CONFIG", "DATA", "STATE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    return tmp_path


def _periodic_rounds() -> int:
    """Tasks running the periodic reconciliation loop."""
    names = [t.get_coro().__qualname__ for t in asyncio.all_tasks()]  # type: ignore[union-attr]
    return names.count("reconcile_every")


@pytest.mark.parametrize(("every", "rounds"), [(0, 0), (300, 1)])
async def test_reconcile_every_s_zero_runs_no_periodic_round(
    home: Path, every: int, rounds: int
) -> None:
    (home / "tradeguard.toml").write_text(
        f'[profiles.default]\nenv = "sim"\nreconcile_every_s = {every}\n', encoding="utf-8"
    )
    async with tradeguard.connect("default") as tg:
        assert tg.profile == "default"
        assert _periodic_rounds() == rounds


async def test_with_no_tradeguard_toml_the_default_profile_trades_on_the_simulator(
    home: Path,
) -> None:
    assert not (home / "tradeguard.toml").exists()
    async with tradeguard.connect(None) as tg:
        assert tg.profile == "default" and tg.sim is not None
        order = await tg.market_buy("BTC/USDT", qty="0.001")
        done = await tg.wait_for(order.client_order_id, timeout_s=20)
        assert done.executed_qty == Decimal("0.001")  # bought on the embedded simulator
        (placed,) = tg.sim.engine.all_orders("main", "BTCUSDT", limit=10)
        assert placed.client_order_id == order.client_order_id
