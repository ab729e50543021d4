"""Run tradeguard's benchmarks: `python bench/run.py [NAME ...]`.

Each benchmark lives in bench/bench_<name>.py and exposes `run() -> list[Figure]`. Every figure
is measured side by side with its baseline in the same run, on this machine. The output ends with
one JSON object per line per figure:
{"metric", "value", "unit", "baseline", "baseline_value", "ratio"} with ratio = value / baseline.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from figures import Figure  # noqa: E402


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(available())}")
        return 2
    figures: list[Figure] = []
    for name in names:
        print(f"== {name}", flush=True)
        module = importlib.import_module(f"bench_{name}")
        for figure in module.run():
            print(f"   {figure.describe()}", flush=True)
            figures.append(figure)
    for figure in figures:
        print(json.dumps(figure.as_json()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
