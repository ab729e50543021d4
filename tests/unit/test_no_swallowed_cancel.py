"""No close path in tradeguard swallows a cancellation wholesale: `suppress(CancelledError)`
around the wait for a cancelled task (or an `except CancelledError:` that only passes) also
swallows a cancel of the closer itself, which then goes on as if never cancelled.
`tradeguard.net.task_stop.stop_task` keeps the task's cancel and lets the closer's through."""

from __future__ import annotations

import ast
from pathlib import Path

import tradeguard

SRC = Path(tradeguard.__file__).parent


def _names_cancelled(node: ast.expr) -> bool:
    """`asyncio.CancelledError` or a bare `CancelledError`, alone or in a tuple."""
    if isinstance(node, ast.Tuple):
        return any(_names_cancelled(item) for item in node.elts)
    if isinstance(node, ast.Attribute):
        return node.attr == "CancelledError"
    return isinstance(node, ast.Name) and node.id == "CancelledError"


def _is_suppress(node: ast.expr) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "suppress" and any(_names_cancelled(arg) for arg in node.args)


def _swallows(node: ast.AST) -> bool:
    if isinstance(node, ast.With | ast.AsyncWith):
        return any(_is_suppress(item.context_expr) for item in node.items)
    if isinstance(node, ast.ExceptHandler) and node.type is not None:
        only_passes = all(isinstance(stmt, ast.Pass) for stmt in node.body)
        return only_passes and _names_cancelled(node.type)
    return False


def _uses(path: Path) -> list[int]:
    """The lines of `path` that swallow a CancelledError wholesale."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return sorted(node.lineno for node in ast.walk(tree) if _swallows(node))  # type: ignore[attr-defined]


def test_no_close_path_swallows_a_cancellation() -> None:
    found = [
        f"{path.relative_to(SRC).as_posix()}:{line}"
        for path in sorted(SRC.rglob("*.py"))
        for line in _uses(path)
    ]
    assert not found, (
        "suppress(CancelledError) also swallows a cancel of the caller itself; stop a task "
        f"with tradeguard.net.task_stop.stop_task at {found}"
    )


def test_the_guard_sees_every_spelling(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import asyncio, contextlib\nfrom asyncio import CancelledError\n\n"
        "async def f(t):\n"
        "    with contextlib.suppress(asyncio.CancelledError, Exception):\n"
        "        await t\n"
        "    with contextlib.suppress(CancelledError):\n"
        "        await t\n"
        "    try:\n        await t\n    except asyncio.CancelledError:\n        pass\n"
        "    try:\n        await t\n    except asyncio.CancelledError:\n        raise\n"
        "    with contextlib.suppress(Exception):\n        await t\n",
        encoding="utf-8",
    )
    assert _uses(module) == [5, 7, 11]
