"""Reading tradeguard.toml into Profiles: every key checked, every mistake named with its line.

This module reads the document and a profile's own keys; its tables are read by the parser's
parts, each in a module of its own: credentials (credential_keys.py), symbols, limits, alerts
and stages (limit_keys.py), the FIX keys (fix_host.py), the gateway's keys (gateway_keys.py).

Secrets are looked for first, before any other check, so that no later message can carry one:
a PEM block anywhere, and any value under `credentials` (or under a key named like a secret)
that looks like key material rather than a name. Values under `credentials` are never shown.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tradeguard import stages
from tradeguard.errors import ConfigError, CredentialsError
from tradeguard.journal import DURABILITIES
from tradeguard.keys.shape import looks_like_secret
from tradeguard.profile.fix_host import FIX_KEYS, fix_host
from tradeguard.profile.gateway_keys import GatewayTable
from tradeguard.profile.limit_keys import LimitTables
from tradeguard.profile.profiles import (
    MAX_STALE_AFTER_S,
    MODES,
    NO_TESTNET,
    ORDER_TRANSPORTS,
    STALE_AFTER_S,
    VENUES,
    OrderTransport,
    Profile,
)
from tradeguard.profile.stale_window import too_short
from tradeguard.profile.values import Path_, http_url
from tradeguard.stages import Rung

_PROFILE_KEYS = (
    "venue", "env", "mode", "symbols", "journal", "journal_durability", "base_url", "credentials",
    "limits", "alerts", "stages", "cancel_on_exit", "reconcile_every_s", "key_age_warn_days",
    "key_age_refuse_days", "ip_whitelist_required_for_live", "order_transport",
    "market_stale_after_s", "gateway", *FIX_KEYS,
)  # fmt: skip
_SECRET_NAMES = re.compile(r"secret|passphrase|password|private|api_?key|token", re.IGNORECASE)
_PROFILE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def parse_text(text: str, source: Path) -> dict[str, Profile]:
    """Every profile in the text of a tradeguard.toml at `source`."""
    return _Parser(text, source).profiles()


class _Parser(LimitTables, GatewayTable):
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
        if env == "testnet" and venue in NO_TESTNET and body.get("base_url") is None:
            self.fail(  # (a base_url names a simulator that stands in for one)
                (*path, "env"),
                f"{venue} has no testnet",
                'use env = "sim" first, then live-small (tradeguard promote)',
            )
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
            market_stale_after_s=self.market_stale_after(
                (*path, "market_stale_after_s"), body, venue
            ),
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

    def market_stale_after(self, path: Path_, body: Mapping[str, Any], venue: str) -> float:
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
        short = too_short(venue, after)
        if short is not None:
            why, floor = short
            self.fail(path, why, f"write market_stale_after_s = {floor:g} or more (30 is usual)")
        return float(after)

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
