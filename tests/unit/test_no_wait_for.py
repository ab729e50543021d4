"""No asyncio.wait_for in tradeguard: on Python 3.11 it swallows a cancellation that lands in
the turn its awaitable completes (the result is returned and the cancelled caller goes on as if
never cancelled; fixed in 3.12). `async with asyncio.timeout(...)` raises the same TimeoutError
and lets the cancellation through."""

from __future__ import annotations

import ast
from pathlib import Path

import tradeguard

SRC = Path(tradeguard.__file__).parent

# file (under src/tradeguard) -> why a swallowed cancel there does no harm; empty is the goal
ALLOWED: dict[str, str] = {}


def _is_wait_for(node: ast.AST) -> bool:
    """`asyncio.wait_for`, or `from asyncio import wait_for`."""
    if isinstance(node, ast.Attribute):
        return (
            node.attr == "wait_for"
            and isinstance(node.value, ast.Name)
            and node.value.id == "asyncio"
        )
    if isinstance(node, ast.ImportFrom):
        return node.module == "asyncio" and any(a.name == "wait_for" for a in node.names)
    return False


def _uses(path: Path) -> list[int]:
    """The lines of `path` that use asyncio.wait_for."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return sorted(node.lineno for node in ast.walk(tree) if _is_wait_for(node))  # type: ignore[attr-defined]


def test_no_asyncio_wait_for_outside_the_allowed() -> None:
    found = {
        f"{path.relative_to(SRC).as_posix()}:{line}"
        for path in sorted(SRC.rglob("*.py"))
        if path.relative_to(SRC).as_posix() not in ALLOWED
        for line in _uses(path)
    }
    assert not found, (
        "asyncio.wait_for swallows a cancel landing as its awaitable completes on 3.11; use "
        f"`async with asyncio.timeout(...)` at {sorted(found)}"
    )


def test_every_allowed_file_still_needs_it() -> None:
    stale = [name for name in ALLOWED if not _uses(SRC / name)]
    assert not stale, f"no asyncio.wait_for left in {stale}: drop them from ALLOWED"


def test_the_guard_sees_both_spellings(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import asyncio\nfrom asyncio import wait_for\n\n"
        "async def f(aw):\n    return await asyncio.wait_for(aw, 1)\n",
        encoding="utf-8",
    )
    assert _uses(module) == [2, 5]
