"""A profile's symbols and what bounds trading on them: `symbols`, the `[profiles.NAME.limits]`
table (money as Decimal strings), `[profiles.NAME.alerts]` (a webhook, a command) and
`[profiles.NAME.stages.RUNG]` (each rung's caps, never above the rung's ceiling).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from tradeguard import stages
from tradeguard.errors import ConfigError
from tradeguard.model import Symbol
from tradeguard.profile.profiles import Alerts, Limits
from tradeguard.profile.values import Checks, Path_, dotted, http_url
from tradeguard.stages import Caps, Rung

LIMIT_KEYS: Final = (
    "max_order_notional", "max_position", "max_position_notional", "max_open_orders",
    "max_orders_per_minute", "price_band_pct", "daily_loss", "drawdown_from_peak",
)  # fmt: skip
ALERT_KEYS: Final = ("webhook", "command", "min_interval_s")
CAPS_KEYS: Final = ("max_order_notional", "daily_notional")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class LimitTables(Checks):
    """The parser's part that reads a profile's symbols, limits, alerts and stages."""

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

    def limits(self, path: Path_, body: object, profile: Mapping[str, Any]) -> Limits:
        if not isinstance(body, dict):
            self.fail(path, "must be a table", f"write [{dotted(path)}]")
        self.keys(path, body, LIMIT_KEYS)
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
        self.keys(path, body, ALERT_KEYS)
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
            self.keys(where, table, CAPS_KEYS)
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
