"""The journal tail: read-only, never in the writer's way, and a start that folds only what
came after the dashboard's checkpoint (counted in rows read, never timed)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.journal import pgcluster
from tradeguard import events as ev
from tradeguard.dashboard import checkpoint
from tradeguard.dashboard.tail import JournalTail
from tradeguard.dashboard.view import DashboardView
from tradeguard.errors import ConfigError, JournalCorrupt, StateError
from tradeguard.journal import open_journal
from tradeguard.journal.store import JournalStore
from tradeguard.model import Side

from .events import T0, Orders


def view() -> DashboardView:
    return DashboardView(profile="t", venue="binance", env="sim", limits=None)


def workload(n: int, start: int = 0) -> list[ev.EventBase]:
    """`n` events: trades now and then among clock syncs, a position moving."""
    o = Orders()
    o.n = start
    out: list[ev.EventBase] = []
    i = start
    while len(out) < n:
        i += 1
        if i % 50 == 0:
            out += o.trade(Side.BUY if i % 100 else Side.SELL, "1", str(100 + i % 7))
        else:
            out.append(ev.ClockSynced(at_ms=T0 + i, profile="t", offset_ms=i % 9, rtt_ms=1.0))
    return out[:n] if len(out) == n else out


def fresh_fold(store: JournalStore) -> dict[str, object]:
    v = view()
    for record in store.records():
        v.apply(record.seq, record.event)
    with JournalTail.open(store.location) as tail:
        tail.note_chain(v)
    return v.snapshot()


def test_the_tail_reads_what_the_writer_commits_without_blocking_it(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with open_journal(path) as store:
        store.append_many(workload(10))
        tail = JournalTail.open(path)
        first = tail.after(0)
        assert [seq for seq, _ in first] == list(range(1, 11))
        store.append_many(workload(5, start=10))  # commits while the tail is open
        assert [seq for seq, _ in tail.after(10, limit=3)] == [11, 12, 13]
        assert tail.head() == 15
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            tail._conn.execute("DELETE FROM journal")  # type: ignore[attr-defined]
        tail.close()


def test_a_missing_journal_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        JournalTail.open(tmp_path / "none.db")
    assert caught.value.hint


def test_start_view_reads_only_the_records_after_the_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "big.db"
    with open_journal(path) as store:
        store.append_many(workload(200_000))
        with JournalTail.open(path) as tail:
            first = view()
            assert tail.start_view(first) == 200_000
            assert tail.rows_read == 200_000  # no checkpoint yet: the whole journal, once
        assert checkpoint.beside(path).exists()
        assert os.stat(checkpoint.beside(path)).st_mode & 0o077 == 0
        store.append_many(workload(123, start=200_000))
        with JournalTail.open(path) as tail:
            again = view()
            assert tail.start_view(again) == 200_123
            assert tail.rows_read == 123
            assert tail.checkpoint_note is None
        assert again.snapshot() == fresh_fold(store)
        json.dumps(again.snapshot())


def test_a_checkpoint_of_another_chain_is_never_used(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with open_journal(path) as store:
        store.append_many(workload(300))
    with JournalTail.open(path) as tail:
        tail.start_view(view())
        assert tail.keep_checkpoint(view_at(tail), every=1)
    # the journal replaced by another one as long, with other records
    for p in tmp_path.glob("j.db*"):
        if not p.name.endswith(".view"):
            p.unlink()
    with open_journal(path) as store:
        store.append_many(workload(300, start=7))
        with JournalTail.open(path) as tail:
            v = view()
            tail.start_view(v)
            assert tail.rows_read == 300
            assert (
                tail.checkpoint_note is not None and "not of this journal" in tail.checkpoint_note
            )
        assert v.snapshot() == fresh_fold(store)


def view_at(tail: JournalTail) -> DashboardView:
    v = view()
    v.apply_all(tail.after(0, limit=1_000_000))
    return v


def test_a_damaged_checkpoint_is_said_and_the_journal_folded_whole(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with open_journal(path) as store:
        store.append_many(workload(40))
    checkpoint.beside(path).write_bytes(b"not a checkpoint")
    with JournalTail.open(path) as tail:
        v = view()
        assert tail.start_view(v) == 40
        assert tail.checkpoint_note is not None and "unreadable" in tail.checkpoint_note


def test_the_chain_panel_shows_the_head_and_the_verified_record(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with open_journal(path) as store:
        store.append_many(workload(20))
        store.mark_verified(store.verify_since_checkpoint())
        store.append_many(workload(5, start=20))
        head_seq, head_hash = store.head()
    with JournalTail.open(path) as tail:
        v = view()
        tail.start_view(v)
    chain = v.snapshot()["chain"]
    assert chain["head_seq"] == head_seq == 25
    assert chain["head_hash"] == head_hash.hex()[:16]
    assert chain["verified"]["seq"] == 20 and chain["verified_is_head"] is False


def test_the_tail_reads_a_postgresql_journal(
    pg: pgcluster.Cluster | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if pg is None:
        pytest.skip(pgcluster.HOW_TO_ENABLE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with open_journal(pg.dsn, profile="dash") as store:
        store.append_many(workload(300))
        with JournalTail.open(pg.dsn, profile="dash") as tail:
            first = view()
            assert tail.start_view(first) == 300
            assert tail.keep_checkpoint(first, every=1)
        store.append_many(workload(7, start=300))
        with JournalTail.open(pg.dsn, profile="dash") as tail:
            v = view()
            assert tail.start_view(v) == 307
            assert tail.rows_read == 7
            assert [s for s, _ in tail.after(300, limit=2)] == [301, 302]
        assert tail.checkpoint_path.is_relative_to(tmp_path / "cache")
        v2 = view()
        for record in store.records():
            v2.apply(record.seq, record.event)
        assert v.snapshot()["positions"] == v2.snapshot()["positions"]
        assert v.snapshot()["seq"] == v2.snapshot()["seq"]


def test_a_gap_or_a_record_of_another_format_is_journal_corrupt_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with open_journal(path) as store:
        store.append_many(workload(10))
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE journal SET body = x'09' || substr(body, 2) WHERE seq = 4")
        conn.execute("DELETE FROM journal WHERE seq = 8")
    with JournalTail.open(path) as tail:
        with pytest.raises(JournalCorrupt) as caught:
            tail.after(0)
        assert caught.value.position == 4 and "format 9" in caught.value.detail
        with pytest.raises(JournalCorrupt) as caught:
            tail.after(5)
        assert caught.value.position == 8


def test_a_checkpoint_of_another_layout_or_with_a_bad_image_is_folded_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.db"
    with open_journal(path) as store:
        store.append_many(workload(60))
        digest = store.head()[1]
    good = view()
    with JournalTail.open(path) as tail:
        good.apply_all(tail.after(0))
    for found, said in [
        (checkpoint.Checkpoint(checkpoint.FORMAT, 60, digest, good.image(), "older"), "another"),
        (checkpoint.Checkpoint(checkpoint.FORMAT, 60, digest, b"\x93junk", checkpoint.layout()),
         "unreadable"),
    ]:  # fmt: skip
        assert checkpoint.save(checkpoint.beside(path), found) is None
        with JournalTail.open(path) as tail:
            v = view()
            assert tail.start_view(v) == 60
            assert tail.rows_read == 60
            assert tail.checkpoint_note is not None and said in tail.checkpoint_note
        assert v.snapshot() == good.snapshot() | {"chain": v.snapshot()["chain"]}


def test_a_file_that_is_not_a_journal_is_journal_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(JournalCorrupt) as caught:
        JournalTail.open(path)
    assert "not" in caught.value.detail or "journal" in caught.value.detail


def test_the_postgresql_tail_reconnects_after_its_connection_dies(
    pg: pgcluster.Cluster | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if pg is None:
        pytest.skip(pgcluster.HOW_TO_ENABLE)
    import psycopg

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with open_journal(pg.dsn, profile="dash2") as store:
        store.append_many(workload(5))
    with JournalTail.open(pg.dsn, profile="dash2") as tail:
        assert tail.head() == 5
        pid = tail._conn.info.backend_pid  # type: ignore[attr-defined]
        with psycopg.connect(pg.dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(StateError) as caught:
            tail.after(0)
        assert caught.value.hint
        assert [seq for seq, _ in tail.after(0)] == [1, 2, 3, 4, 5]  # the next poll reconnects


def test_the_tail_follows_the_view_it_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoint, "FOLLOW_EVERY", 30)
    path = tmp_path / "j.db"
    with open_journal(path) as store:
        store.append_many(workload(20))
        with JournalTail.open(path) as tail:
            v = view()
            seq = tail.start_view(v)
            assert not checkpoint.beside(path).exists()  # 20 records: not worth one yet
            store.append_many(workload(40, start=20))
            while batch := tail.after(seq, limit=25):
                seq = v.apply_all(batch)
            assert v.snapshot()["chain"]["head_seq"] == 60  # told at the read that found them
            saved, _ = checkpoint.load(checkpoint.beside(path))
            assert saved is not None and saved.seq == 45  # 30+ records past none: after 25+20
        with JournalTail.open(path) as again:
            assert again.start_view(view()) == 60 and again.rows_read == 15
