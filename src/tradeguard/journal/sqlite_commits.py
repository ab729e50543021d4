"""How the SQLite journal commits a batch: chained where it is handed off, inserted by one
statement on the journal's commit thread (journal.commit_thread).

One statement, not a row each: the bodies go to SQLite joined in one blob, the hashes in
another, and each record's (at_ms, kind, client order id, offset, length) as JSON; one
`INSERT ... SELECT ... FROM json_each(...)` writes every row. Python's sqlite3 binds a row's
parameters holding the GIL and releases it only inside each row's step, so `executemany` on a
second thread would trade the GIL back and forth 2,048 times a batch; one statement releases it
once, for all of the batch's SQLite work (and for the checkpoint SQLite runs when its commit
fills the log). The statement costs more CPU than executemany (about 2.5 µs a row against 2.0
here), but on another core.

The chain is computed by the appender, from the head it expects: its own last batch. The
statement inserts only if the journal's head is still that one, checked in the statement itself,
so under SQLite's write lock. If another process appended in between, nothing is inserted and
`commit` re-chains the batch from the real head inside BEGIN IMMEDIATE. If an earlier attempt of
this batch landed although it raised (a lost reply), the record at the batch's last seq already
holds the batch's last hash, and nothing is written twice.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass

import msgspec

from tradeguard.journal.chain import GENESIS
from tradeguard.journal.intent_log import SealedLog
from tradeguard.journal.store import Pending

Head = tuple[int, bytes]  # a record's seq and hash; (0, GENESIS) before the first

HEAD = "SELECT seq, CAST(hash AS BLOB) FROM journal ORDER BY seq DESC LIMIT 1"
_HASH_AT = "SELECT CAST(hash AS BLOB) FROM journal WHERE seq = ?"
_INSERT = (
    "INSERT INTO journal SELECT ?1 + key + 1, value ->> 0, value ->> 1, value ->> 2,"
    " substr(?2, value ->> 3, value ->> 4), substr(?3, key * 32 + 1, 32) FROM json_each(?4)"
    " WHERE coalesce((SELECT max(seq) FROM journal), 0) = ?1"
    " AND coalesce((SELECT CAST(hash AS BLOB) FROM journal WHERE seq = ?1), zeroblob(32)) = ?5"
)
_index_json = msgspec.json.Encoder().encode


@dataclass(slots=True)
class Batch:
    """Events handed to the commit thread, chained after `after`."""

    pending: list[Pending]
    after: Head
    last: Head  # its own last record, once inserted
    bodies: bytes
    hashes: bytes
    index: bytes  # JSON: [at_ms, kind, client order id, offset in bodies (from 1), length]
    log: SealedLog | None  # the intent log file holding its intents, if any


def chain(after: Head, pending: list[Pending], log: SealedLog | None) -> Batch:
    """The batch of `pending`, chained after the record `after` (see journal.chain.link)."""
    sha256 = hashlib.sha256  # chain.link, inlined: once per record
    seq, prev = after
    hashes: list[bytes] = []
    index: list[tuple[int, str, str | None, int, int]] = []
    offset = 1
    for at_ms, kind, coid, body in pending:
        seq += 1
        prev = sha256(prev + seq.to_bytes(8, "big") + body).digest()
        hashes.append(prev)
        size = len(body)
        index.append((at_ms, kind, coid, offset, size))
        offset += size
    bodies = b"".join([item[3] for item in pending])
    return Batch(pending, after, (seq, prev), bodies, b"".join(hashes), _index_json(index), log)


def head(conn: sqlite3.Connection) -> Head:
    row = conn.execute(HEAD).fetchone()
    return (0, GENESIS) if row is None else (int(row[0]), bytes(row[1]))


def commit(conn: sqlite3.Connection, batch: Batch) -> None:
    """Insert the batch after the journal's head, whatever it is now; safe to run again after it
    raised. `batch.last` is then the head it left."""
    if _insert(conn, batch):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not _landed(conn, batch):
            rechained = chain(head(conn), batch.pending, batch.log)
            # the same events, so the same bodies and index: only the chain moves, and the
            # batch takes it before the insert (a retry must look for it)
            batch.after, batch.last, batch.hashes = (
                rechained.after,
                rechained.last,
                rechained.hashes,
            )
            if not _insert(conn, batch):
                raise sqlite3.OperationalError("the journal's head moved under its write lock")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _insert(conn: sqlite3.Connection, batch: Batch) -> bool:
    """Insert if the head is still `batch.after`; whether it was."""
    seq, prev = batch.after
    args = (seq, batch.bodies, batch.hashes, batch.index, prev)
    return conn.execute(_INSERT, args).rowcount == len(batch.pending)


def _landed(conn: sqlite3.Connection, batch: Batch) -> bool:
    """Whether an earlier attempt of this batch is in the journal already."""
    row = conn.execute(_HASH_AT, (batch.last[0],)).fetchone()
    return row is not None and bytes(row[0]) == batch.last[1]
