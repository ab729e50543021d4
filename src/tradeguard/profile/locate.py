"""Where tradeguard.toml is, and on which line of it a key sits.

tomllib gives values but no line numbers, so `LineIndex` scans the text once: table headers
(`[profiles.default.limits]`), assignments (`max_order_notional = "100"`, dotted keys too) and,
for keys inside inline tables or arrays, the first line after their parent that mentions them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

FILE_NAME = "tradeguard.toml"

_BARE = r"[A-Za-z0-9_-]+"
_KEY = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_HEADER = re.compile(rf"^\s*\[\[?\s*({_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(rf"^\s*({_DOTTED})\s*=")
_PART = re.compile(_KEY)
_LOOKAHEAD = 40  # lines after a parent key searched for a key of its inline table or array


def split_key(dotted: str) -> tuple[str, ...]:
    """`a."b.c".d` -> ("a", "b.c", "d")."""
    parts = []
    for token in _PART.findall(dotted):
        if token[:1] in "\"'":
            token = token[1:-1]
        parts.append(token)
    return tuple(parts)


class LineIndex:
    """Line numbers (1-based) of the keys and tables of a TOML text."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self._at: dict[tuple[str, ...], int] = {}
        self._tables: set[tuple[str, ...]] = set()
        table: tuple[str, ...] = ()
        in_multiline: str | None = None
        for number, line in enumerate(self.lines, start=1):
            if in_multiline is not None:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            header = _HEADER.match(line)
            if header:
                table = split_key(header.group(1))
                self._at.setdefault(table, number)
                self._tables.add(table)
                continue
            assign = _ASSIGN.match(line)
            if assign:
                self._at.setdefault(table + split_key(assign.group(1)), number)
                rest = line[assign.end() :]
            else:
                rest = line
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    in_multiline = quote
                    break

    def line(self, path: tuple[str, ...]) -> int | None:
        """The line of `path`, or of the nearest thing that holds it; None if none is found."""
        if path in self._at:
            return self._at[path]
        for cut in range(len(path) - 1, 0, -1):
            parent = self._at.get(path[:cut])
            if parent is None:
                continue
            if path[:cut] in self._tables:
                return parent  # a key missing from a [table] is not written anywhere
            wanted = path[-1]
            pattern = re.compile(
                rf"""(?:^|[\s{{,."'])(?:{re.escape(wanted)}|"{re.escape(wanted)}"|'{re.escape(wanted)}')\s*="""
            )
            for offset, text in enumerate(self.lines[parent - 1 : parent - 1 + _LOOKAHEAD]):
                if pattern.search(text):
                    return parent + offset
            return parent
        return None

    def first_line_with(self, needle: str) -> int | None:
        for number, text in enumerate(self.lines, start=1):
            if needle in text:
                return number
        return None


def config_candidates(
    config: str | os.PathLike[str] | None, env: Mapping[str, str], cwd: Path
) -> tuple[list[Path], bool]:
    """The files to try, in order, and whether the first was asked for explicitly (by
    --config or $TRADEGUARD_CONFIG: then it must exist)."""
    if config is not None:
        return [_absolute(Path(config), cwd)], True
    named = env.get("TRADEGUARD_CONFIG")
    if named:
        return [_absolute(Path(named), cwd)], True
    xdg = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return [cwd / FILE_NAME, Path(xdg) / "tradeguard" / FILE_NAME], False


def _absolute(path: Path, cwd: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else cwd / path
