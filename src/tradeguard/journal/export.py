"""Journal records out as JSON lines or CSV, and the one-line form `journal tail` prints.

JSON lines: one object per record, {"seq", "at", "at_ms", "kind", "client_order_id", "event"},
the whole event with the same field names as in the journal and Decimals as strings in plain
notation. CSV: one row per record in the columns of `CSV_COLUMNS`, for spreadsheets, each
filled where it applies to the record's kind (see `csv_row`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any

import msgspec

from tradeguard import events as ev
from tradeguard.journal.store import Record
from tradeguard.model import OrderIntent

_json = msgspec.json.Encoder()
CSV_COLUMNS = (
    "seq",
    "time",  # ISO 8601, UTC, ms
    "kind",
    "symbol",  # the exchange's, e.g. BTCUSDT
    "side",
    "type",
    "qty",  # an order's quantity; a fill's
    "price",  # an order's limit price; a fill's
    "quote_qty",  # a market order by quote amount; a fill's or an order's quote quantity
    "executed_qty",  # the exchange's cumulative filled quantity of an order
    "fee",
    "fee_asset",
    "client_order_id",
    "order_id",  # the exchange's
    "trade_id",
    "status",
    "reason",  # why: a reject or expiry, a risk denial, the kill switch, an error or alert
)
_SHOWN_APART = frozenset({"event", "at_ms", "profile", "client_order_id"})


def iso_ms(ms: int) -> str:
    """Milliseconds since the epoch as ISO 8601 UTC, e.g. 2026-11-20T10:00:00.123Z."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
            "event": _plain(msgspec.to_builtins(r.event, builtin_types=(Decimal,))),
        }
        out.write(_json.encode(line) + b"\n")
        n += 1
    return n


def write_csv(records: Iterable[Record], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for r in records:
        row = csv_row(r)
        writer.writerow([_cell(row.get(column)) for column in CSV_COLUMNS])
        n += 1
    return n


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def csv_row(record: Record) -> dict[str, object]:
    """The CSV columns that apply to one record (the rest stay empty)."""
    e = record.event
    row: dict[str, object] = {
        "seq": record.seq,
        "time": iso_ms(record.at_ms),
        "kind": record.kind,
        "client_order_id": record.client_order_id,
    }
    match e:
        case ev.OrderIntended(intent=intent):
            row.update(_intent_columns(intent))
        case ev.RiskDenied():
            row.update(_intent_columns(e.intent) if e.intent is not None else {})
            row["reason"] = "; ".join(e.reasons)
        case ev.OrderUpdated():
            row.update(
                symbol=e.symbol, status=e.status, order_id=e.order_id, qty=e.orig_qty,
                executed_qty=e.executed_qty, quote_qty=e.quote_qty, reason=e.reason,
            )  # fmt: skip
        case ev.OrderAdopted(report=report):
            row.update(
                symbol=report.symbol, side=report.side, type=report.type, qty=report.orig_qty,
                price=report.price, executed_qty=report.executed_qty,
                quote_qty=report.cummulative_quote_qty, order_id=report.order_id,
                status=report.status,
            )  # fmt: skip
        case ev.OrderFilled():
            row.update(
                symbol=e.symbol, side=e.side, qty=e.qty, price=e.price, quote_qty=_quote(e),
                executed_qty=e.cum_qty, fee=e.commission, fee_asset=e.commission_asset,
                order_id=e.order_id, trade_id=e.trade_id,
            )  # fmt: skip
        case ev.ReplyReceived():
            row.update(order_id=e.order_id, reason=_reply_reason(e))
        case ev.ReconciliationFound():
            row.update(reason=f"{e.kind}: {e.detail}")
        case ev.ErrorRaised():
            row.update(reason=f"{e.error}: {e.message}")
        case ev.AlertRaised():
            row.update(reason=f"{e.kind}: {e.message}")
        case ev.KillSwitchSet() | ev.ShutDown() | ev.RateLimitChanged() | ev.StreamGapLost():
            row.update(reason=e.reason)
    return row


def _quote(fill: ev.OrderFilled) -> Decimal:
    """The fill's quote quantity: the exchange's when it gave one, else price * qty without the
    product's run of trailing zeros (59400.00000000 * 0.00040000 is 23.76)."""
    return fill.quote if fill.quote_qty is not None else fill.quote.normalize()


def _intent_columns(intent: OrderIntent) -> dict[str, object]:
    return {
        "symbol": intent.symbol.binance,
        "side": intent.side,
        "type": intent.type,
        "qty": intent.qty,
        "price": intent.price,
        "quote_qty": intent.quote_qty,
        "client_order_id": intent.client_order_id,
    }


def _reply_reason(reply: ev.ReplyReceived) -> str | None:
    """An error reply's HTTP status and exchange code; nothing for a success."""
    if reply.code is None and reply.status < 400:
        return None
    return f"HTTP {reply.status}" + ("" if reply.code is None else f", code {reply.code}")


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
