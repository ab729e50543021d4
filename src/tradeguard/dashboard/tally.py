"""What the dashboard keeps beside the Ledger: PnL books, the last fills and alerts, the PnL
curve, the last weight and order count, and the counters `/metrics` exposes. Pure.

One msgspec Struct, so that a checkpoint is its bytes (with the Ledger's image beside it).
Counters are keyed by their labels joined with a tab (no label value here holds one: symbols,
sides, order types, error codes, rule names, assets, stream names, event kinds), and every label
comes from a bounded set: never an order id or a price.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec

from tradeguard import events as ev
from tradeguard.dashboard.pnl import Book, book_fill
from tradeguard.journal.ledger_image import LedgerImage
from tradeguard.model import OrderStatus
from tradeguard.stages import Rung, RungRecord, RungRecorder

KEEP_FILLS = 200
KEEP_ALERTS = 50
CURVE_POINTS = 2000  # past this the curve keeps every other point (its first and last kept)
ZERO = Decimal(0)
# the rules a risk denial names first in each reason ("MAX_POSITION: ..."), as risk.check words
RISK_RULES = frozenset(
    {
        "DAILY_LOSS", "DRAWDOWN", "KILL_SWITCH", "MAX_OPEN_ORDERS", "MAX_ORDERS_PER_MINUTE",
        "MAX_ORDER_NOTIONAL", "MAX_POSITION", "PRICE_BAND", "READ_ONLY",
    }
)  # fmt: skip
LABEL_SEP = "\t"
RECORDED_RUNGS: tuple[Rung, ...] = ("testnet", "live-small")  # a promotion reads their record


def risk_rule(reason: str) -> str:
    """The bounded name of the rule a denial reason states ("other" for any other text)."""
    head = reason.split(":", 1)[0].strip().upper()
    return head.lower() if head in RISK_RULES else "other"


class Tally(msgspec.Struct, gc=False):
    seq: int = 0
    books: dict[str, Book] = {}
    marks: dict[str, Decimal] = {}  # "BASE/QUOTE" -> last fill price
    fills: list[tuple[int, ev.OrderFilled]] = []  # the last KEEP_FILLS, with their seq
    alerts: list[dict[str, Any]] = []
    curve: list[tuple[int, Decimal]] = []  # (ms, cumulative realized PnL in curve_quote)
    curve_quote: str | None = None
    curve_realized: Decimal = ZERO  # the curve's last value (kept when books are cleared)
    weight: int | None = None
    weight_ms: int | None = None
    order_count: int | None = None
    order_count_ms: int | None = None
    counters: dict[str, dict[str, int]] = {}
    sums: dict[str, dict[str, Decimal]] = {}
    last_message_ms: dict[str, int] = {}
    venue: str | None = None
    env: str | None = None
    mode: str | None = None
    started_ms: int | None = None
    shut_down: dict[str, Any] | None = None
    # the record on each rung a promotion reads (testnet's, live-small's): promote's own fold
    rungs: dict[str, RungRecorder] = {}

    def follow_rungs(self, profile: str) -> None:
        self.rungs = {r: RungRecorder(r, profile) for r in RECORDED_RUNGS}

    def rung_record(self, rung: str) -> RungRecord:
        recorder = self.rungs.get(rung)
        return RungRecord(rung) if recorder is None else recorder.record()  # type: ignore[arg-type]

    def count(self, name: str, *labels: str) -> None:
        table = self.counters.setdefault(name, {})
        key = LABEL_SEP.join(labels)
        table[key] = table.get(key, 0) + 1

    def add(self, name: str, amount: Decimal, *labels: str) -> None:
        table = self.sums.setdefault(name, {})
        key = LABEL_SEP.join(labels)
        table[key] = table.get(key, ZERO) + amount

    def alert(
        self, seq: int, at_ms: int, kind: str, title: str, message: str, severity: str = "warning"
    ) -> None:
        self.alerts.append(
            {"seq": seq, "at_ms": at_ms, "kind": kind, "title": title, "message": message,
             "severity": severity}
        )  # fmt: skip
        if len(self.alerts) > KEEP_ALERTS:
            del self.alerts[0]

    def observe(
        self,
        seq: int,
        event: ev.EventBase,
        changed: bool,
        held: OrderStatus | None,
        fee_price: Callable[[str, str], Decimal | None],
        symbol_of: Callable[[str], str],
    ) -> None:
        """What the page keeps of an event the Ledger has just folded (`changed`: whether it
        changed the Ledger; `held`: the order's status before an update)."""
        at = event.at_ms
        for recorder in self.rungs.values():
            recorder.feed(event)
        if isinstance(event, ev.OrderFilled):
            if event.source == "stream":
                self.last_message_ms["user"] = at
            if changed:
                self._fill(seq, event, fee_price)
        elif isinstance(event, ev.OrderUpdated):
            if event.source == "stream":
                self.last_message_ms["user"] = at
            if changed and event.status is OrderStatus.CANCELED and held is not event.status:
                self.count("order_cancels", event.symbol)
        elif isinstance(event, ev.OrderIntended):
            i = event.intent
            self.count("orders_submitted", i.symbol.base + i.symbol.quote, i.side.value,
                       i.type.value)  # fmt: skip
        elif isinstance(event, ev.BalanceChanged):
            if event.source == "stream":
                self.last_message_ms["user"] = at
        elif isinstance(event, ev.ReplyReceived):
            self._reply(seq, event, symbol_of)
        elif isinstance(event, ev.RiskDenied):
            for reason in event.reasons:
                self.count("risk_denials", risk_rule(reason))
            symbol = (
                "" if event.intent is None else event.intent.symbol.base + event.intent.symbol.quote
            )
            self.count("orders_rejected", symbol, "", "risk")
            self.alert(
                seq, at, "risk_denied", "order refused by the guard", "; ".join(event.reasons)
            )
        elif isinstance(event, ev.KillSwitchSet):
            self.count("kill_switch_engagements", "manual" if event.by == "user" else "rule")
            self.alert(seq, at, "kill_switch", f"kill switch latched by {event.by}", event.reason,
                       "critical")  # fmt: skip
        elif isinstance(event, ev.KillSwitchReset):
            self.alert(seq, at, "kill_switch", f"kill switch reset by {event.by}", "", "info")
        elif isinstance(event, ev.StreamGapFilled):
            self.count("stream_gaps", event.stream, "filled")
        elif isinstance(event, ev.StreamGapLost):
            self.count("stream_gaps", event.stream, "lost")
            self.alert(seq, at, "stream_lost", f"stream {event.stream} lost", event.reason)
        elif isinstance(event, ev.ErrorRaised):
            self.alert(seq, at, "error", event.error, event.message, "error")
        elif isinstance(event, ev.AlertRaised):
            self.alert(seq, at, event.kind, f"alert: {event.kind}", event.message, event.severity)
        elif isinstance(event, ev.ReconciliationFound):
            self.alert(seq, at, "reconciliation", f"reconciliation: {event.kind}", event.detail)
        elif isinstance(event, ev.KeyAudited) and not event.passed:
            self.alert(seq, at, "key", "API key refused", "; ".join(event.findings), "error")
        elif isinstance(event, ev.ProfileLoaded):
            self._started(event)
        elif isinstance(event, ev.ShutDown):
            self.shut_down = {"at_ms": at, "reason": event.reason,
                              "open_orders": event.open_orders}  # fmt: skip

    def _started(self, event: ev.ProfileLoaded) -> None:
        self.venue, self.env, self.mode = event.venue, event.env, event.mode
        self.started_ms, self.shut_down = event.at_ms, None
        if event.fresh_exchange:  # the Ledger forgot the last exchange's positions: so do we
            self.books, self.marks = {}, {}  # (the curve goes on from its last value)

    def _reply(self, seq: int, event: ev.ReplyReceived, symbol_of: Callable[[str], str]) -> None:
        if event.weight is not None:
            self.weight, self.weight_ms = event.weight, event.at_ms
        if event.order_count is not None:
            self.order_count, self.order_count_ms = event.order_count, event.at_ms
        if event.status in (429, 418):
            self.count("rate_limit_hits", str(event.status))
        coid = event.client_order_id
        if event.status >= 400 and event.method == "POST" and coid is not None:
            code = "" if event.code is None else str(event.code)
            self.count("orders_rejected", symbol_of(coid), code, "exchange")

    def _fill(
        self, seq: int, fill: ev.OrderFilled, fee_price: Callable[[str, str], Decimal | None]
    ) -> None:
        # Runs for every fill of a journal being caught up (a million records on a first start):
        # the rows the page shows are built from the events when shown, not here.
        quote_asset = fill.quote_asset
        book = self.books.get(fill.symbol)
        if book is None:
            book = self.books[fill.symbol] = Book(fill.symbol, fill.base_asset, quote_asset)
        fee_asset = fill.commission_asset
        price = None
        if fee_asset is not None and fee_asset != fill.base_asset and fee_asset != quote_asset:
            price = fee_price(fee_asset, quote_asset)
        realized = book.realized
        book_fill(book, fill, price)
        self.marks[f"{fill.base_asset}/{quote_asset}"] = fill.price
        key = f"{fill.symbol}{LABEL_SEP}{fill.side.value}{LABEL_SEP}" + (
            "maker" if fill.is_maker else "taker"
        )
        counters, sums = self.counters, self.sums
        fills = counters.setdefault("fills", {})
        fills[key] = fills.get(key, 0) + 1
        base = sums.setdefault("filled_base", {})
        base[key] = base.get(key, ZERO) + fill.qty
        quote = sums.setdefault("filled_quote", {})
        quote[key] = quote.get(key, ZERO) + fill.quote
        if fill.commission and fee_asset is not None:
            self.add("fees_paid", fill.commission, fee_asset)
        self.fills.append((seq, fill))
        if len(self.fills) > KEEP_FILLS:
            del self.fills[0]
        if self.curve_quote is None:
            self.curve_quote = quote_asset
        if quote_asset == self.curve_quote:
            self.curve_realized += book.realized - realized
            self.curve.append((fill.exchange_ms or fill.at_ms, self.curve_realized))
            if len(self.curve) > CURVE_POINTS:
                self.curve = [*self.curve[:-1:2], self.curve[-1]]


class ViewImage(msgspec.Struct, frozen=True, gc=False):
    """A checkpoint's body: the Ledger's image and the tally beside it."""

    ledger: LedgerImage
    tally: Tally
