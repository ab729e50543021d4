"""Profiles: tradeguard.toml names them; each says which venue and rung to trade on, with which
limits, and where its credentials come from (never the credentials themselves).

    profile = load("default")                   # --config, $TRADEGUARD_CONFIG, ./tradeguard.toml,
                                                # $XDG_CONFIG_HOME/tradeguard/tradeguard.toml
    profile.env, profile.limits.max_order_notional, profile.caps, profile.credentials

With no file at all, the profile `default` runs on the embedded simulator. Every setting has a
safe default. A mistake is a ConfigError naming the file, the line and the fix; a secret found
in the file is a CredentialsError naming the line, never showing the value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Literal, get_args

from tradeguard import stages
from tradeguard.errors import ConfigError, CredentialsError
from tradeguard.journal import Durability
from tradeguard.keys.credentials import CredentialsSpec
from tradeguard.model import Symbol
from tradeguard.profile.gateway_keys import GatewayKeySpec
from tradeguard.profile.locate import FILE_NAME, config_candidates
from tradeguard.stages import Caps, Rung

Venue = Literal["binance", "bybit", "okx", "kraken"]
VENUES: tuple[Venue, ...] = get_args(Venue)
# venues with no spot testnet: a profile on `env = "testnet"` there is refused as it loads
NO_TESTNET: frozenset[Venue] = frozenset({"kraken"})
Mode = Literal["trade", "read-only"]
MODES: tuple[Mode, ...] = get_args(Mode)
# how orders reach Binance: REST, its WebSocket API, or FIX order entry (an Ed25519 key)
OrderTransport = Literal["rest", "ws", "fix"]
ORDER_TRANSPORTS: tuple[OrderTransport, ...] = get_args(OrderTransport)
DEFAULT = "default"
STALE_AFTER_S = 30.0  # market_stale_after_s (market.stream.MarketStreamConfig says the same)
MAX_STALE_AFTER_S = 3600


@dataclass(frozen=True, slots=True)
class Limits:
    """The risk guard's limits; money in the quote currency, positions in the base asset."""

    max_order_notional: Decimal = Decimal("100")
    max_position: Mapping[Symbol, Decimal] = field(
        default_factory=lambda: MappingProxyType({})
    )  # base-asset quantity per symbol
    max_position_notional: Decimal = Decimal("500")  # for a symbol without its own max_position
    max_open_orders: int = 10
    max_orders_per_minute: int = 30
    price_band_pct: Decimal = Decimal("2")  # a limit price this far from the market is refused
    daily_loss: Decimal = Decimal("50")
    drawdown_from_peak: Decimal = Decimal("100")

    def position_cap(self, symbol: Symbol) -> Decimal | None:
        """The symbol's own cap in base asset, or None (then max_position_notional applies)."""
        return self.max_position.get(symbol)


@dataclass(frozen=True, slots=True)
class Alerts:
    webhook: str | None = None  # POSTed a JSON body per alert
    command: tuple[str, ...] | None = None  # run with the alert as JSON on stdin
    min_interval_s: float = 60.0  # the same kind of alert at most this often


@dataclass(frozen=True, slots=True)
class Profile:
    name: str = DEFAULT
    venue: Venue = "binance"
    env: Rung = "sim"
    mode: Mode = "trade"
    symbols: tuple[Symbol, ...] = (Symbol("BTC", "USDT"),)
    journal: str = ""  # sqlite:///path or postgresql://...; "" means the profile's default file
    journal_durability: Durability = "crash"  # or "power-loss": see journal.store
    base_url: str | None = None  # override (a testnet mirror, a simulator); None: the venue's
    credentials: CredentialsSpec | None = None  # None on sim: the embedded exchange's own key
    limits: Limits = field(default_factory=Limits)
    alerts: Alerts = field(default_factory=Alerts)
    stage_caps: Mapping[Rung, Caps] = field(default_factory=lambda: MappingProxyType({}))
    cancel_on_exit: bool = True
    order_transport: OrderTransport = "rest"
    fix_url: str | None = None  # tcp+tls://host:port; None: Binance's for the rung, or the sim's
    fix_ca_file: Path | None = None  # a PEM certificate to trust for fix_url (a standalone sim)
    fix_drop_copy: bool = False  # a FIX drop-copy session cross-checking the fills booked
    fix_drop_copy_url: str | None = None  # its host beside fix_url (a standalone sim's fix_dc_url)
    reconcile_every_s: float = 300.0  # periodic reconciliation while trading; 0: only at start
    # no market-stream frame this long while subscribed: the stream is stale and replaced
    market_stale_after_s: float = STALE_AFTER_S
    key_age_warn_days: int = 180
    key_age_refuse_days: int = 365
    gateway_keys: tuple[GatewayKeySpec, ...] = ()  # the bots' local keys for `tradeguard gateway`
    source: Path | None = None  # the tradeguard.toml it came from; None for the built-in default

    def __post_init__(self) -> None:
        if not self.journal:
            from tradeguard.journal import default_path

            object.__setattr__(self, "journal", "sqlite://" + str(default_path(self.name)))
        caps = {
            rung: self.stage_caps.get(rung)
            or stages.default_caps(rung, self.limits.max_order_notional)
            for rung in stages.RUNGS
        }
        object.__setattr__(self, "stage_caps", MappingProxyType(caps))

    @property
    def ip_whitelist_required_for_live(self) -> Literal[True]:
        """Always: a live key without an IP restriction is refused (safety invariant 2)."""
        return True

    @property
    def read_only(self) -> bool:
        return self.mode == "read-only"

    @property
    def caps(self) -> Caps:
        """The caps of the rung this profile is on."""
        return self.stage_caps[self.env]

    def require_credentials(self) -> CredentialsSpec:
        """The credentials spec, or a CredentialsError saying how to add one."""
        if self.credentials is None:
            where = f" in {self.source}" if self.source is not None else ""
            upper = self.venue.upper()
            passphrase = f', passphrase = "{upper}_PASSPHRASE"' if self.venue == "okx" else ""
            raise CredentialsError(
                f"profile {self.name} on {self.env} has no credentials{where}",
                hint=f'add [profiles.{self.name}.credentials] with source = "env", '
                f'api_key = "{upper}_API_KEY", secret = "{upper}_API_SECRET"{passphrase} and '
                "export those variables",
            )
        return self.credentials


def builtin_default() -> Profile:
    """The profile used when there is no tradeguard.toml: Binance on the embedded simulator."""
    return Profile(name=DEFAULT)


def find_config(
    config: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Path | None:
    """The tradeguard.toml in force: --config, else $TRADEGUARD_CONFIG, else ./tradeguard.toml,
    else $XDG_CONFIG_HOME/tradeguard/tradeguard.toml; None if there is none. A file named
    explicitly (--config, $TRADEGUARD_CONFIG) must exist."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    candidates, explicit = config_candidates(config, env, cwd)
    for path in candidates:
        if path.is_file():
            return path
    if explicit:
        how = "--config" if config is not None else "$TRADEGUARD_CONFIG"
        raise ConfigError(
            f"{candidates[0]}: no such file (named by {how})",
            hint=f"give the path of an existing {FILE_NAME}, or leave {how} out",
        )
    return None


def load_all(
    config: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> dict[str, Profile]:
    """Every profile of the tradeguard.toml in force (just `default` when there is none)."""
    path = find_config(config, env=env, cwd=cwd)
    if path is None:
        return {DEFAULT: builtin_default()}
    return load_file(path)


def load_file(path: Path) -> dict[str, Profile]:
    """Every profile in one tradeguard.toml."""
    from tradeguard.profile.parse import parse_text

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text", hint="save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read it ({exc.strerror or type(exc).__name__})",
            hint="check the path and that it is readable by you",
        ) from None
    return parse_text(text, path)


def load(
    name: str | None = None,
    *,
    config: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Profile:
    """One profile: `name`, else $TRADEGUARD_PROFILE, else `default`."""
    env = os.environ if env is None else env
    wanted = name or env.get("TRADEGUARD_PROFILE") or DEFAULT
    path = find_config(config, env=env, cwd=cwd)
    if path is None:
        if wanted == DEFAULT:
            return builtin_default()
        raise ConfigError(
            f"there is no tradeguard.toml, so there is no profile {wanted!r}",
            hint=f"create ./{FILE_NAME} with [profiles.{wanted}], or pass --config PATH",
        )
    profiles = load_file(path)
    if wanted not in profiles:
        have = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(
            f"{path}: no profile {wanted!r} (it has: {have})",
            hint=f"add [profiles.{wanted}] to it, or choose one of those with --profile",
        )
    return profiles[wanted]
