"""Reading tradeguard.toml into Profiles: every key checked, every mistake named with its line.

Secrets are looked for first, before any other check, so that no later message can carry one:
a PEM block anywhere, and any value under `credentials` (or under a key named like a secret)
that looks like key material rather than a name. Values under `credentials` are never shown.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from tradeguard import stages
from tradeguard.errors import ConfigError, CredentialsError
from tradeguard.journal import DURABILITIES
from tradeguard.keys.credentials import CREDENTIAL_SOURCES, DEFAULT_KEYRING_SERVICE, CredentialsSpec
from tradeguard.keys.shape import looks_like_secret
from tradeguard.model import Symbol
from tradeguard.profile.fix_host import FIX_KEYS, fix_host
from tradeguard.profile.gateway_keys import GatewayTable
from tradeguard.profile.profiles import (
    MAX_STALE_AFTER_S,
    MODES,
    ORDER_TRANSPORTS,
    STALE_AFTER_S,
    VENUES,
    Alerts,
    Limits,
    OrderTransport,
    Profile,
)
from tradeguard.profile.values import Path_, dotted, example, http_url
from tradeguard.stages import Caps, Rung
from tradeguard.venues.binance.signing import KEY_KINDS

_PROFILE_KEYS = (
    "venue", "env", "mode", "symbols", "journal", "journal_durability", "base_url", "credentials",
    "limits", "alerts", "stages", "cancel_on_exit", "reconcile_every_s", "key_age_warn_days",
    "key_age_refuse_days", "ip_whitelist_required_for_live", "order_transport",
    "market_stale_after_s", "gateway", *FIX_KEYS,
)  # fmt: skip
_CREDENTIAL_KEYS = (
    "source", "api_key", "secret", "private_key", "passphrase", "kind", "keyring_service",
)  # fmt: skip
_LIMIT_KEYS = (
    "max_order_notional", "max_position", "max_position_notional", "max_open_orders",
    "max_orders_per_minute", "price_band_pct", "daily_loss", "drawdown_from_peak",
)  # fmt: skip
_ALERT_KEYS = ("webhook", "command", "min_interval_s")
_CAPS_KEYS = ("max_order_notional", "daily_notional")
_SECRET_NAMES = re.compile(r"secret|passphrase|password|private|api_?key|token", re.IGNORECASE)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYRING_NAME = re.compile(r"[\w.@:+-]{1,128}")
_PROFILE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def parse_text(text: str, source: Path) -> dict[str, Profile]:
    """Every profile in the text of a tradeguard.toml at `source`."""
    return _Parser(text, source).profiles()


class _Parser(GatewayTable):
    # ── the document ─────────────────────────────────────────────────────────────────────────

    def profiles(self) -> dict[str, Profile]:
        pem = self.index.first_line_with("-----BEGIN")
        if pem is not None:
            raise CredentialsError(
                f"{self.source}:{pem}: a PEM block is in the file; tradeguard.toml must never "
                "hold a key",
                hint="delete it, keep the key in a 0600 file outside any repository, and set "
                'credentials.private_key = "PATH" with source = "file"',
            )
        try:
            doc = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"{self.source}: not valid TOML: {exc}", hint="fix the syntax at that line"
            ) from None
        self.scan_secrets(doc, ())
        self.keys((), doc, ("profiles",))
        table = doc.get("profiles", {})
        if not isinstance(table, dict):
            self.fail(("profiles",), "must be a table", "write [profiles.NAME] sections")
        return {name: self.profile(name, body) for name, body in table.items()}

    def scan_secrets(self, value: object, path: Path_) -> None:
        under_credentials = len(path) >= 3 and path[2] == "credentials"
        if isinstance(value, dict):
            for key, item in value.items():
                self.scan_secrets(item, (*path, key))
        elif isinstance(value, list):
            for item in value:
                self.scan_secrets(item, path)
        elif (
            isinstance(value, str)
            and (under_credentials or _SECRET_NAMES.search(path[-1]))
            and looks_like_secret(value)
        ):
            self.secret_found(path)

    # ── one profile ──────────────────────────────────────────────────────────────────────────

    def profile(self, name: str, body: object) -> Profile:
        path: Path_ = ("profiles", name)
        if not _PROFILE_NAME.fullmatch(name):
            self.fail(path, "bad profile name", "use letters, digits, '-' and '_' only")
        if not isinstance(body, dict):
            self.fail(path, "must be a table", f"write [profiles.{name}] and settings under it")
        self.keys(path, body, _PROFILE_KEYS)
        venue = self.choice((*path, "venue"), body.get("venue", "binance"), VENUES)
        env = self.choice((*path, "env"), body.get("env", "sim"), stages.RUNGS)
        if body.get("ip_whitelist_required_for_live", True) is not True:
            self.fail(
                (*path, "ip_whitelist_required_for_live"),
                "cannot be turned off: live trading needs an IP-restricted key",
                "delete this line, and restrict the key to your IP on the exchange",
            )
        limits = self.limits((*path, "limits"), body.get("limits", {}), body)
        warn = self.count((*path, "key_age_warn_days"), body.get("key_age_warn_days", 180))
        refuse = self.count((*path, "key_age_refuse_days"), body.get("key_age_refuse_days", 365))
        if warn >= refuse:
            self.fail(
                (*path, "key_age_warn_days"),
                f"warns at {warn} days but refuses at {refuse}",
                "make key_age_warn_days smaller than key_age_refuse_days",
            )
        return Profile(
            name=name,
            venue=venue,
            env=env,
            mode=self.choice((*path, "mode"), body.get("mode", "trade"), MODES),
            symbols=self.symbols((*path, "symbols"), body.get("symbols", ["BTC/USDT"])),
            journal=self.journal((*path, "journal"), body.get("journal")),
            journal_durability=self.choice(
                (*path, "journal_durability"), body.get("journal_durability", "crash"), DURABILITIES
            ),
            base_url=self.base_url((*path, "base_url"), body.get("base_url"), env),
            credentials=self.credentials(name, venue, body.get("credentials")),
            limits=limits,
            alerts=self.alerts((*path, "alerts"), body.get("alerts", {})),
            stage_caps=self.stage_caps((*path, "stages"), body.get("stages", {}), limits),
            cancel_on_exit=self.flag((*path, "cancel_on_exit"), body.get("cancel_on_exit", True)),
            order_transport=self.order_transport((*path, "order_transport"), body, venue),
            **fix_host(self, path, body, env)._asdict(),
            reconcile_every_s=self.reconcile_every((*path, "reconcile_every_s"), body),
            market_stale_after_s=self.market_stale_after((*path, "market_stale_after_s"), body),
            key_age_warn_days=warn,
            key_age_refuse_days=refuse,
            gateway_keys=self.gateway_keys(name, body.get("gateway")),
            source=self.source,
        )

    def order_transport(self, path: Path_, body: dict[str, Any], venue: str) -> OrderTransport:
        chosen = self.choice(path, body.get("order_transport", "rest"), ORDER_TRANSPORTS)
        if chosen in ("ws", "fix") and venue != "binance":
            wire = "WebSocket API" if chosen == "ws" else "FIX order entry"
            self.fail(
                path,
                f'"{chosen}" is Binance\'s {wire}, and this profile trades on {venue}',
                "delete this line (orders on that venue go through ccxt)",
            )
        return chosen

    def reconcile_every(self, path: Path_, body: Mapping[str, Any]) -> float:
        every = body.get("reconcile_every_s", 300)
        if isinstance(every, bool) or not isinstance(every, int | float) or every < 0:
            self.fail(path, "must be a number of seconds >= 0", "write reconcile_every_s = 300")
        if 0 < every < 10:
            self.fail(
                path,
                "is under 10 s: each round costs request weight (open orders, trades, balances)",
                "write reconcile_every_s = 300, or 0 to reconcile only at start and after gaps",
            )
        return float(every)

    def market_stale_after(self, path: Path_, body: Mapping[str, Any]) -> float:
        after = body.get("market_stale_after_s", STALE_AFTER_S)
        if isinstance(after, bool) or not isinstance(after, int | float):
            self.fail(path, "must be a number of seconds", "write market_stale_after_s = 30")
        if after < 1:
            self.fail(
                path,
                "is under 1 s: a quiet market would be taken for a dead stream, over and over",
                "write market_stale_after_s = 30",
            )
        if after > MAX_STALE_AFTER_S:
            self.fail(
                path,
                "is over an hour: a dead market stream would go unnoticed that long",
                "write market_stale_after_s = 30",
            )
        return float(after)

    def symbols(self, path: Path_, value: object) -> tuple[Symbol, ...]:
        if not isinstance(value, list) or not value:
            self.fail(path, "must be a non-empty list", 'write symbols = ["BTC/USDT"]')
        out: list[Symbol] = []
        for item in value:
            symbol = self.symbol(path, item)
            if symbol in out:
                self.fail(path, f"{symbol} is listed twice", "list each symbol once")
            out.append(symbol)
        return tuple(out)

    def symbol(self, path: Path_, value: object) -> Symbol:
        if not isinstance(value, str):
            self.fail(path, f"{value!r} is not a symbol", 'write symbols as "BASE/QUOTE" strings')
        try:
            return Symbol.parse(value)
        except ConfigError as exc:
            self.fail(path, exc.message, exc.hint or 'write it like "BTC/USDT"')

    def journal(self, path: Path_, value: object) -> str:
        if value is None:
            return ""
        fix = 'write journal = "sqlite:///~/tradeguard/NAME.db" or "postgresql://host/db"'
        if not isinstance(value, str):
            self.fail(path, "must be a string", fix)
        if value.startswith(("postgresql://", "postgres://")):
            if urlsplit(value).password is not None:
                self.secret_found(path, "holds a database password")
            return value
        if not value.startswith("sqlite://") or value in ("sqlite://", "sqlite:///"):
            self.fail(path, "is neither a sqlite:/// nor a postgresql:// URL", fix)
        rest = value.removeprefix("sqlite://")
        rest = rest[1:] if rest.startswith("/~") else rest
        file = Path(rest).expanduser()
        return "sqlite://" + str(file if file.is_absolute() else self.source.parent / file)

    def base_url(self, path: Path_, value: object, env: Rung) -> str | None:
        if value is None:
            return None
        fix = 'write base_url = "https://testnet.binance.vision" or leave it out'
        if not isinstance(value, str):
            self.fail(path, "must be a string", fix)
        url = http_url(value)
        if url is None:
            self.fail(path, "is not an http(s) URL", fix)
        if url.username is not None or url.password is not None:
            self.secret_found(path, "holds a user name or password")
        if env in ("live-small", "live") and url.scheme != "https":
            self.fail(path, f"{env} needs https", "use the exchange's https:// address")
        return value.rstrip("/")

    # ── credentials (values never shown: a name may be a pasted secret) ──────────────────────

    def credentials(self, profile: str, venue: str, body: object) -> CredentialsSpec | None:
        path: Path_ = ("profiles", profile, "credentials")
        if body is None:
            return None
        if not isinstance(body, dict):
            self.fail(path, "must be a table", f"write [profiles.{profile}.credentials]")
        self.keys(path, body, _CREDENTIAL_KEYS)
        for key, value in body.items():
            if not isinstance(value, str) or not value.strip():
                self.fail((*path, key), "must be a non-empty string", "write it in quotes")
        source = self.choice((*path, "source"), body.get("source", "env"), CREDENTIAL_SOURCES)
        names = {
            k: body[k] for k in ("api_key", "secret", "private_key", "passphrase") if k in body
        }
        for key, name in names.items():
            self.credential_name((*path, key), source, name)
        if "api_key" not in names:
            self.fail(path, "api_key is missing", f"add api_key = {example(source, 'API_KEY')}")
        if ("secret" in names) == ("private_key" in names):
            self.fail(
                path,
                "needs exactly one of secret (HMAC) and private_key (Ed25519/RSA PEM)",
                f"add secret = {example(source, 'API_SECRET')}, or private_key for a PEM key",
            )
        if venue != "binance" and "private_key" in names:
            self.fail((*path, "private_key"), f"{venue} signs with a secret", "use secret = ...")
        if venue == "okx" and "passphrase" not in names:
            self.fail(
                path,
                "okx needs a passphrase",
                f"add passphrase = {example(source, 'OKX_PASSPHRASE')}",
            )
        if venue != "okx" and "passphrase" in names:
            self.fail((*path, "passphrase"), f"{venue} has no passphrase", "delete this line")
        kind = body.get("kind")
        if kind is not None:
            kind = self.choice((*path, "kind"), kind.upper(), KEY_KINDS)
        return CredentialsSpec(
            profile=profile,
            source=source,
            api_key=names["api_key"],
            secret=names.get("secret"),
            private_key=names.get("private_key"),
            passphrase=names.get("passphrase"),
            kind=kind,
            keyring_service=body.get("keyring_service", DEFAULT_KEYRING_SERVICE),
        )

    def credential_name(self, path: Path_, source: str, name: str) -> None:
        if source == "env" and not _ENV_NAME.fullmatch(name):
            raise CredentialsError(
                f"{self.where(path)}: {dotted(path)} is not an environment variable name "
                "(it is not shown, in case it is a secret)",
                hint=f"write the variable's name, like {example(source, path[-1].upper())}, "
                "and export the value in that variable",
            )
        if source == "keyring" and not _KEYRING_NAME.fullmatch(name):
            raise CredentialsError(
                f"{self.where(path)}: {dotted(path)} is not a keyring entry name "
                "(it is not shown, in case it is a secret)",
                hint='name the entry, like "binance-main", and store the value with '
                "`keyring set tradeguard binance-main`",
            )

    # ── limits, alerts, stages ───────────────────────────────────────────────────────────────

    def limits(self, path: Path_, body: object, profile: Mapping[str, Any]) -> Limits:
        if not isinstance(body, dict):
            self.fail(path, "must be a table", f"write [{dotted(path)}]")
        self.keys(path, body, _LIMIT_KEYS)
        defaults = Limits()
        symbols = set(self.symbols((*path[:2], "symbols"), profile.get("symbols", ["BTC/USDT"])))
        positions: dict[Symbol, Decimal] = {}
        table = body.get("max_position", {})
        if not isinstance(table, dict):
            self.fail((*path, "max_position"), "must be a table", 'write { "BTC/USDT" = "0.05" }')
        for key, value in table.items():
            symbol = self.symbol((*path, "max_position", key), key)
            if symbol not in symbols:
                self.fail(
                    (*path, "max_position", key),
                    f"{symbol} is not in symbols",
                    "add it to symbols or delete it",
                )
            positions[symbol] = self.money((*path, "max_position", key), value)

        def money(key: str) -> Decimal:
            default: Decimal = getattr(defaults, key)
            return self.money((*path, key), body.get(key, default))

        return Limits(
            max_order_notional=money("max_order_notional"),
            max_position=MappingProxyType(positions),
            max_position_notional=money("max_position_notional"),
            max_open_orders=self.count(
                (*path, "max_open_orders"), body.get("max_open_orders", defaults.max_open_orders)
            ),
            max_orders_per_minute=self.count(
                (*path, "max_orders_per_minute"),
                body.get("max_orders_per_minute", defaults.max_orders_per_minute),
            ),
            price_band_pct=money("price_band_pct"),
            daily_loss=money("daily_loss"),
            drawdown_from_peak=money("drawdown_from_peak"),
        )

    def alerts(self, path: Path_, body: object) -> Alerts:
        if not isinstance(body, dict):
            self.fail(path, "must be a table", f"write [{dotted(path)}]")
        self.keys(path, body, _ALERT_KEYS)
        webhook = body.get("webhook")
        if webhook is not None:
            url = http_url(webhook) if isinstance(webhook, str) else None
            if url is None or (url.scheme != "https" and url.hostname not in _LOOPBACK):
                self.fail(
                    (*path, "webhook"), "must be an https:// URL", 'write webhook = "https://..."'
                )
        command = body.get("command")
        argv: tuple[str, ...] | None = None
        if isinstance(command, str):
            argv = tuple(shlex.split(command))
        elif isinstance(command, list) and all(isinstance(a, str) for a in command):
            argv = tuple(command)
        elif command is not None:
            self.fail(
                (*path, "command"),
                "must be a string or a list of strings",
                'write command = ["notify-send", "tradeguard"]',
            )
        if argv == ():
            self.fail((*path, "command"), "is empty", "give a program to run, or delete the line")
        interval = body.get("min_interval_s", 60)
        if isinstance(interval, bool) or not isinstance(interval, int | float) or interval < 0:
            self.fail(
                (*path, "min_interval_s"),
                "must be a number of seconds >= 0",
                "write min_interval_s = 60",
            )
        return Alerts(webhook=webhook, command=argv, min_interval_s=float(interval))

    def stage_caps(self, path: Path_, body: object, limits: Limits) -> dict[Rung, Caps]:
        if not isinstance(body, dict):
            self.fail(path, "must be a table", f'write [{dotted(path)}."live-small"]')
        self.keys(path, body, stages.RUNGS)
        out: dict[Rung, Caps] = {}
        for rung in stages.RUNGS:
            table = body.get(rung)
            if table is None:
                continue
            where = (*path, rung)
            if not isinstance(table, dict):
                self.fail(where, "must be a table", "write max_order_notional and daily_notional")
            self.keys(where, table, _CAPS_KEYS)
            base = stages.default_caps(rung, limits.max_order_notional)
            caps = Caps(
                self.money(
                    (*where, "max_order_notional"),
                    table.get("max_order_notional", base.max_order_notional),
                ),
                self.money(
                    (*where, "daily_notional"), table.get("daily_notional", base.daily_notional)
                ),
            )
            problem = stages.caps_problem(rung, caps)
            if problem is not None:
                key = next(iter(table), None)
                self.fail(where if key is None else (*where, key), *problem)
            out[rung] = caps
        return out
