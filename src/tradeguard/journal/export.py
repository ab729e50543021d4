"""Journal records out as JSON lines or CSV, and the one-line form `journal tail` prints.

JSON lines: one object per record, {"seq", "at", "at_ms", "kind", "client_order_id", "event"},
the event with the same field names as in the journal and Decimals as strings. CSV: the same
columns, the event as a JSON string in the last column, for spreadsheets and grep.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any

import msgspec

from tradeguard.journal.store import Record

_json = msgspec.json.Encoder()
CSV_COLUMNS = ("seq", "at", "at_ms", "kind", "client_order_id", "order_id", "symbol", "event")
_SHOWN_APART = frozenset({"event", "at_ms", "profile", "client_order_id"})


def iso_ms(ms: int) -> str:
    """Milliseconds since the epoch as ISO 8601 UTC, e.g. 2026-11-20T10:00:00.123Z."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _fields(record: Record) -> dict[str, Any]:
    value = msgspec.to_builtins(record.event)
    assert isinstance(value, dict)
    return value


def _compact(value: Any) -> Any:
    """Without the None and empty fields nested structs carry: shorter `tail` lines."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v not in (None, "", [], {}, False)}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def write_jsonl(records: Iterable[Record], out: IO[bytes]) -> int:
    n = 0
    for r in records:
        line = {
            "seq": r.seq,
            "at": iso_ms(r.at_ms),
            "at_ms": r.at_ms,
            "kind": r.kind,
            "client_order_id": r.client_order_id,
            "event": r.event,
        }
        out.write(_json.encode(line) + b"\n")
        n += 1
    return n


def write_csv(records: Iterable[Record], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for r in records:
        fields = _fields(r)
        writer.writerow(
            [
                r.seq,
                iso_ms(r.at_ms),
                r.at_ms,
                r.kind,
                r.client_order_id or "",
                fields.get("order_id") or "",
                fields.get("symbol") or "",
                _json.encode(r.event).decode(),
            ]
        )
        n += 1
    return n


def _plain(value: Any) -> Any:
    """Decimals in plain notation for people: 0.00000000, not 0E-8 (the stored text)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def one_line(record: Record) -> str:
    """`seq  time  Kind  order-id  key=value ...` for `journal tail`."""
    parts = []
    fields = _plain(msgspec.to_builtins(record.event, builtin_types=(Decimal,)))
    for key, value in fields.items():
        if key in _SHOWN_APART or value is None or value in ("", [], {}):
            continue
        shown = (
            value
            if isinstance(value, str | int | float | bool)
            else _json.encode(_compact(value)).decode()
        )
        parts.append(f"{key}={shown}")
    coid = record.client_order_id or "-"
    return (
        f"{record.seq:>8}  {iso_ms(record.at_ms)}  {record.kind:<18} {coid:<16} {' '.join(parts)}"
    )
