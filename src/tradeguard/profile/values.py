"""The checks under every tradeguard.toml value: where a key is (file:line), its type, its range.

`Checks` is the base of the profile parser: each method returns the value in its Python form or
raises a one-line ConfigError (CredentialsError for a secret) naming the file, the line and the
fix.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

from tradeguard.errors import ConfigError, CredentialsError
from tradeguard.profile.locate import LineIndex

Path_ = tuple[str, ...]
T = TypeVar("T", bound=str)


class Checks:
    def __init__(self, text: str, source: Path) -> None:
        self.text = text
        self.source = source
        self.index = LineIndex(text)

    # ── reporting ────────────────────────────────────────────────────────────────────────────

    def where(self, path: Path_) -> str:
        line = self.index.line(path)
        return f"{self.source}:{line}" if line is not None else str(self.source)

    def fail(self, path: Path_, problem: str, fix: str) -> NoReturn:
        raise ConfigError(f"{self.where(path)}: {dotted(path)}: {problem}", hint=fix)

    def secret_found(self, path: Path_, what: str = "looks like a secret") -> NoReturn:
        raise CredentialsError(
            f"{self.where(path)}: {dotted(path)} {what}; tradeguard.toml must never hold one",
            hint="delete it from the file, rotate that key (it has been on disk in plain text), "
            "keep the new secret in an environment variable, the OS keyring or a 0600 file, "
            "and put its name here",
        )

    def keys(self, path: Path_, table: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                fix = f"did you mean {close[0]!r}? " if close else ""
                self.fail((*path, key), "unknown setting", f"{fix}known here: {', '.join(allowed)}")

    # ── values ───────────────────────────────────────────────────────────────────────────────

    def choice(self, path: Path_, value: object, choices: tuple[T, ...]) -> T:
        for choice in choices:
            if value == choice:
                return choice
        shown = f"{value!r} is not known" if isinstance(value, str) else "must be a string"
        self.fail(path, shown, f"use one of: {', '.join(choices)}")

    def money(self, path: Path_, value: object) -> Decimal:
        key = dotted(path[-1:])
        fix = f'write it as a quoted decimal: {key} = "100"'
        if isinstance(value, float):
            self.fail(
                path,
                "is a float, which cannot hold money exactly",
                f'quote it: {key} = "{value}"',
            )
        if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
            self.fail(path, "must be a quoted decimal or an integer", fix)
        try:
            amount = Decimal(value)
        except InvalidOperation:
            self.fail(path, f"{value!r} is not a number", fix)
        if not amount.is_finite() or amount <= 0:
            self.fail(path, f"{value!r} must be a number above 0", fix)
        return amount

    def count(self, path: Path_, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(path, "must be a whole number of 1 or more", f"write {path[-1]} = 10")
        return value

    def flag(self, path: Path_, value: object) -> bool:
        if not isinstance(value, bool):
            self.fail(path, "must be true or false", f"write {path[-1]} = true")
        return value


def dotted(path: Path_) -> str:
    return ".".join(p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else f'"{p}"' for p in path)


def example(source: str, name: str) -> str:
    if source == "keyring":
        return '"binance-' + name.lower().replace("_", "-") + '"'
    if source == "file":
        return '"~/.config/tradeguard/' + name.lower() + '"'
    return f'"BINANCE_{name}"' if not name.startswith("OKX") else f'"{name}"'


def http_url(text: str) -> Any:
    try:
        url = urlsplit(text)
    except ValueError:
        return None
    if url.scheme not in ("http", "https") or not url.hostname:
        return None
    return url
