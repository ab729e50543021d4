"""The secret scanner against detect-secrets on the same tree, speed and findings side by side.

- scan_mb_per_s: `tradeguard.scan.scan([tree], all_files=True)` in-process, one process, median
  of REPS runs after a warm-up (files in the page cache for both tools); vs `detect-secrets
  scan --all-files TREE` as a subprocess with its default plugins and filters and its default
  `--cores` (every core), timed once (about a minute), including its start-up (< 1 s).
- The tree: tests/scan/corpus.py, ordinary code-like text (Python modules full of digests,
  UUIDs, wrapped base64, `key=` arguments; requirements and package-lock files; profiles
  naming environment variables) of TG_BENCH_SCAN_MB megabytes (default 20) with PLANTED
  credential snippets (Binance, Bybit, OKX, Kraken, PEM, a token; keyword and neutral names),
  generated from a fixed seed.
- Findings are compared by (file, line): a planted credential is found when a finding is on
  its line; a finding on no planted line is a false positive.
- History: `git log --all --raw` + `git cat-file --batch` (what `--history` does) against
  `git log -p --all` on a repository of 200 commits, printed for information.
"""

from __future__ import annotations

import gc
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import Figure, median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED = 20261120
PLANTED = 40
REPS = 3


def _ours(tree: Path) -> tuple[float, set[tuple[str, int]]]:
    from tradeguard.scan import scan

    times = []
    found: set[tuple[str, int]] = set()
    for _ in range(REPS + 1):
        gc.collect()
        start = time.perf_counter()
        result = scan([tree], all_files=True)
        times.append(time.perf_counter() - start)
        found = {(str(Path(f.path).relative_to(tree)), f.line) for f in result.findings}
    return median(times[1:]), found


def _detect_secrets(
    tree: Path, area: set[tuple[str, int]]
) -> tuple[float, set[tuple[str, int]], dict[str, int]] | None:
    exe = shutil.which("detect-secrets") or str(Path(sys.executable).parent / "detect-secrets")
    if not Path(exe).exists():
        return None
    start = time.perf_counter()
    done = subprocess.run(
        [exe, "scan", "--all-files", "."], cwd=tree, capture_output=True, check=True
    )
    elapsed = time.perf_counter() - start
    results = json.loads(done.stdout)["results"]
    found = {(name, item["line_number"]) for name, items in results.items() for item in items}
    false_by_type: dict[str, int] = {}
    for name, items in results.items():
        for item in items:
            if (name, item["line_number"]) not in area:
                false_by_type[item["type"]] = false_by_type.get(item["type"], 0) + 1
    return elapsed, found, false_by_type


def _score(
    found: set[tuple[str, int]], planted: list[object], area: set[tuple[str, int]]
) -> tuple[int, int]:
    hits = sum(1 for p in planted if (p.path, p.line) in found)  # type: ignore[attr-defined]
    false = len({f for f in found if f not in area})
    return hits, false


def _history(tree: Path, files: dict[str, str]) -> None:
    """Build a 200-commit repository from part of the tree and time both ways of reading it."""
    if shutil.which("git") is None:
        return
    from tradeguard.scan import history, scan

    repo = tree.parent / "repo"
    repo.mkdir()
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.invalid",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.invalid",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)

    rng = random.Random(SEED)
    names = sorted(files)[:300]
    git("init", "-q")
    for n in names:
        (repo / n).parent.mkdir(parents=True, exist_ok=True)
        (repo / n).write_text(files[n])
    git("add", "-A")
    git("commit", "-q", "-m", "0")
    for i in range(1, 200):
        for n in rng.sample(names, 5):
            with (repo / n).open("a") as fh:
                fh.write(f"\nVALUE_{i} = {rng.randint(0, 10**9)}\n")
        git("commit", "-q", "-am", str(i))
    start = time.perf_counter()
    result = scan([repo], history=True)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    blobs = history.blobs(repo)
    list(history.contents(repo, blobs))
    read_blobs = time.perf_counter() - start
    start = time.perf_counter()
    patch = subprocess.run(
        ["git", "-C", str(repo), "log", "-p", "--all"], capture_output=True, check=True
    ).stdout
    read_patch = time.perf_counter() - start
    print(
        f"   history, 200 commits: scan --history {ours:.2f} s ({result.blobs} blobs, "
        f"{result.blob_bytes / 1e6:.1f} MB, {len(result.findings)} findings); reading the blobs "
        f"(log --raw + cat-file --batch) {read_blobs:.2f} s vs `git log -p --all` "
        f"{read_patch:.2f} s ({len(patch) / 1e6:.1f} MB of patch text)",
        flush=True,
    )


def run() -> list[Figure]:
    from tests.scan import corpus

    size = int(float(os.environ.get("TG_BENCH_SCAN_MB", "20")) * 1_000_000)
    files = corpus.ordinary_tree(SEED, size)
    planted = corpus.plant(files, SEED, PLANTED)
    area = {(p.path, p.line + i) for p in planted for i in range(p.value.count("\n") + 2)}
    with tempfile.TemporaryDirectory(prefix="tgscan") as tmp:
        tree = Path(tmp) / "tree"
        total = corpus.write(tree, files)
        mb = total / 1e6
        ours_s, ours_found = _ours(tree)
        ours_hits, ours_false = _score(ours_found, planted, area)
        print(
            f"   tree: {len(files)} files, {mb:.1f} MB, {len(planted)} planted credentials",
            flush=True,
        )
        print(
            f"   tradeguard scan: {ours_s:.2f} s, planted found {ours_hits}/{len(planted)}, "
            f"false positives {ours_false}",
            flush=True,
        )
        theirs = _detect_secrets(tree, area)
        _history(tree, files)
    if theirs is None:
        print("   (detect-secrets not installed: pip install -e '.[dev]')", flush=True)
        return []
    ds_s, ds_found, ds_types = theirs
    ds_hits, ds_false = _score(ds_found, planted, area)
    missed = sorted({p.kind for p in planted if (p.path, p.line) not in ds_found})
    print(
        f"   detect-secrets: {ds_s:.2f} s, planted found {ds_hits}/{len(planted)} "
        f"(missed kinds: {', '.join(missed) or 'none'}), false positives {ds_false} "
        f"by type {ds_types}",
        flush=True,
    )
    return [Figure("scan_mb_per_s", mb / ours_s, "MB/s", "detect_secrets", mb / ds_s)]
