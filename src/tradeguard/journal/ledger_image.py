"""A Ledger as bytes and back: a reader that folded a journal up to a record keeps this image
(the dashboard's checkpoint), so that it later folds only the records after it. Pure.

The image holds every field of the Ledger, the private ones included, so that a restored Ledger
continues exactly as the one captured would (tests/journal/test_ledger_image.py fails when a
field is added to the Ledger and not here). It lives beside `replay` rather than in it: the
fold stays one module, and what it keeps is written down here once.
"""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal

import msgspec

from tradeguard.journal.replay import Ledger, _PositionSum, _Report
from tradeguard.journal.state import (
    ClockState,
    KillSwitch,
    LimitState,
    Position,
    Stage,
    StreamState,
)
from tradeguard.model import Balance
from tradeguard.orders import Order


class ReportImage(msgspec.Struct, frozen=True, gc=False):
    balance: Balance
    moved_then: Decimal
    exchange_ms: int | None
    at_ms: int = 0


class LedgerImage(msgspec.Struct, frozen=True, gc=False):
    keep_closed: int
    closed_dropped: int
    closed: tuple[str, ...]
    orders: dict[str, Order]
    open: tuple[str, ...]
    positions: dict[str, Position]
    fees_other: dict[str, Decimal]
    reported: dict[str, ReportImage]
    latest_report_ms: int
    limits: dict[str, LimitState]
    streams: dict[str, StreamState]
    stage: Stage | None
    kill_switch: KillSwitch
    clock: ClockState | None
    profile: str | None
    as_of_ms: int | None
    events: int
    peak_weight: int
    peak_order_count: int
    risk_denials: int
    errors: int
    alerts: int
    by_exchange_id: tuple[tuple[str, int, str], ...]
    move_ids: tuple[str, ...] = ()
    stream_moves: tuple[tuple[str, Decimal, int | None], ...] = ()


# the Ledger's attributes this image covers (its handler table is rebuilt, never stored)
COVERED = frozenset(
    {
        "keep_closed", "closed_dropped", "_closed", "orders", "_open", "_positions",
        "_fees_other", "_reported", "_latest_report_ms", "limits", "streams", "stage",
        "kill_switch", "clock", "profile", "as_of_ms", "events", "peak_weight",
        "peak_order_count", "risk_denials", "errors", "alerts", "_by_exchange_id", "_handlers",
        "_move_ids", "_stream_moves",
    }
)  # fmt: skip


def capture(ledger: Ledger) -> LedgerImage:
    """The ledger's whole state, immutable (the ledger may go on folding)."""
    return LedgerImage(
        keep_closed=ledger.keep_closed,
        closed_dropped=ledger.closed_dropped,
        closed=tuple(ledger._closed),
        orders=dict(ledger.orders),
        open=tuple(ledger._open),
        positions={k: p.frozen() for k, p in ledger._positions.items()},
        fees_other=dict(ledger._fees_other),
        reported={
            a: ReportImage(r.balance, r.moved_then, r.exchange_ms, r.at_ms)
            for a, r in ledger._reported.items()
        },
        latest_report_ms=ledger._latest_report_ms,
        limits=dict(ledger.limits),
        streams=dict(ledger.streams),
        stage=ledger.stage,
        kill_switch=ledger.kill_switch,
        clock=ledger.clock,
        profile=ledger.profile,
        as_of_ms=ledger.as_of_ms,
        events=ledger.events,
        peak_weight=ledger.peak_weight,
        peak_order_count=ledger.peak_order_count,
        risk_denials=ledger.risk_denials,
        errors=ledger.errors,
        alerts=ledger.alerts,
        by_exchange_id=tuple((s, i, c) for (s, i), c in ledger._by_exchange_id.items()),
        move_ids=tuple(ledger._move_ids),
        stream_moves=tuple(ledger._stream_moves),
    )


def restore(image: LedgerImage) -> Ledger:
    """A Ledger that goes on exactly as the one the image was captured from."""
    ledger = Ledger(image.keep_closed)
    ledger.closed_dropped = image.closed_dropped
    ledger._closed = OrderedDict.fromkeys(image.closed)
    ledger.orders = dict(image.orders)
    ledger._open = dict.fromkeys(image.open)
    for symbol, p in image.positions.items():
        held = ledger._positions[symbol] = _PositionSum(p.symbol, p.base_asset, p.quote_asset)
        held.qty, held.quote, held.fills = p.qty, p.quote, p.fills
    ledger._fees_other = dict(image.fees_other)
    ledger._reported = {
        a: _Report(r.balance, r.moved_then, r.exchange_ms, r.at_ms)
        for a, r in image.reported.items()
    }
    ledger._latest_report_ms = image.latest_report_ms
    ledger.limits = dict(image.limits)
    ledger.streams = dict(image.streams)
    ledger.stage = image.stage
    ledger.kill_switch = image.kill_switch
    ledger.clock = image.clock
    ledger.profile = image.profile
    ledger.as_of_ms = image.as_of_ms
    ledger.events = image.events
    ledger.peak_weight = image.peak_weight
    ledger.peak_order_count = image.peak_order_count
    ledger.risk_denials = image.risk_denials
    ledger.errors = image.errors
    ledger.alerts = image.alerts
    ledger._by_exchange_id = {(s, i): c for s, i, c in image.by_exchange_id}
    ledger._move_ids = OrderedDict.fromkeys(image.move_ids)
    ledger._stream_moves = OrderedDict.fromkeys(image.stream_moves)
    return ledger
