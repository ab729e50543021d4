"""The simulator's configuration: defaults, and `sim.toml` read strictly.

Every setting has a default, so `tradeguard sim` runs with no file at all. A file only names what
it changes. A mistake in the file (an unknown key, a wrong type, a price that is not a decimal)
is a `ConfigError` that names the file, the key and the fix; never a stack trace.

```toml
venue = "binance"          # the wire it speaks: "binance" (default), "bybit", "okx", "kraken"
seed = 7
clock = "manual"            # "wall" (default) or "manual": time moves only by control calls
start_ms = 1767225600000    # manual clock's start (default: the wall clock at start)
maker_commission = "0.001"
taker_commission = "0.001"

[[symbols]]                 # replaces the default symbols when present
symbol = "BTCUSDT"
base = "BTC"
quote = "USDT"
initial_price = "60000"
tick_size = "0.01"
step_size = "0.00001"

[balances.main]             # replaces the default balances when present
USDT = "100000"
BTC = "1"

builtin_keys = true         # the built-in keys (trade-only, read-only, ...); see sim/keys.py
[[keys]]                    # more keys: name, kind, permissions, allowed_ips, age_days, ...
name = "elsewhere"
allowed_ips = ["10.9.9.9"]

[limits]                    # Binance's defaults; lower them to test limits
request_weight_per_min = 6000  # also orders_per_10s, orders_per_day, first_ban_ms, ...

[market]
step_ms = 1000

[[faults]]                  # the FaultPlan's JSON form, applied at start
kind = "latency"
ms = 50
```
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tradeguard.errors import ConfigError
from tradeguard.sim import keys
from tradeguard.sim.dialects import VENUES
from tradeguard.sim.faults import FaultPlan
from tradeguard.sim.limits import RateLimits
from tradeguard.sim.records import EngineConfig, MarketParams, SymbolSpec

CLOCK_MODES = ("wall", "manual")


# Binance's published limits (limits.RateLimits); the name configuration code has used for them.
RateLimitSpec = RateLimits


def default_symbols() -> list[SymbolSpec]:
    return [
        SymbolSpec(
            symbol="BTCUSDT",
            base="BTC",
            quote="USDT",
            initial_price=Decimal("60000"),
            tick_size=Decimal("0.01"),
            step_size=Decimal("0.00001"),
            min_qty=Decimal("0.00001"),
            max_qty=Decimal("9000"),
        ),
        SymbolSpec(
            symbol="ETHUSDT",
            base="ETH",
            quote="USDT",
            initial_price=Decimal("3000"),
            tick_size=Decimal("0.01"),
            step_size=Decimal("0.0001"),
            min_qty=Decimal("0.0001"),
            max_qty=Decimal("9000"),
        ),
        SymbolSpec(
            symbol="ETHBTC",
            base="ETH",
            quote="BTC",
            initial_price=Decimal("0.05"),
            tick_size=Decimal("0.00001"),
            min_price=Decimal("0.00001"),
            max_price=Decimal("1000"),
            step_size=Decimal("0.0001"),
            min_qty=Decimal("0.0001"),
            max_qty=Decimal("100000"),
            min_notional=Decimal("0.0001"),
            max_notional=Decimal("9000"),
        ),
    ]


def default_balances() -> dict[str, dict[str, Decimal]]:
    return {"main": {"USDT": Decimal("100000"), "BTC": Decimal("1"), "ETH": Decimal("10")}}


@dataclass(slots=True)
class SimConfig:
    venue: str = "binance"
    seed: int = 1
    clock: str = "wall"
    start_ms: int | None = None
    symbols: list[SymbolSpec] = field(default_factory=default_symbols)
    balances: dict[str, dict[str, Decimal]] = field(default_factory=default_balances)
    maker_commission: Decimal = Decimal("0.001")
    taker_commission: Decimal = Decimal("0.001")
    market: MarketParams = field(default_factory=MarketParams)
    limits: RateLimits = field(default_factory=RateLimits)
    builtin_keys: bool = True
    keys: list[dict[str, Any]] = field(default_factory=list)  # sim/keys.keys_from_config entries
    faults: list[dict[str, Any]] = field(default_factory=list)
    source: str = "<defaults>"

    @classmethod
    def default(cls, seed: int = 1, **changes: Any) -> SimConfig:
        """The defaults, with `seed` and any field changed (tests: `clock="manual"`, ...)."""
        return dataclasses.replace(cls(seed=seed), **changes)

    def engine_config(self, start_ms: int) -> EngineConfig:
        return EngineConfig(
            symbols=[dataclasses.replace(s) for s in self.symbols],
            balances={a: dict(b) for a, b in self.balances.items()},
            maker_commission=self.maker_commission,
            taker_commission=self.taker_commission,
            market=dataclasses.replace(self.market),
            seed=self.seed,
            start_ms=start_ms,
        )


# ── reading sim.toml ──────────────────────────────────────────────────────────────────────────


class _Reader:
    """Reads one TOML table, naming the file and the dotted key in every complaint."""

    def __init__(self, source: str, table: dict[str, Any], where: str) -> None:
        self.source = source
        self.table = table
        self.where = where
        self.used: set[str] = set()

    def fail(self, key: str, problem: str, fix: str) -> ConfigError:
        name = f"{self.where}.{key}" if self.where else key
        return ConfigError(f"{self.source}: {name}: {problem}", hint=fix)

    def has(self, key: str) -> bool:
        return key in self.table

    def raw(self, key: str) -> Any:
        self.used.add(key)
        return self.table[key]

    def int_(self, key: str, default: int, minimum: int = 0) -> int:
        if key not in self.table:
            return default
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"{value!r} is not a whole number ≥ {minimum}", "write e.g. 1000")
        return value

    def bool_(self, key: str, default: bool) -> bool:
        if key not in self.table:
            return default
        value = self.raw(key)
        if not isinstance(value, bool):
            raise self.fail(key, f"{value!r} is not true or false", "write true or false")
        return value

    def str_(self, key: str, default: str | None, choices: tuple[str, ...] = ()) -> str:
        if key not in self.table:
            if default is None:
                raise self.fail(key, "is missing", f'add {key} = "..."')
            return default
        value = self.raw(key)
        if not isinstance(value, str) or not value or (choices and value not in choices):
            allowed = " or ".join(f'"{c}"' for c in choices) if choices else "a non-empty string"
            raise self.fail(key, f"{value!r} is not allowed", f"write {allowed}")
        return value

    def decimal(self, key: str, default: Decimal | None, positive: bool = False) -> Decimal:
        if key not in self.table:
            if default is None:
                raise self.fail(key, "is missing", f'add {key} = "1.5" (a decimal in quotes)')
            return default
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.fail(key, f"{value!r} is not a decimal", 'quote it, e.g. "0.01"')
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(key, f"{value!r} is not a decimal", 'write e.g. "0.01"') from None
        if not number.is_finite() or number < 0 or (positive and number == 0):
            raise self.fail(key, f"{value!r} is out of range", "use a positive decimal")
        return number

    def sub(self, key: str) -> _Reader:
        value = self.raw(key)
        if not isinstance(value, dict):
            raise self.fail(key, "is not a table", f"write it as [{key}]")
        return _Reader(self.source, value, f"{self.where}.{key}" if self.where else key)

    def tables(self, key: str) -> list[_Reader]:
        value = self.raw(key)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, "is not a list of tables", f"write each entry as [[{key}]]")
        prefix = f"{self.where}.{key}" if self.where else key
        return [_Reader(self.source, v, f"{prefix}[{i}]") for i, v in enumerate(value)]

    def done(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise self.fail(unknown[0], "is not a known setting", "check the spelling or remove it")


def load(path: Path | None, seed: int | None = None, venue: str | None = None) -> SimConfig:
    """The configuration from `path` (or the defaults); `seed` and `venue` override the file's."""
    config = SimConfig() if path is None else parse(_read(path), str(path))
    if seed is not None:
        config.seed = seed
    if venue is not None:
        if venue not in VENUES:
            raise ConfigError(
                f"unknown venue {venue!r}", hint=f"choose one of: {', '.join(VENUES)}"
            )
        config.venue = venue
    return config


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file", hint="check the --config path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it: {exc}", hint="check the file") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", hint="fix the syntax there") from None


def parse(document: dict[str, Any], source: str = "sim.toml") -> SimConfig:
    top = _Reader(source, document, "")
    config = SimConfig(source=source)
    config.venue = top.str_("venue", config.venue, VENUES)
    config.seed = top.int_("seed", config.seed)
    config.clock = top.str_("clock", config.clock, CLOCK_MODES)
    if top.has("start_ms"):
        config.start_ms = top.int_("start_ms", 0)
    config.maker_commission = top.decimal("maker_commission", config.maker_commission)
    config.taker_commission = top.decimal("taker_commission", config.taker_commission)
    if top.has("symbols"):
        config.symbols = [_symbol(r) for r in top.tables("symbols")]
        if not config.symbols:
            raise top.fail("symbols", "is empty", "list at least one [[symbols]]")
    if top.has("balances"):
        config.balances = _balances(top.sub("balances"))
    if top.has("market"):
        config.market = _market(top.sub("market"))
    if top.has("limits"):
        config.limits = _limits(top.sub("limits"))
    config.builtin_keys = top.bool_("builtin_keys", config.builtin_keys)
    if top.has("keys"):
        config.keys = [dict(r.table) for r in top.tables("keys")]
        _check_keys(config)
    if top.has("faults"):
        config.faults = [dict(r.table) for r in top.tables("faults")]
        try:
            FaultPlan.from_json(config.faults)
        except ValueError as exc:
            raise ConfigError(f"{source}: {exc}", hint="fix that [[faults]] entry") from None
    top.done()
    return config


def _symbol(r: _Reader) -> SymbolSpec:
    d = SymbolSpec(symbol="X", base="X", quote="X", initial_price=Decimal(1))
    spec = SymbolSpec(
        symbol=r.str_("symbol", None),
        base=r.str_("base", None),
        quote=r.str_("quote", None),
        initial_price=r.decimal("initial_price", None, positive=True),
        tick_size=r.decimal("tick_size", d.tick_size),
        min_price=r.decimal("min_price", d.min_price),
        max_price=r.decimal("max_price", d.max_price),
        step_size=r.decimal("step_size", d.step_size),
        min_qty=r.decimal("min_qty", d.min_qty),
        max_qty=r.decimal("max_qty", d.max_qty),
        market_min_qty=r.decimal("market_min_qty", d.market_min_qty),
        market_max_qty=r.decimal("market_max_qty", d.market_max_qty),
        market_step_size=r.decimal("market_step_size", d.market_step_size),
        min_notional=r.decimal("min_notional", d.min_notional),
        max_notional=r.decimal("max_notional", d.max_notional),
        apply_min_to_market=r.bool_("apply_min_to_market", d.apply_min_to_market),
        apply_max_to_market=r.bool_("apply_max_to_market", d.apply_max_to_market),
        iceberg_parts=r.int_("iceberg_parts", d.iceberg_parts, 1),
        max_num_orders=r.int_("max_num_orders", d.max_num_orders, 1),
        base_precision=r.int_("base_precision", d.base_precision),
        quote_precision=r.int_("quote_precision", d.quote_precision),
        status=r.str_("status", d.status),
    )
    if spec.symbol != spec.base + spec.quote:
        raise r.fail("symbol", f"{spec.symbol!r} is not base + quote", "e.g. BTC + USDT = BTCUSDT")
    r.done()
    return spec


def _balances(r: _Reader) -> dict[str, dict[str, Decimal]]:
    balances: dict[str, dict[str, Decimal]] = {}
    for account in list(r.table):
        assets = r.sub(account)
        balances[account] = {a: assets.decimal(a, None) for a in list(assets.table)}
        assets.done()
    r.done()
    return balances


def _market(r: _Reader) -> MarketParams:
    d = MarketParams()
    market = MarketParams(
        step_ms=r.int_("step_ms", d.step_ms, 1),
        volatility_bps=r.decimal("volatility_bps", d.volatility_bps),
        half_spread_ticks=r.int_("half_spread_ticks", d.half_spread_ticks, 1),
        levels=r.int_("levels", d.levels, 1),
        level_gap_ticks=r.int_("level_gap_ticks", d.level_gap_ticks, 1),
        level_qty_quote=r.decimal("level_qty_quote", d.level_qty_quote),
        replenish_per_step=r.decimal("replenish_per_step", d.replenish_per_step),
        flow_qty_quote=r.decimal("flow_qty_quote", d.flow_qty_quote),
    )
    r.done()
    return market


def _limits(r: _Reader) -> RateLimits:
    d = RateLimits()
    limits = RateLimits(
        request_weight_per_min=r.int_("request_weight_per_min", d.request_weight_per_min, 1),
        orders_per_10s=r.int_("orders_per_10s", d.orders_per_10s, 1),
        orders_per_day=r.int_("orders_per_day", d.orders_per_day, 1),
        raw_requests_per_5min=r.int_("raw_requests_per_5min", d.raw_requests_per_5min, 1),
        first_ban_ms=r.int_("first_ban_ms", d.first_ban_ms, 1),
        max_ban_ms=r.int_("max_ban_ms", d.max_ban_ms, 1),
        forgive_after_ms=r.int_("forgive_after_ms", d.forgive_after_ms, 1),
    )
    if limits.first_ban_ms > limits.max_ban_ms:
        raise r.fail("first_ban_ms", "is longer than max_ban_ms", "make it at most max_ban_ms")
    r.done()
    return limits


def _check_keys(config: SimConfig) -> None:
    """Build the configured keys once, so a mistake is reported now, naming the field."""
    try:
        build_keys(config, now_ms=0)
    except keys.KeyConfigError as exc:
        raise ConfigError(f"{config.source}: {exc}", hint="fix that key's entry") from None


def build_keys(config: SimConfig, now_ms: int) -> list[keys.ApiKey]:
    """The built-in keys (unless turned off) followed by the configured ones."""
    built = keys.builtin_keys(config.seed, now_ms) if config.builtin_keys else []
    extra = keys.keys_from_config(config.keys, seed=config.seed, now_ms=now_ms)
    names = {k.name for k in built}
    for k in extra:
        if k.name in names:
            raise keys.KeyConfigError("keys", f"{k.name!r} is already a built-in key's name")
    return built + extra
