"""The journal: append throughput and replay of 1,000,000 events, SQLite and PostgreSQL, each
side by side with a plain loop over the same rows in the same run.

- journal_append_per_s: the batched path, the strongest durability promise kept (group commits
  of 512, synchronous=FULL: journal_durability = "power-loss"), events encoded,
  redaction-checked, chained and inserted; vs a plain sqlite3 executemany of the very rows the
  journal wrote, 512 per transaction, same pragmas.
- journal_intent_commits_per_s: intents, each committed and fsynced before `append` returns;
  vs a plain one-row INSERT + COMMIT under synchronous=FULL.
- journal_replay_1m_s: `store.fold()` of a 1,000,000-event session (orders, fills, updates,
  balances; the state fold of the live path, gap checks, version checks); vs a plain loop that
  selects the same bodies, decodes each with the same msgspec decoder and keeps the last event
  per order (`state[coid] = event`).
- PostgreSQL twins (when the server binaries exist): the same against a throwaway cluster; the
  baselines are a plain psycopg COPY of the same rows, and a plain server-side-cursor loop.

The workload is tests/journal/workload.py, generated before timing. Medians of REPS runs.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

from figures import Figure, timed

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

APPEND_EVENTS = 200_000
INTENTS = 1_000
REPLAY_EVENTS = 1_000_000
BATCH = 512
FULL = "power-loss"  # as the baselines (synchronous=FULL): the journal keeps the same promise
REPS = 3
COLUMNS = "seq, at_ms, kind, client_order_id, body, hash"


def _batched_events(n: int) -> list[Any]:
    from tests.journal import workload

    from tradeguard.journal.store import DURABLE_KINDS

    out = [e for e in workload.session(n + n // 5, seed=11) if not isinstance(e, DURABLE_KINDS)]
    return out[:n]


# ── SQLite ───────────────────────────────────────────────────────────────────────────────────


def _plain_sqlite(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(
        "CREATE TABLE journal (seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, "
        "kind TEXT NOT NULL, client_order_id TEXT, body BLOB NOT NULL, "
        "hash BLOB NOT NULL)"
    )
    conn.execute(
        "CREATE INDEX journal_by_order ON journal(client_order_id) "
        "WHERE client_order_id IS NOT NULL"
    )
    return conn


def sqlite_append(tmp: Path) -> list[Figure]:
    from tests.journal.factories import intent

    from tradeguard.journal.store_sqlite import SqliteJournal

    events = _batched_events(APPEND_EVENTS)
    n = len(events)
    runs = iter(range(1000))

    def ours() -> None:
        with SqliteJournal(tmp / f"a{next(runs)}.db", batch_size=BATCH, durability=FULL) as store:
            for event in events:
                store.append(event)

    ours_s = timed(ours, REPS)
    with sqlite3.connect(tmp / "a0.db") as conn:
        rows = conn.execute(f"SELECT {COLUMNS} FROM journal ORDER BY seq").fetchall()

    def plain() -> None:
        conn = _plain_sqlite(tmp / f"p{next(runs)}.db")
        for i in range(0, len(rows), BATCH):
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?)", rows[i : i + BATCH])
            conn.execute("COMMIT")
        conn.close()

    plain_s = timed(plain, REPS)
    intents = [intent(f"i{k}", at_ms=k) for k in range(INTENTS)]

    def ours_intents() -> None:
        with SqliteJournal(tmp / f"i{next(runs)}.db", durability=FULL) as store:
            for event in intents:
                store.append(event)

    def plain_intents() -> None:
        conn = _plain_sqlite(tmp / f"q{next(runs)}.db")
        for row in rows[:INTENTS]:
            conn.execute("BEGIN")
            conn.execute("INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?)", row)
            conn.execute("COMMIT")
        conn.close()

    ours_i, plain_i = timed(ours_intents, REPS), timed(plain_intents, REPS)
    return [
        Figure("journal_append_per_s", n / ours_s, "events/s", "plain_sqlite", n / plain_s),
        Figure(
            "journal_intent_commits_per_s",
            INTENTS / ours_i,
            "commits/s",
            "plain_sqlite_full_commit",
            INTENTS / plain_i,
        ),
    ]


def sqlite_replay(tmp: Path) -> list[Figure]:
    import msgspec
    from tests.journal import workload

    from tradeguard.events import Event
    from tradeguard.journal.store_sqlite import SqliteJournal

    path = tmp / "replay.db"
    with SqliteJournal(path) as store:
        chunk: list[Any] = []
        for event in workload.session(REPLAY_EVENTS, seed=12):
            chunk.append(event)
            if len(chunk) == 50_000:
                store.append_many(chunk)
                chunk = []
        store.append_many(chunk)
    path.read_bytes()  # warm the page cache, for both loops alike

    def ours() -> None:
        with SqliteJournal(path, create=False) as store:
            state = store.fold()
        assert state.events == REPLAY_EVENTS

    decode = msgspec.msgpack.Decoder(Event).decode

    def plain() -> None:
        conn = sqlite3.connect(path)
        state: dict[Any, Any] = {}
        for _, body in conn.execute("SELECT seq, body FROM journal ORDER BY seq"):
            event = decode(body[1:])
            state[getattr(event, "client_order_id", None)] = event
        conn.close()

    return [
        Figure(
            "journal_replay_1m_s", timed(ours, REPS), "s", "plain_msgspec_loop", timed(plain, REPS)
        )
    ]


# ── PostgreSQL ───────────────────────────────────────────────────────────────────────────────


def postgres(dsn: str) -> list[Figure]:
    import msgspec
    import psycopg
    from tests.journal import workload

    from tradeguard.events import Event
    from tradeguard.journal.store_postgres import PostgresJournal

    events = _batched_events(APPEND_EVENTS)
    runs = iter(range(1000))

    def ours() -> None:
        with PostgresJournal(
            dsn, profile=f"a{next(runs)}", batch_size=BATCH, durability=FULL
        ) as store:
            for event in events:
                store.append(event)

    ours_s = timed(ours, REPS)
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            f"SELECT {COLUMNS} FROM tradeguard_journal WHERE profile = 'a0' ORDER BY seq"
        ).fetchall()

    def plain() -> None:
        profile = f"p{next(runs)}"
        with psycopg.connect(dsn, autocommit=True) as conn:
            for i in range(0, len(rows), BATCH):
                with (
                    conn.transaction(),
                    conn.cursor().copy(
                        f"COPY tradeguard_journal (profile, {COLUMNS}) FROM STDIN"
                    ) as copy,
                ):
                    for row in rows[i : i + BATCH]:
                        copy.write_row((profile, *row))

    plain_s = timed(plain, REPS)
    n = len(events)
    figures = [
        Figure("journal_append_per_s_pg", n / ours_s, "events/s", "plain_psycopg_copy", n / plain_s)
    ]

    with PostgresJournal(dsn, profile="replay") as store:
        chunk: list[Any] = []
        for event in workload.session(REPLAY_EVENTS, seed=12):
            chunk.append(event)
            if len(chunk) == 50_000:
                store.append_many(chunk)
                chunk = []
        store.append_many(chunk)

    def ours_replay() -> None:
        with PostgresJournal(dsn, profile="replay", create=False) as store:
            assert store.fold().events == REPLAY_EVENTS

    decode = msgspec.msgpack.Decoder(Event).decode

    def plain_replay() -> None:
        state: dict[Any, Any] = {}
        with psycopg.connect(dsn) as conn, conn.cursor(name="plain", binary=True) as cur:
            cur.itersize = 20_000
            cur.execute(
                "SELECT seq, body FROM tradeguard_journal WHERE profile = 'replay' ORDER BY seq"
            )
            for _, body in cur:
                event = decode(body[1:])
                state[getattr(event, "client_order_id", None)] = event

    figures.append(
        Figure(
            "journal_replay_1m_s_pg",
            timed(ours_replay, 2),
            "s",
            "plain_msgspec_loop",
            timed(plain_replay, 2),
        )
    )
    return figures


def run() -> list[Figure]:
    from tests.journal import pgcluster

    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="tgbench") as tmp:
        figures += sqlite_append(Path(tmp))
        figures += sqlite_replay(Path(tmp))
    with pgcluster.running() as cluster:
        if cluster is None:
            print(f"   (PostgreSQL figures skipped: {pgcluster.HOW_TO_ENABLE})", flush=True)
        else:
            figures += postgres(cluster.dsn)
    return figures
