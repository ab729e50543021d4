"""/metrics: the Prometheus text format 0.0.4, read back by a strict parser written here."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from pathlib import Path

import pytest

import tradeguard
from tradeguard import events as ev
from tradeguard.dashboard.metrics import prometheus_text
from tradeguard.dashboard.view import DashboardView
from tradeguard.model import Balance, OrderStatus, Side

from .events import T0, Orders, numbered

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


class Exposition:
    def __init__(self, text: str) -> None:
        self.types: dict[str, str] = {}
        self.series: Series = {}
        self.parse(text)

    def parse(self, text: str) -> None:
        assert text.endswith("\n"), "the exposition ends with a line feed"
        current: str | None = None
        helped: set[str] = set()
        for line in text[:-1].split("\n"):
            assert line, "no blank lines"
            if line.startswith("# HELP "):
                name = line.split(" ", 3)[2]
                assert _NAME.fullmatch(name) and name not in helped, line
                helped.add(name)
                current = name
                continue
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ")
                assert name == current and name not in self.types and kind in _TYPES, line
                self.types[name] = kind
                continue
            assert not line.startswith("#"), f"unexpected comment: {line!r}"
            name, labels, value = self.sample(line)
            assert name == current and name in self.types, f"sample outside its family: {line!r}"
            key = (name, frozenset(labels.items()))
            assert key not in self.series, f"series twice: {line!r}"
            self.series[key] = value

    @staticmethod
    def sample(line: str) -> tuple[str, dict[str, str], float]:
        m = _NAME.match(line)
        assert m, line
        name, i = m.group(), m.end()
        labels: dict[str, str] = {}
        if line[i] == "{":
            i += 1
            while line[i] != "}":
                lm = _LABEL.match(line, i)
                assert lm and line[lm.end() : lm.end() + 2] == '="', line
                key, i = lm.group(), lm.end() + 2
                value = []
                while line[i] != '"':
                    if line[i] == "\\":
                        nxt = line[i + 1]
                        assert nxt in '\\"n', f"bad escape in {line!r}"
                        value.append("\n" if nxt == "n" else nxt)
                        i += 2
                    else:
                        assert line[i] != "\n"
                        value.append(line[i])
                        i += 1
                i += 1
                assert key not in labels and not key.startswith("__")
                labels[key] = "".join(value)
                if line[i] == ",":
                    i += 1
                else:
                    assert line[i] == "}", line
            i += 1
        assert line[i] == " ", line
        rest = line[i + 1 :].split(" ")
        assert 1 <= len(rest) <= 2, line
        number = float(rest[0])  # "NaN", "+Inf" included
        return name, labels, number

    def labels_of(self, name: str) -> dict[str, str]:
        (labels,) = [dict(ls) for (n, ls) in self.series if n == name]
        return labels

    def value(self, name: str, **labels: str) -> float:
        found = [v for (n, ls), v in self.series.items() if n == name and set(labels.items()) <= ls]
        assert len(found) == 1, f"{name} {labels}: {len(found)} series"
        return found[0]


def view_of(events: list[ev.EventBase]) -> DashboardView:
    v = DashboardView(profile="t", venue="binance", env="testnet", limits=None)
    v.apply_all(numbered(events))
    return v


def busy(orders: int) -> list[ev.EventBase]:
    o = Orders()
    out: list[ev.EventBase] = [
        ev.ProfileLoaded(at_ms=T0, profile="t", venue="binance", env="testnet", mode="trade"),
        ev.StreamConnected(at_ms=T0, profile="t", stream="user"),
        ev.ClockSynced(at_ms=T0, profile="t", offset_ms=-250, rtt_ms=1.0),
        ev.BalanceChanged(
            at_ms=T0, profile="t", balances=(Balance("USDT", Decimal(900), Decimal(5)),)
        ),
    ]
    for i in range(orders):
        side = Side.BUY if i % 2 == 0 else Side.SELL
        out += o.trade(side, "0.5", str(100 + i), fee="0.05", fee_asset="USDT", maker=i % 3 == 0)
    out += [
        ev.ReplyReceived(at_ms=T0 + 9, profile="t", method="POST", path="/api/v3/order",
                         status=400, latency_ms=1.0, code=-2010, weight=37, order_count=4,
                         client_order_id="tg-1"),
        ev.ReplyReceived(at_ms=T0 + 9, profile="t", method="GET", path="/api/v3/account",
                         status=429, latency_ms=1.0, code=-1003),
        ev.RiskDenied(at_ms=T0 + 9, profile="t", reasons=("MAX_POSITION: 2 > 1", "PRICE_BAND: far")),
        ev.RateLimitChanged(at_ms=T0 + 9, profile="t", limit="ban", until_ms=T0 + 60_000),
        ev.KillSwitchSet(at_ms=T0 + 9, profile="t", reason="by hand", by="user"),
        ev.StreamGapLost(at_ms=T0 + 9, profile="t", stream="user", since_ms=T0),
    ]  # fmt: skip
    return out


def test_the_figures_read_back_as_the_journal_says() -> None:
    view = view_of(busy(4))
    view.note_chain(len(busy(4)) + 3, b"\x01" * 32, None)  # the writer is 3 records ahead
    m = Exposition(prometheus_text(view, now_ms=T0 + 10))
    assert m.types["tradeguard_fills_total"] == "counter"
    assert m.value("tradeguard_orders_submitted_total", side="BUY", symbol="BTCUSDT") == 2
    assert (
        m.value("tradeguard_fills_total", side="SELL", liquidity="taker") == 1
    )  # i = 1 (3 is maker)
    assert m.value("tradeguard_fees_paid_total", asset="USDT") == pytest.approx(0.2)
    assert m.value("tradeguard_filled_quote_total", side="BUY", liquidity="maker") == 50
    assert m.value("tradeguard_orders_rejected_total", reason="exchange", code="-2010") == 1
    assert m.value("tradeguard_orders_rejected_total", reason="risk") == 1
    assert m.value("tradeguard_risk_denials_total", rule="max_position") == 1
    assert m.value("tradeguard_risk_denials_total", rule="price_band") == 1
    assert m.value("tradeguard_rate_limit_hits_total", status="429") == 1
    assert m.value("tradeguard_request_weight_used", interval="1m") == 37
    assert m.value("tradeguard_request_weight_limit", interval="1m") == 6000
    assert m.value("tradeguard_order_count_used", interval="10s") == 4
    assert m.value("tradeguard_ban_until_timestamp_seconds") == (T0 + 60_000) / 1000
    assert m.value("tradeguard_rate_limit_in_force", limit="ban") == 1
    assert m.value("tradeguard_kill_switch_engaged", env="testnet") == 1
    assert m.value("tradeguard_kill_switch_engagements_total", trigger="manual") == 1
    assert m.value("tradeguard_stream_gaps_total", stream="user", outcome="lost") == 1
    assert m.value("tradeguard_connection_up", stream="user") == 0
    assert m.value("tradeguard_clock_offset_seconds") == -0.25
    assert m.value("tradeguard_balance_free", asset="USDT") == pytest.approx(
        900 - 0.2 - 0.5 * (100 - 101 + 102 - 103)
    )
    assert m.value("tradeguard_position_base", symbol="BTCUSDT") == 0
    # average cost: buy 0.5@100 (+0.05), sell 0.5@101 (-0.05): 50.5-0.05-50.05 = 0.4; then
    # buy 0.5@102 (+0.05), sell 0.5@103 (-0.05): 51.45 - 51.05 = 0.4
    assert m.value(
        "tradeguard_pnl_realized_quote", symbol="BTCUSDT", quote="USDT"
    ) == pytest.approx(0.8)
    assert m.value("tradeguard_journal_head_seq") == len(busy(4)) + 3
    assert m.value("tradeguard_journal_lag_records") == 3
    assert m.value("tradeguard_build_info") == 1
    assert m.labels_of("tradeguard_build_info")["version"] == tradeguard.__version__
    later = Exposition(prometheus_text(view, now_ms=T0 + 61_000))
    assert later.value("tradeguard_ban_until_timestamp_seconds") == 0
    assert later.value("tradeguard_rate_limit_in_force", limit="ban") == 0
    assert later.value("tradeguard_request_weight_used", interval="1m") == 0  # its minute is over


def test_counters_follow_the_conventions() -> None:
    m = Exposition(prometheus_text(view_of(busy(6)), now_ms=T0))
    for name, kind in m.types.items():
        assert name.startswith("tradeguard_")
        assert (kind == "counter") == name.endswith("_total"), name
    for (name, _), value in m.series.items():
        if m.types[name] == "counter":
            assert value >= 0 and not math.isnan(value)


def test_no_label_grows_with_the_orders() -> None:
    few = Exposition(prometheus_text(view_of(busy(4)), now_ms=T0))
    many = Exposition(prometheus_text(view_of(busy(200)), now_ms=T0))
    assert len(many.series) == len(few.series)
    names = {k for _, labels in many.series for k, _ in labels}
    assert names <= {"venue", "symbol", "side", "type", "code", "reason", "liquidity", "asset",
                     "quote", "interval", "status", "limit", "rule", "env", "trigger", "stream",
                     "outcome", "version", "python"}  # fmt: skip


def test_label_values_are_escaped() -> None:
    odd = 'we"ird\\stream\nname'
    view = view_of([ev.StreamConnected(at_ms=T0, profile="t", stream=odd)])
    m = Exposition(prometheus_text(view, now_ms=T0))
    assert m.value("tradeguard_connection_up", stream=odd) == 1


def test_an_empty_journal_is_a_valid_exposition() -> None:
    m = Exposition(prometheus_text(view_of([]), now_ms=T0))
    assert m.value("tradeguard_kill_switch_engaged", env="testnet") == 0
    assert m.value("tradeguard_journal_head_seq") == 0


def test_the_lag_is_against_the_head_the_server_read() -> None:
    view = view_of(busy(2))
    m = Exposition(prometheus_text(view, now_ms=T0, head_seq=view.seq + 40))
    assert m.value("tradeguard_journal_lag_records") == 40


def test_docs_metrics_md_lists_every_metric_with_its_type_and_labels() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "metrics.md").read_text()
    documented = {}
    for line in page.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`tradeguard_"):
            labels = frozenset(x.strip() for x in cells[2].split(",") if x.strip())
            documented[cells[0].strip("`")] = (cells[1], labels)
    o = Orders()
    o.n = 100  # ids apart from busy()'s
    intent = o.trade(Side.BUY, "1", "100")[0]
    cancel = ev.OrderUpdated(at_ms=T0 + 9, profile="t", client_order_id="tg-101",
                             symbol="BTCUSDT", status=OrderStatus.CANCELED, source="stream",
                             order_id=101)  # fmt: skip
    view = view_of([*busy(4), intent, cancel])
    assert not [a for a in view.snapshot()["alerts"] if a["kind"] == "error"]
    m = Exposition(prometheus_text(view, now_ms=T0))
    found = {}
    for name, kind in m.types.items():
        labels = {k for (n, ls) in m.series for k, _ in ls if n == name}
        found[name] = (kind, frozenset(labels))
    assert found == documented
