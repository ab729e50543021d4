"""freqtrade, unmodified, trading live (dry_run off) on the simulator for a bounded time.

freqtrade runs from its own venv (it pins its own ccxt, aiohttp and pandas): create it with
`scripts/freqtrade-venv`, or point $TRADEGUARD_FREQTRADE_VENV at one. Without it the test
skips and says the command. The simulator is embedded in the test's event loop; freqtrade
reaches it only through ccxt's URL settings, with the built-in trade-only key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tradeguard.sim import server
from tradeguard.sim.config import SimConfig

pytestmark = pytest.mark.realclient

ROOT = Path(__file__).resolve().parents[2]
VENV_VARIABLE = "TRADEGUARD_FREQTRADE_VENV"
STRATEGY = Path(__file__).with_name("quick_flip.py")
RUN_FOR_S = 150  # the most the bot gets to place and fill one buy and one sell
STOP_S = 30


def _freqtrade() -> Path:
    venv = Path(os.environ.get(VENV_VARIABLE, ROOT / ".venv-freqtrade"))
    exe = venv / "bin" / "freqtrade"
    if not exe.exists():
        pytest.skip(
            f"freqtrade's venv is absent ({venv}): create it with `scripts/freqtrade-venv`"
            f" (python3 -m venv {venv} && {venv}/bin/pip install freqtrade==2026.9),"
            f" or set ${VENV_VARIABLE} to one"
        )
    return exe


def _config(running: Any, workdir: Path) -> dict[str, Any]:
    """A plain freqtrade config: only URLs and ccxt's market types say 'not binance.com'."""
    key = next(k for k in running.key_listing if k["name"] == "trade-only")
    base = running.base_url
    ccxt = {
        "urls": {
            "api": {
                "public": f"{base}/api/v3",
                "private": f"{base}/api/v3",
                "v1": f"{base}/api/v1",
                "sapi": f"{base}/sapi/v1",
                "ws": {"spot": running.stream_url},
            }
        },
        # The simulator is Binance Spot: no fapi/dapi exchangeInfo to list futures from.
        "options": {"fetchMarkets": {"types": ["spot"]}},
    }
    strategies = workdir / "user_data" / "strategies"
    strategies.mkdir(parents=True)
    (strategies / STRATEGY.name).write_text(STRATEGY.read_text())
    return {
        "dry_run": False,
        "max_open_trades": 2,
        "stake_currency": "USDT",
        "stake_amount": 50,
        "timeframe": "1m",
        "cancel_open_orders_on_exit": True,
        "entry_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "exit_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "order_types": {
            "entry": "market",
            "exit": "market",
            "stoploss": "market",
            "stoploss_on_exchange": False,
        },
        "exchange": {
            "name": "binance",
            "key": key["api_key"],
            "secret": key["secret"],
            "ccxt_config": ccxt,
            "ccxt_async_config": ccxt,
            "pair_whitelist": ["BTC/USDT", "ETH/USDT"],
            "pair_blacklist": [],
        },
        "pairlists": [{"method": "StaticPairList"}],
        "initial_state": "running",
        "internals": {"process_throttle_secs": 2},
        "db_url": f"sqlite:///{workdir / 'trades.sqlite'}",
        "user_data_dir": str(workdir / "user_data"),
        "strategy": "QuickFlip",
    }


def _filled_sides(db: Path) -> list[str]:
    """The sides of freqtrade's closed (filled) orders, as its database holds them."""
    if not db.exists():
        return []
    try:
        with contextlib.closing(sqlite3.connect(db, timeout=1)) as conn:
            rows = conn.execute(
                "SELECT ft_order_side FROM orders WHERE status = 'closed' AND filled > 0"
            ).fetchall()
    except sqlite3.OperationalError:  # freqtrade has not created its tables yet
        return []
    return [str(side) for (side,) in rows]


def _exchange_errors(log: Path) -> list[str]:
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return [
        line
        for line in lines
        if " - ERROR - " in line or (" - WARNING - freqtrade.exchange" in line)
    ]


async def test_freqtrade_buys_and_sells_on_the_simulator(tmp_path: Path) -> None:
    exe = _freqtrade()
    running = await server.start(SimConfig.default(seed=11))
    config_file, log, db = (
        tmp_path / "config.json",
        tmp_path / "freqtrade.log",
        tmp_path / "trades.sqlite",
    )
    try:
        config_file.write_text(json.dumps(_config(running, tmp_path)))
        with (tmp_path / "stdout.txt").open("wb") as out:
            bot = await asyncio.create_subprocess_exec(
                str(exe), "trade", "-c", str(config_file), "--logfile", str(log),
                cwd=tmp_path, stdout=out, stderr=out,
            )  # fmt: skip
            try:
                loop = asyncio.get_running_loop()
                deadline = loop.time() + RUN_FOR_S
                while loop.time() < deadline and bot.returncode is None:
                    sides = _filled_sides(db)
                    if "buy" in sides and "sell" in sides:
                        break
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(bot.wait(), 1)
            finally:
                if bot.returncode is None:
                    bot.send_signal(signal.SIGINT)  # freqtrade's own clean stop
                    try:
                        await asyncio.wait_for(bot.wait(), STOP_S)
                    except TimeoutError:
                        bot.kill()
                        await bot.wait()
        placed = running.sim.requests.counts["POST /api/v3/order"]
    finally:
        await running.close()
    sides = _filled_sides(db)
    assert "buy" in sides and "sell" in sides, (
        f"freqtrade filled {sides} within {RUN_FOR_S}s; {_exchange_errors(log)[:3]}; log: {log}"
    )
    assert placed >= 2
    assert _exchange_errors(log) == []
