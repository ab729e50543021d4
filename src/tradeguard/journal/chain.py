"""The hash chain and the checks `journal verify` runs. Pure.

Each record stores `hash = sha256(previous record's hash ‖ seq as 8 bytes big-endian ‖ body)`;
the first record chains from 32 zero bytes. Editing a body breaks its own link; removing a
record leaves a gap in `seq` (or, renumbered, breaks the link where it was); swapping two breaks
the first of them. `verify_rows` keeps going after a break, chaining from the stored hash, so
each independent change is reported once, where it is.

What a chain cannot show on its own: a tail cut off cleanly (indistinguishable from a crash
before those records were written), or a whole chain recomputed by someone with write access.
Against both, keep the head that `journal verify` prints (record N, hash H) somewhere else and
check it later with `journal verify --head N:H`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from tradeguard.errors import JournalCorrupt, StateError
from tradeguard.events import client_order_id, kind
from tradeguard.journal import codec
from tradeguard.journal.replay import Ledger

GENESIS = bytes(32)
MAX_PROBLEMS = 50

_sha256 = hashlib.sha256


def link(prev: bytes, seq: int, body: bytes) -> bytes:
    return _sha256(prev + seq.to_bytes(8, "big") + body).digest()


# a stored row: seq, at_ms, kind, client order id, body, hash
Row = tuple[int, int, str, str | None, bytes, bytes]


@dataclass(frozen=True)
class Problem:
    position: int
    what: str

    def __str__(self) -> str:
        return f"record {self.position}: {self.what}"


@dataclass
class VerifyReport:
    records: int = 0
    head_seq: int = 0
    head_hash: bytes = GENESIS
    problems: list[Problem] = field(default_factory=list)
    more_problems: int = 0  # found beyond MAX_PROBLEMS, not listed

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def head(self) -> str:
        return f"{self.head_seq}:{self.head_hash.hex()}"

    def add(self, position: int, what: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(position, what))
        else:
            self.more_problems += 1


def verify_rows(
    rows: Iterable[Row],
    expect_head: tuple[int, bytes] | None = None,
    *,
    after: tuple[int, bytes] = (0, GENESIS),
    deep: bool = True,
) -> VerifyReport:
    """Check the chain, the numbering, every body, the columns against the bodies, and that the
    events fold (the ledger accepts them in order). A damaged store file raises JournalCorrupt
    from the row iterator; it is reported as the last problem.

    `after`: the rows continue a chain whose record `after[0]` has the hash `after[1]` (a
    record verified before). `deep=False` checks only what the chain guarantees (numbering and
    links), for a start that folds the events itself right after."""
    report = VerifyReport(head_seq=after[0], head_hash=after[1])
    anchor_seq = expect_head[0] if expect_head is not None else -1
    anchor_hash: bytes | None = None
    ledger = Ledger()
    prev = after[1]
    expected = after[0] + 1
    rows_iter = iter(rows)
    while True:
        try:
            row = next(rows_iter)
        except StopIteration:
            break
        except JournalCorrupt as exc:
            report.add(exc.position, exc.detail)
            break
        seq, at_ms, stored_kind, coid, body, stored_hash = row
        if seq != expected:
            missing = f"record {expected} is"
            if seq - 1 > expected:
                missing = f"records {expected} to {seq - 1} are"
            report.add(expected, f"{missing} missing (the next is {seq}): removed, or lost")
        if link(prev, seq, body) != stored_hash:
            report.add(
                seq,
                "its hash does not match the chain: this record was edited, or the one before "
                "it was removed, replaced or moved",
            )
        if seq == anchor_seq:
            anchor_hash = stored_hash
        prev = stored_hash
        expected = seq + 1
        report.records += 1
        report.head_seq, report.head_hash = seq, stored_hash
        if not deep:
            continue
        try:
            event = codec.decode(body, seq)
        except JournalCorrupt as exc:
            report.add(seq, exc.detail)
            continue
        if event.at_ms != at_ms or kind(event) != stored_kind or client_order_id(event) != coid:
            report.add(seq, "its index columns (time, kind, order id) disagree with its body")
        try:
            ledger.apply(event)
        except StateError as exc:
            report.add(seq, f"the event does not fit the state before it: {exc.message}")
    if expect_head is not None:
        want_seq, want_hash = expect_head
        if report.head_seq < want_seq:
            report.add(
                want_seq,
                f"missing: the journal ends at record {report.head_seq}, but record "
                f"{want_seq} was seen before (the tail was cut off)",
            )
        elif anchor_hash != want_hash:
            report.add(want_seq, "its hash is not the one seen before: the chain was rewritten")
    return report
