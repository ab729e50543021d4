"""The journal store contract: every test runs against SQLite and PostgreSQL (conftest)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeguard import events as ev
from tradeguard.errors import JournalAltered, JournalCorrupt
from tradeguard.journal import codec
from tradeguard.journal.redact import Redactor, redact_query
from tradeguard.journal.replay import Ledger, fold
from tradeguard.keys.credentials import Secret
from tradeguard.model import OrderStatus as S
from tradeguard.net.clock import FakeClock

from . import workload
from .conftest import Backend, Row
from .factories import T0, clock_event, fill, intent, update

ROOT = Path(__file__).resolve().parents[2]


# ── appending and reading ────────────────────────────────────────────────────────────────────


def test_intents_commit_at_once_and_other_events_wait_for_a_group_commit(backend: Backend) -> None:
    # "power-loss": every intent is its own commit (with "crash", SQLite logs it instead:
    # test_intent_log.py)
    with backend.open(batch_size=100, max_delay_s=3600, durability="power-loss") as store:
        assert store.append(clock_event(1)) is None
        assert store.append(clock_event(2)) is None and store.waiting == 2
        other = backend.open()
        assert other.head()[0] == 0  # nothing committed yet
        assert store.append(intent("a")) == 3  # commits the two before it too, in order
        assert other.head()[0] == 3 and store.waiting == 0
        assert store.append(clock_event(4), durable=True) == 4
        assert store.append(clock_event(5)) is None
        assert store.flush() == 5
        other.close()
    with backend.open() as store:
        kinds = [r.kind for r in store.records()]
        assert kinds == [
            "ClockSynced",
            "ClockSynced",
            "OrderIntended",
            "ClockSynced",
            "ClockSynced",
        ]
        assert [r.seq for r in store.records(from_seq=4)] == [4, 5]
        assert [r.client_order_id for r in store.records(client_order_id="a")] == ["a"]
        store.append(fill(1, "0.5", coid=None))
        assert [r.seq for r in store.records(unattributed_fills=True)] == [6]


@pytest.mark.parametrize(
    ("durability", "sqlite_synchronous", "pg_synchronous_commit"),
    [("crash", 1, "off"), ("power-loss", 2, "on")],  # SQLite: 1 NORMAL, 2 FULL
)
def test_durability_sets_what_a_commit_waits_for(
    backend: Backend, durability: str, sqlite_synchronous: int, pg_synchronous_commit: str
) -> None:
    with backend.open(durability=durability) as store:
        store.append(intent("a"))
        conn: Any = store._conn  # type: ignore[attr-defined]
        if backend.name == "sqlite":
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == sqlite_synchronous
        else:
            assert conn.execute("SHOW synchronous_commit").fetchone()[0] == pg_synchronous_commit
    with pytest.raises(ValueError, match="durability"):
        backend.open(durability="sometimes")


def test_append_many_is_one_durable_commit_after_what_was_waiting(backend: Backend) -> None:
    with backend.open(max_delay_s=3600) as store:
        store.append(clock_event(0))
        assert store.append_many(clock_event(n) for n in range(1, 5)) == 5
        assert store.waiting == 0
        assert [e.offset_ms for e in store.events()] == [0, 1, 2, 3, 4]  # type: ignore[union-attr]


def test_reads_nest_and_writes_go_on_while_reading(backend: Backend) -> None:
    with backend.open() as store:
        store.append_many(clock_event(n) for n in range(10))
        seen = []
        for record in store.records():
            seen.append(record.seq)
            if record.seq == 3:
                assert store.fold().events == 10
                assert len(list(store.events(from_seq=5))) == 6
                store.append(intent("during"))  # committed at once; this read keeps its view
        assert seen == list(range(1, 11))
        assert store.head()[0] == 11


def test_a_full_batch_or_an_old_one_is_committed(backend: Backend) -> None:
    clock = FakeClock()
    other = backend.open()
    with backend.open(batch_size=3, max_delay_s=0.5, clock=clock) as store:
        # a group commit is done when append returns (seq) or handed to a commit thread (None)
        assert store.append(clock_event(1)) is None
        assert store.append(clock_event(2)) is None
        assert store.append(clock_event(3)) in (3, None)
        assert store.wait_committed() == 3 and other.head()[0] == 3  # no flush needed
        assert store.append(clock_event(4)) is None
        clock.advance(0.6)
        assert store.append(clock_event(5)) in (5, None)
        assert store.wait_committed() == 5 and other.head()[0] == 5
        assert store.append(clock_event(6)) is None
        assert store.flush_due() is None and store.waiting == 1
        clock.advance(0.5)
        assert store.flush_due() in (6, None)
        assert store.wait_committed() == 6 and store.waiting == 0 and other.head()[0] == 6
    other.close()


def test_the_workload_replays_to_the_live_state_from_the_store(backend: Backend) -> None:
    events = list(workload.session(3000, seed=5))
    ledger = Ledger()
    with backend.open() as store:
        for event in events:
            ledger.apply(event)
            store.append(event)
        assert store.fold() == ledger.state()  # reading flushes what this store holds
    with backend.open() as store:
        assert list(store.events()) == events
        assert store.fold() == ledger.state() == fold(events)
        cut = events[1500].at_ms
        assert store.fold(until_ms=cut) == fold(events, until_ms=cut)
        report = store.verify()
        assert report.ok and report.records == 3000 and report.head_seq == 3000


def test_a_commit_whose_reply_was_lost_is_not_written_twice(backend: Backend) -> None:
    if backend.name == "sqlite":
        pytest.skip("SQLite commits on its own thread: test_sqlite_commits.py has this case")
    with backend.open() as store:
        store.append(intent("a"))
        head_seq, head_hash = store.head()
        pending = [(T0, "OrderIntended", "a", codec.encode(intent("a")))]
        store._pending = list(pending)  # as if the commit had landed but raised
        store._inflight = head_hash
        assert store.flush() == head_seq
        assert store.head() == (head_seq, head_hash)


def test_two_processes_appending_at_once_lose_nothing(backend: Backend) -> None:
    with backend.open():
        pass  # create it first, so both children open an existing journal
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.journal.appender",
                backend.target,
                backend.profile,
                tag,
                "600",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
        )
        for tag in ("a", "b")
    ]
    outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    with backend.open() as store:
        report = store.verify()
        assert report.ok, report.problems
        assert report.records == 1200
        records = list(store.records())
        for tag, out in zip(("a", "b"), outputs, strict=True):
            mine = [
                r
                for r in records
                if r.event.profile == tag or (r.client_order_id or "").startswith(f"{tag}-")
            ]
            times = [r.event.at_ms for r in mine]
            assert len(mine) == 600 and times == sorted(times)  # each process's order kept
            for line in out.split():
                if line.isdigit():
                    assert records[int(line) - 1].kind == "OrderIntended"


def test_sigkill_while_appending_loses_no_acknowledged_intent(backend: Backend) -> None:
    with backend.open():
        pass
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.journal.appender", backend.target, backend.profile, "k", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    acknowledged: list[tuple[str, str]] = []
    assert child.stdout is not None
    while len(acknowledged) < 150:
        line = child.stdout.readline().decode()
        assert line, "the appender stopped early"
        seq, coid = line.split()
        acknowledged.append((seq, coid))
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    # anything printed between the last readline and the kill counts too
    for line in child.stdout.read().decode().splitlines():
        seq, coid = line.split()
        acknowledged.append((seq, coid))
    with backend.open() as store:  # opening recovers what the killed process logged
        report = store.verify()
        assert report.ok, report.problems
        records = list(store.records())
        intents = [r.client_order_id for r in records if r.kind == "OrderIntended"]
        assert intents[: len(acknowledged)] == [coid for _, coid in acknowledged]  # in order
        for seq, coid in acknowledged:
            if seq != "-":  # committed at once: at the seq append returned
                assert records[int(seq) - 1].client_order_id == coid


# ── tamper evidence ──────────────────────────────────────────────────────────────────────────


def _edit_body(rows: list[Row], i: int) -> None:
    seq, at, kind, coid, body, h = rows[i]
    flipped = bytearray(body)
    flipped[len(body) // 2] ^= 0x01
    rows[i] = (seq, at, kind, coid, bytes(flipped), h)


def _edit_column(rows: list[Row], i: int) -> None:
    seq, at, kind, coid, body, h = rows[i]
    rows[i] = (seq, at + 1, kind, coid, body, h)


def _remove(rows: list[Row], i: int) -> None:
    del rows[i]


def _remove_and_renumber(rows: list[Row], i: int) -> None:
    del rows[i]
    rows[i:] = [(seq - 1, *rest) for seq, *rest in rows[i:]]  # type: ignore[misc]


def _swap(rows: list[Row], i: int) -> None:
    a, b = rows[i], rows[i + 1]
    rows[i], rows[i + 1] = (a[0], *b[1:]), (b[0], *a[1:])


TAMPERS = {
    "edit body": _edit_body,
    "edit column": _edit_column,
    "remove": _remove,
    "remove and renumber": _remove_and_renumber,
    "swap": _swap,
}


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(how=st.sampled_from(sorted(TAMPERS)), where=st.integers(0, 28))
def test_verify_finds_any_single_edit_removal_or_swap(
    backend: Backend, how: str, where: int
) -> None:
    with backend.open() as store:
        if store.head()[0] == 0:  # the first example writes the journal the others reuse
            for event in workload.session(30, seed=2):
                store.append(event)
    rows = backend.rows()
    head = (rows[-1][0], rows[-1][5])
    tampered = list(rows)
    TAMPERS[how](tampered, where)
    backend.replace_all(tampered)
    try:
        with backend.open() as store:
            report = store.verify(expect_head=head)
        assert not report.ok
        assert report.problems[0].position == rows[where][0], report.problems
    finally:
        backend.replace_all(rows)
    with backend.open() as store:
        assert store.verify(expect_head=head).ok


CHAIN_TAMPERS = sorted(set(TAMPERS) - {"edit column"})  # an index column is not folded


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(how=st.sampled_from(CHAIN_TAMPERS), where=st.integers(10, 28))
def test_a_start_finds_any_change_after_the_verified_checkpoint(
    backend: Backend, how: str, where: int
) -> None:
    """What `connect` runs before it folds: the chain from the last verified record on. A
    change after the checkpoint is JournalAltered at its record; before it, `verify` finds it
    (and an index column edited alone, which changes nothing folded)."""
    with backend.open() as store:
        if store.head()[0] == 0:
            for event in workload.session(30, seed=2):
                store.append(event)
            store.flush()
    rows = backend.rows()
    with backend.open() as store:
        store.mark_verified(
            _report_at(store.verify_since_checkpoint(), rows[9][0], rows[9][5])
        )  # a checkpoint at the tenth record
    tampered = list(rows)
    TAMPERS[how](tampered, where)
    backend.replace_all(tampered)
    try:
        with backend.open() as store, pytest.raises(JournalAltered) as altered:
            store.verify_since_checkpoint()
        assert altered.value.position == rows[where][0]
    finally:
        backend.replace_all(rows)
    with backend.open() as store:
        report = store.verify_since_checkpoint()
        assert report.ok and report.records == len(rows) - 10  # those after the mark
        assert report.head_seq == rows[-1][0]


def _report_at(report: Any, seq: int, digest: bytes) -> Any:
    report.head_seq, report.head_hash = seq, digest
    return report


def test_a_cut_tail_is_found_only_against_a_head_kept_elsewhere(backend: Backend) -> None:
    with backend.open() as store:
        for n in range(5):
            store.append(clock_event(n))
        head = store.head()
    backend.replace_all(backend.rows()[:3])
    with backend.open() as store:
        assert store.verify().ok  # a clean cut looks like a crash before the last commits
        report = store.verify(expect_head=head)
        assert not report.ok and report.problems[0].position == 5


def test_reading_never_skips_a_gap_or_a_foreign_version(backend: Backend) -> None:
    with backend.open() as store:
        for n in range(6):
            store.append(clock_event(n))
    rows = backend.rows()
    backend.replace_all([r for r in rows if r[0] != 3])
    with (
        backend.open() as store,
        pytest.raises(JournalCorrupt, match="record 3 was removed") as caught,
    ):
        store.fold()
    assert caught.value.position == 3
    seq, at, kind, coid, body, h = rows[3]
    rows[3] = (seq, at, kind, coid, b"\x09" + body[1:], h)
    backend.replace_all(rows)
    with backend.open() as store:
        with pytest.raises(JournalCorrupt, match="format 9") as caught:
            store.fold()
        assert caught.value.position == 4
        with pytest.raises(JournalCorrupt):
            list(store.events())


# ── secrets ──────────────────────────────────────────────────────────────────────────────────

API_KEY = "tgKEYvmPLdXbT3sY0aYQ7f1cR2wHk5nJ8uE4oZ6iL9pB0qS3dF7gA1hK2jM5xN8"  # tradeguard: allow
API_SECRET = "tgSECRETq1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c2v3b4n5m6Qw"  # tradeguard: allow
SIGNATURE = "5f2b8c0d9e4a7b1c6d3e8f0a2b5c9d4e7f1a3b6c8d0e2f5a7b9c1d4e6f8a0b2c"


def test_no_secret_or_signature_reaches_the_store(backend: Backend) -> None:
    redactor = Redactor(api_keys=[API_KEY], secrets=[Secret(API_SECRET)])
    params = {"symbol": "BTCUSDT", "timestamp": "1", "apiKey": API_KEY, "signature": SIGNATURE}
    with backend.open(redactor=redactor) as store:
        store.append(
            ev.ProfileLoaded(
                at_ms=T0, profile="t", venue="binance", env="live", mode="trade", api_key=API_KEY
            )
        )
        store.append(
            ev.RequestSent(
                at_ms=T0,
                profile="t",
                method="POST",
                path="/api/v3/order",
                query=redact_query(params),
            )
        )
        store.append(
            ev.ErrorRaised(
                at_ms=T0,
                profile="t",
                error="AuthError",
                code=-1022,
                message=f"bad signature for {API_KEY} with {API_SECRET}",
            )
        )
        store.append(intent("a"))
        rejected = update(S.REJECTED, "a", source="reply")
        store.append(msgspec.structs.replace(rejected, reason=f"echo {API_SECRET}"))
        store.append(msgspec.structs.replace(fill(1, "1"), commission_asset=API_SECRET))
        for event in workload.session(200, seed=9):
            store.append(event)
        records = list(store.records())
    assert any(API_KEY[:6] in str(r.event) for r in records)
    raw = backend.store_bytes()
    assert len(raw) > 10_000
    for needle in (API_SECRET, API_KEY, SIGNATURE):
        assert needle.encode() not in raw, needle[:8]
