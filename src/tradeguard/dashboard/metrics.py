"""`GET /metrics`: the dashboard's view in the Prometheus text exposition format 0.0.4. No I/O.

Names follow Prometheus's conventions: one prefix (`tradeguard_`), base units (`_seconds`),
counters ending in `_total`, timestamps as `_timestamp_seconds`, the build as `_info`, and
quote-currency amounts named `_quote` (so that `sum()` over labels adds one unit). Every label
comes from a bounded set (venue, symbol, side, order type, asset, error code, rule, stream,
event kind): never an order id or a price. Money is written with the journal's Decimal digits;
a scraper reads it as a float, for monitoring only (the journal stays authoritative).

Counters count what the journal holds from its first record (a checkpoint carries them, so a
restarted dashboard continues them): they never go down. docs/metrics.md lists every metric
(tests/dashboard/test_metrics.py holds the two to each other).
"""

from __future__ import annotations

import platform
from collections.abc import Iterable, Mapping
from decimal import Decimal

from tradeguard import __version__
from tradeguard.dashboard.tally import LABEL_SEP
from tradeguard.dashboard.view import DashboardView
from tradeguard.net.ratelimit import LimitKind
from tradeguard.text import plain

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Labels = Mapping[str, str]
Value = int | float | Decimal


def escape_label(value: str) -> str:
    """A label value as the text format writes it: backslash, double quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: Value) -> str:
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return repr(value)


class _Exposition:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(
        self, name: str, kind: str, help_text: str, samples: Iterable[tuple[Labels, Value]]
    ) -> None:
        self.lines.append(f"# HELP {name} {_escape_help(help_text)}")
        self.lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            if labels:
                inner = ",".join(f'{k}="{escape_label(v)}"' for k, v in labels.items())
                self.lines.append(f"{name}{{{inner}}} {_number(value)}")
            else:
                self.lines.append(f"{name} {_number(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _labelled(
    rows: Mapping[str, Value], keys: tuple[str, ...], base: Labels
) -> list[tuple[Labels, Value]]:
    """A tally's rows (keyed by label values joined by LABEL_SEP) as labelled samples."""
    return [
        ({**base, **dict(zip(keys, key.split(LABEL_SEP), strict=True))}, n)
        for key, n in sorted(rows.items())
    ]


def prometheus_text(
    view: DashboardView, *, now_ms: int, head_seq: int | None = None, version: str = __version__
) -> str:
    """The whole exposition at `now_ms` (the wall time the server read: what is in force);
    `head_seq`, the journal's head as the tail last read it (`JournalTail.head()`), for the
    lag (default: the head `JournalTail.note_chain` last told the view)."""
    out = _Exposition()
    tally, ledger = view.tally, view.ledger
    venue = tally.venue or view.venue
    env = tally.env or view.env
    v = {"venue": venue}

    def counted(name: str, *keys: str, base: Labels = v) -> list[tuple[Labels, Value]]:
        return _labelled(tally.counters.get(name, {}), keys, base)

    def summed(name: str, *keys: str) -> list[tuple[Labels, Value]]:
        return _labelled(tally.sums.get(name, {}), keys, v)

    out.family("tradeguard_build_info", "gauge", "The tradeguard build serving the metrics.",
               [({"version": version, "python": platform.python_version()}, 1)])  # fmt: skip
    out.family(
        "tradeguard_orders_submitted_total", "counter", "Orders intended and sent.",
        counted("orders_submitted", "symbol", "side", "type"),
    )  # fmt: skip
    out.family(
        "tradeguard_orders_rejected_total", "counter",
        "Orders refused: by the guard (reason risk) or the exchange (reason exchange, its code).",
        counted("orders_rejected", "symbol", "code", "reason"),
    )  # fmt: skip
    out.family("tradeguard_order_cancels_total", "counter", "Orders that ended cancelled.",
               counted("order_cancels", "symbol"))  # fmt: skip
    out.family("tradeguard_fills_total", "counter", "Executions booked.",
               counted("fills", "symbol", "side", "liquidity"))  # fmt: skip
    out.family("tradeguard_filled_base_total", "counter", "Quantity filled, in the base asset.",
               summed("filled_base", "symbol", "side", "liquidity"))  # fmt: skip
    out.family("tradeguard_filled_quote_total", "counter", "Value filled, in the quote asset.",
               summed("filled_quote", "symbol", "side", "liquidity"))  # fmt: skip
    out.family("tradeguard_fees_paid_total", "counter", "Commissions paid, in their asset.",
               summed("fees_paid", "asset"))  # fmt: skip

    open_by_symbol: dict[str, int] = dict.fromkeys(tally.books, 0)
    for order in ledger.open_orders():
        open_by_symbol[order.symbol] = open_by_symbol.get(order.symbol, 0) + 1
    out.family("tradeguard_open_orders", "gauge", "Orders open now.",
               [({**v, "symbol": s}, n) for s, n in sorted(open_by_symbol.items())])  # fmt: skip
    books = sorted(tally.books.values(), key=lambda b: b.symbol)
    out.family("tradeguard_position_base", "gauge", "Position from fills, in the base asset.",
               [({**v, "symbol": b.symbol}, b.qty) for b in books])  # fmt: skip
    out.family(
        "tradeguard_pnl_realized_quote", "gauge",
        "Realized PnL by average cost, fees included, in the quote asset.",
        [({**v, "symbol": b.symbol, "quote": b.quote}, b.realized) for b in books],
    )  # fmt: skip
    out.family(
        "tradeguard_pnl_unrealized_quote", "gauge",
        "Unrealized PnL against the last fill price, in the quote asset.",
        [({**v, "symbol": b.symbol, "quote": b.quote}, u) for b in books
         if (u := b.unrealized) is not None],
    )  # fmt: skip
    balances = [(a, b) for a in ledger._assets() if (b := ledger.balance(a)) is not None]
    out.family("tradeguard_balance_free", "gauge", "Free balance per asset.",
               [({**v, "asset": a}, b.free) for a, b in balances])  # fmt: skip
    out.family("tradeguard_balance_locked", "gauge", "Balance locked in orders per asset.",
               [({**v, "asset": a}, b.locked) for a, b in balances])  # fmt: skip

    weight_used: list[tuple[Labels, Value]] = []
    weight_limit: list[tuple[Labels, Value]] = []
    orders_used: list[tuple[Labels, Value]] = []
    orders_limit: list[tuple[Labels, Value]] = []
    for rule in view.rate_limits():
        labels = {**v, "interval": rule["interval"]}
        if rule["used"] is not None and now_ms - rule["at_ms"] >= rule["interval_ms"]:
            rule["used"] = 0  # reported longer ago than its window: that window is over
        if rule["kind"] == LimitKind.REQUEST_WEIGHT.value:
            weight_limit.append((labels, rule["limit"]))
            if rule["used"] is not None:
                weight_used.append((labels, rule["used"]))
        elif rule["kind"] == LimitKind.ORDERS.value:
            orders_limit.append((labels, rule["limit"]))
            if rule["used"] is not None:
                orders_used.append((labels, rule["used"]))
    out.family("tradeguard_request_weight_used", "gauge",
               "Request weight the exchange last reported used in the interval.",
               weight_used)  # fmt: skip
    out.family("tradeguard_request_weight_limit", "gauge", "The exchange's request weight limit.",
               weight_limit)  # fmt: skip
    out.family("tradeguard_order_count_used", "gauge",
               "Orders the exchange last reported placed in the interval.",
               orders_used)  # fmt: skip
    out.family("tradeguard_order_count_limit", "gauge", "The exchange's order count limit.",
               orders_limit)  # fmt: skip
    out.family("tradeguard_rate_limit_hits_total", "counter",
               "Replies refused for the request rate (429) or under a ban (418).",
               counted("rate_limit_hits", "status"))  # fmt: skip
    ban = ledger.limits.get("ban")
    ban_until = ban.until_ms / 1000 if ban is not None and ban.until_ms > now_ms else 0
    out.family("tradeguard_ban_until_timestamp_seconds", "gauge",
               "When the exchange's IP ban ends (0: none in force).", [(v, ban_until)])  # fmt: skip
    out.family(
        "tradeguard_rate_limit_in_force", "gauge",
        "Whether a pause (429), ban (418) or the rejection breaker holds orders back now.",
        [({**v, "limit": name}, int(s is not None and s.until_ms > now_ms))
         for name in ("pause", "ban", "breaker") for s in [ledger.limits.get(name)]],
    )  # fmt: skip
    out.family("tradeguard_risk_denials_total", "counter",
               "Orders the risk guard refused, per rule (one order may break several).",
               counted("risk_denials", "rule", base={}))  # fmt: skip
    out.family("tradeguard_kill_switch_engaged", "gauge",
               "1 while the kill switch is latched.",
               [({"env": env}, int(ledger.kill_switch.latched))])  # fmt: skip
    out.family("tradeguard_kill_switch_engagements_total", "counter",
               "Times the kill switch latched: by hand (manual) or by a limit (rule).",
               counted("kill_switch_engagements", "trigger", base={}))  # fmt: skip
    out.family("tradeguard_stream_gaps_total", "counter",
               "Stream outages, by outcome: filled over REST, or lost.",
               counted("stream_gaps", "stream", "outcome"))  # fmt: skip
    streams = sorted(ledger.streams.values(), key=lambda s: s.stream)
    out.family("tradeguard_connection_up", "gauge",
               "1 while the stream is connected with no gap open.",
               [({**v, "stream": s.stream}, int(s.connected and s.gap_since_ms is None))
                for s in streams])  # fmt: skip
    out.family("tradeguard_last_message_timestamp_seconds", "gauge",
               "When the journal last recorded a message from the stream.",
               [({**v, "stream": name}, at / 1000)
                for name, at in sorted(tally.last_message_ms.items())])  # fmt: skip
    clock = ledger.clock
    out.family("tradeguard_clock_offset_seconds", "gauge",
               "The exchange's clock minus this host's, as last measured.",
               [] if clock is None else [(v, clock.offset_ms / 1000)])  # fmt: skip
    out.family("tradeguard_journal_events_total", "counter", "Journal records folded, by type.",
               counted("journal_events", "type", base={}))  # fmt: skip
    known = head_seq if head_seq is not None else int(view.chain.get("head_seq") or 0)
    head = max(known, view.seq)
    out.family("tradeguard_journal_head_seq", "gauge", "The journal's last record.",
               [({}, head)])  # fmt: skip
    out.family("tradeguard_journal_lag_records", "gauge",
               "Records written to the journal that the dashboard has not folded yet.",
               [({}, head - view.seq)])  # fmt: skip
    last = ledger.as_of_ms
    out.family("tradeguard_journal_last_record_timestamp_seconds", "gauge",
               "The local time of the last record folded.",
               [] if last is None else [({}, last / 1000)])  # fmt: skip
    return out.text()
