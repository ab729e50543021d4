"""sim.toml: defaults, strict reading, and mistakes reported with the file, the key and the fix."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tradeguard.errors import ConfigError
from tradeguard.sim import config


def test_defaults_run_without_a_file() -> None:
    c = config.load(None)
    assert c.clock == "wall"
    assert [s.symbol for s in c.symbols][:2] == ["BTCUSDT", "ETHUSDT"]
    btc = c.symbols[0]
    assert btc.tick_size == Decimal("0.01") and btc.step_size == Decimal("0.00001")
    assert c.balances["main"] == {
        "USDT": Decimal("100000"),
        "BTC": Decimal("1"),
        "ETH": Decimal("10"),
    }
    assert c.limits.request_weight_per_min == 6000
    assert c.limits.orders_per_10s == 50


def test_default_with_changes_for_tests() -> None:
    c = config.SimConfig.default(seed=9, clock="manual", start_ms=5)
    assert (c.seed, c.clock, c.start_ms) == (9, "manual", 5)


def test_file_settings_and_seed_override(tmp_path: Path) -> None:
    path = tmp_path / "sim.toml"
    path.write_text(
        """
seed = 3
clock = "manual"
start_ms = 1767225600000
maker_commission = "0.0005"

[[symbols]]
symbol = "SOLUSDT"
base = "SOL"
quote = "USDT"
initial_price = "150"
step_size = "0.01"

[balances.main]
USDT = "500"

[limits]
request_weight_per_min = 40

[market]
step_ms = 250

[[keys]]
name = "elsewhere"
allowed_ips = ["10.9.9.9"]

[[faults]]
kind = "latency"
ms = 5
""",
        encoding="utf-8",
    )
    c = config.load(path, seed=11)
    assert c.seed == 11  # the command line wins over the file
    assert c.clock == "manual" and c.start_ms == 1767225600000
    assert c.maker_commission == Decimal("0.0005")
    assert [s.symbol for s in c.symbols] == ["SOLUSDT"]
    assert c.symbols[0].step_size == Decimal("0.01")
    assert c.balances == {"main": {"USDT": Decimal("500")}}
    assert c.limits.request_weight_per_min == 40
    assert c.market.step_ms == 250
    assert c.faults == [{"kind": "latency", "ms": 5}]
    names = [k.name for k in config.build_keys(c, now_ms=1_000_000)]
    assert "trade-only" in names and names[-1] == "elsewhere"
    engine_config = c.engine_config(start_ms=42)
    assert engine_config.start_ms == 42 and engine_config.seed == 11


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"sede": 1}, "sede"),
        ({"clock": "sundial"}, "clock"),
        ({"seed": "one"}, "seed"),
        ({"limits": {"request_weight_per_min": 0}}, "limits.request_weight_per_min"),
        ({"limits": {"weight": 1}}, "limits.weight"),
        ({"balances": {"main": {"USDT": 1.5}}}, "balances.main.USDT"),
        ({"balances": {"main": {"USDT": "lots"}}}, "balances.main.USDT"),
        (
            {"symbols": [{"symbol": "BTCUSDT", "base": "BTC", "quote": "USDT"}]},
            "symbols[0].initial_price",
        ),
        (
            {"symbols": [{"symbol": "X", "base": "BTC", "quote": "USDT", "initial_price": "1"}]},
            "symbols[0].symbol",
        ),
        ({"keys": [{"name": "k", "permissions": ["FLY"]}]}, "keys[0].permissions"),
        ({"keys": [{"name": "trade-only"}]}, "trade-only"),
        ({"market": {"step_ms": -1}}, "market.step_ms"),
    ],
)
def test_mistakes_name_the_file_and_the_key(document: dict[str, object], where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config.parse(document, "conf/sim.toml")
    text = str(caught.value)
    assert text.startswith("conf/sim.toml: ")
    assert where in text
    assert caught.value.hint  # and what to do about it


def test_unreadable_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        config.load(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("seed = = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not valid TOML.*line 1"):
        config.load(broken)
