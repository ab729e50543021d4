"""The dashboard: what opening the page costs with a 1,000,000-event journal.

- dashboard_load_1m_s: `JournalTail.start_view` of a fresh view plus `snapshot()`, the way the
  server opens the page, on a journal of 1,000,000 events whose dashboard checkpoint was left
  LAG records before the head (a dashboard restarted while the bot ran on): the checkpoint read
  and checked against the chain, the view restored, the LAG records after it folded, the page
  built. Baseline: the same start without a checkpoint (the first start ever: every record
  folded, and the checkpoint written), measured in the same run.
  The figure's note also gives the records each start read (`rows_read`), which is what the
  design promises: the page never reads the journal whole once a checkpoint exists.

The journal is the workload of tests/journal/workload.py, built once and kept under the system's
temp directory (tgbench-dashboard/), with the checkpoint at head - LAG beside it; later runs reuse
both. Medians of REPS runs (the baseline: of BASELINE_REPS, it takes seconds each).
"""

from __future__ import annotations

import gc
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from figures import Figure, median, timed

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EVENTS = 1_000_000
LAG = 1_000
REPS = 5
BASELINE_REPS = 2
CACHE = Path(tempfile.gettempdir()) / "tgbench-dashboard"
JOURNAL = CACHE / f"journal-{EVENTS}-v1.db"
SAVED_CHECKPOINT = CACHE / f"journal-{EVENTS}-v1.at-{EVENTS - LAG}.view"


def _view() -> Any:
    from tradeguard.dashboard.view import DashboardView

    return DashboardView(profile="default", venue="binance", env="sim", limits=None)


def _build() -> None:
    """The journal, once (a crash midway leaves no file), and its checkpoint at head - LAG,
    again whenever the view's layout has changed since it was saved."""
    from tradeguard.dashboard import checkpoint

    if not JOURNAL.exists():
        _build_journal()
    saved, _ = checkpoint.load(SAVED_CHECKPOINT)
    if saved is None:
        _build_checkpoint()


def _build_journal() -> None:
    from tests.journal import workload

    from tradeguard.journal.store_sqlite import SqliteJournal

    CACHE.mkdir(parents=True, exist_ok=True)
    building = JOURNAL.with_name(JOURNAL.name + ".building")
    for stale in CACHE.glob(building.name + "*"):
        stale.unlink()
    print(f"   building {EVENTS:,} events in {JOURNAL} (once)", flush=True)
    with SqliteJournal(building) as store:
        chunk: list[Any] = []
        for event in workload.session(EVENTS, seed=21):
            chunk.append(event)
            if len(chunk) == 50_000:
                store.append_many(chunk)
                chunk = []
        store.append_many(chunk)
    for part in CACHE.glob(building.name + "*"):
        part.rename(CACHE / part.name.replace(building.name, JOURNAL.name))


def _build_checkpoint() -> None:
    from tradeguard.dashboard import checkpoint
    from tradeguard.dashboard.tail import JournalTail

    print(f"   folding {EVENTS - LAG:,} records for the checkpoint (once)", flush=True)
    with JournalTail.open(JOURNAL) as tail:
        view = _view()
        seq = 0
        while seq < EVENTS - LAG and (batch := tail.after(seq, min(10_000, EVENTS - LAG - seq))):
            seq = view.apply_all(batch)
        digest = tail._hash_at(seq)
        assert digest is not None and seq == EVENTS - LAG
        problem = checkpoint.save(
            SAVED_CHECKPOINT,
            checkpoint.Checkpoint(
                checkpoint.FORMAT, seq, digest, view.image(), checkpoint.layout()
            ),
        )
        assert problem is None, problem


def run() -> list[Figure]:
    from tradeguard.dashboard import checkpoint
    from tradeguard.dashboard.tail import JournalTail

    _build()
    beside = checkpoint.beside(JOURNAL)
    JOURNAL.read_bytes()  # warm the page cache, for both starts alike
    read: dict[str, int] = {}

    def start(name: str) -> None:
        with JournalTail.open(JOURNAL) as tail:
            view = _view()
            assert tail.start_view(view) == EVENTS
            view.snapshot()
            read[name] = tail.rows_read

    def from_checkpoint() -> None:
        shutil.copyfile(SAVED_CHECKPOINT, beside)  # not timed: the file as a restart finds it
        begin = time.perf_counter()
        start("checkpoint")
        times.append(time.perf_counter() - begin)

    def from_nothing() -> None:
        beside.unlink(missing_ok=True)
        start("whole")

    times: list[float] = []
    for _ in range(REPS):
        gc.collect()
        from_checkpoint()
    ours = median(times)
    whole = timed(from_nothing, BASELINE_REPS)
    beside.unlink(missing_ok=True)
    print(f"   rows read: {read['checkpoint']:,} from the checkpoint, {read['whole']:,} without")
    assert read["checkpoint"] == LAG and read["whole"] == EVENTS
    return [Figure("dashboard_load_1m_s", ours, "s", "fold_whole_journal", whole)]
