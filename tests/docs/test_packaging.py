"""What the package says about itself on an index: the platforms it runs on (Linux and macOS;
Windows is refused at import), the Pythons it is tested on, that it ships types, and its field."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _project() -> dict[str, object]:
    project: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project


def test_classifiers_name_the_platforms_pythons_typing_and_field() -> None:
    classifiers = set(_project().get("classifiers", []))  # type: ignore[call-overload]
    assert {
        "Operating System :: POSIX :: Linux",
        "Operating System :: MacOS",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Typing :: Typed",
        "Topic :: Office/Business :: Financial :: Investment",
        "License :: OSI Approved :: MIT License",
    } <= classifiers
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    # Windows is refused at import (tests/docs/test_platform.py): no classifier may promise it
    assert not any("Windows" in c or c == "Operating System :: OS Independent" for c in classifiers)


def test_the_oldest_python_classified_is_the_one_required() -> None:
    project = _project()
    versions = sorted(
        (
            c.rsplit(" :: ", 1)[1]
            for c in project["classifiers"]  # type: ignore[attr-defined]
            if c.startswith("Programming Language :: Python :: 3.")
        ),
        key=lambda v: tuple(int(part) for part in v.split(".")),
    )
    assert project["requires-python"] == f">={versions[0]}"
