"""userevents: Binance user-data frames into tradeguard events, exactly (Hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeguard.events import BalanceChanged, BalanceMoved, OrderFilled, OrderUpdated
from tradeguard.model import OrderStatus
from tradeguard.venues.binance.parse import ParseError
from tradeguard.venues.binance.userevents import (
    OtherEvent,
    StreamTerminated,
    UnknownSymbol,
    UserEvents,
    decode_event,
    decode_frame,
)

ASSETS = {"BTCUSDT": ("BTC", "USDT"), "ETHBTC": ("ETH", "BTC")}
EXEC_TYPES = ["NEW", "CANCELED", "REPLACED", "REJECTED", "TRADE", "EXPIRED", "TRADE_PREVENTION"]

amounts = st.decimals(
    min_value=Decimal("0.00000001"), max_value=Decimal("99999999"), places=8, allow_nan=False
)
ids = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1,
              max_size=36)  # fmt: skip


def d8(value: Decimal) -> str:
    return f"{value:.8f}"


@st.composite
def reports(draw: st.DrawFn) -> dict[str, Any]:
    qty, price, cum = draw(amounts), draw(amounts), draw(amounts)
    exact_quote = draw(st.booleans())
    last_quote = qty * price if exact_quote else draw(amounts)
    return {
        "e": "executionReport", "E": draw(st.integers(0, 2**50)),
        "s": draw(st.sampled_from(list(ASSETS))),
        "c": draw(ids), "S": draw(st.sampled_from(["BUY", "SELL"])), "o": "LIMIT", "f": "GTC",
        "q": d8(draw(amounts)), "p": d8(price), "P": "0.00000000", "F": "0.00000000", "g": -1,
        "C": draw(st.sampled_from(["", None])) or "", "x": draw(st.sampled_from(EXEC_TYPES)),
        "X": draw(st.sampled_from([s.value for s in OrderStatus if s.value not in ("UNKNOWN",)])),
        "r": draw(st.sampled_from(["NONE", "INSUFFICIENT_BALANCES"])),
        "i": draw(st.integers(1, 2**62)),
        "l": d8(qty), "z": d8(cum), "L": d8(price), "n": d8(draw(amounts)),
        "N": draw(st.sampled_from(["BTC", "USDT", "BNB", None])), "T": draw(st.integers(0, 2**50)),
        "t": draw(st.integers(1, 2**62)), "I": 1, "w": True, "m": draw(st.booleans()), "M": False,
        "O": 1, "Z": d8(draw(amounts)), "Y": str(last_quote), "Q": "0.00000000", "W": 1,
        "V": "NONE",
    }  # fmt: skip


def wrap(event: dict[str, Any]) -> bytes:
    return msgspec.json.encode({"subscriptionId": 3, "event": event})


@given(reports())
def test_execution_reports_convert_exactly(report: dict[str, Any]) -> None:
    frame, events = UserEvents(ASSETS, "p").frame(wrap(report), at_ms=42)
    assert frame.subscriptionId == 3 and not frame.is_reply
    if report["x"] == "TRADE":
        (fill,) = events if report["X"] != "FILLED" else events[:1]
        assert isinstance(fill, OrderFilled)
        assert fill.trade_id == report["t"] and fill.order_id == report["i"]
        assert fill.qty == Decimal(report["l"]) and fill.price == Decimal(report["L"])
        assert fill.cum_qty == Decimal(report["z"])
        assert fill.commission == Decimal(report["n"]) and fill.commission_asset == report["N"]
        assert fill.is_maker is report["m"] and fill.side.value == report["S"]
        assert (fill.base_asset, fill.quote_asset) == ASSETS[report["s"]]
        assert fill.quote == Decimal(report["Y"])  # exact either way
        if Decimal(report["Y"]) == Decimal(report["L"]) * Decimal(report["l"]):
            assert fill.quote_qty is None
        assert (fill.at_ms, fill.exchange_ms, fill.source) == (42, report["T"], "stream")
        assert fill.client_order_id == report["c"]
    else:
        (update,) = events
        assert isinstance(update, OrderUpdated)
        assert update.status.value == report["X"] and update.source == "stream"
        assert update.executed_qty == Decimal(report["z"])
        assert update.quote_qty == Decimal(report["Z"])
        assert update.reason == (None if report["r"] == "NONE" else report["r"])
    # The codec round trip keeps every Decimal exactly.
    for event in events:
        assert all(type(v) is not float for v in msgspec.structs.asdict(event).values())


UNREAD_KEYS = ["o", "f", "p", "P", "F", "g", "I", "w", "M", "O", "W", "V"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=5,
)


@given(reports(), st.fixed_dictionaries({k: json_values for k in UNREAD_KEYS}), json_values)
def test_fields_tradeguard_does_not_read_can_hold_anything(
    report: dict[str, Any], unread: dict[str, Any], new_value: Any
) -> None:
    convert = UserEvents(ASSETS, "p")
    expected = convert.frame(wrap(report), at_ms=42)[1]
    changed = {**report, **unread, "zz-new-key": new_value}  # and a key Binance adds one day
    assert convert.frame(wrap(changed), at_ms=42)[1] == expected


def test_a_cancel_is_about_the_original_client_order_id() -> None:
    report = {
        "e": "executionReport", "E": 1, "s": "BTCUSDT", "c": "cancel-req", "S": "BUY",
        "q": "1.00000000", "C": "tg-order-1", "x": "CANCELED", "X": "CANCELED", "i": 7,
        "l": "0", "z": "0.5", "L": "0", "n": "0", "N": None, "T": 2, "t": -1, "Z": "10",
    }  # fmt: skip
    (update,) = UserEvents(ASSETS, "p").frame(wrap(report), 1)[1]
    assert isinstance(update, OrderUpdated)
    assert update.client_order_id == "tg-order-1" and update.status is OrderStatus.CANCELED
    assert update.orig_qty == Decimal("1") and update.executed_qty == Decimal("0.5")


def test_a_final_fill_of_an_order_by_quote_amount_also_closes_it() -> None:
    report = {
        "e": "executionReport", "E": 1, "s": "BTCUSDT", "c": "tg-q", "S": "BUY",
        "q": "0.00000000", "x": "TRADE", "X": "FILLED", "i": 7, "l": "0.001", "z": "0.002",
        "L": "60000", "n": "0", "T": 2, "t": 11, "Z": "120", "Q": "120.00000000",
    }  # fmt: skip
    fill, update = UserEvents(ASSETS, "p").frame(wrap(report), 1)[1]
    assert isinstance(fill, OrderFilled) and isinstance(update, OrderUpdated)
    assert update.status is OrderStatus.FILLED and update.orig_qty is None


def test_balances_replies_control_events_and_unknown_kinds() -> None:
    convert = UserEvents(ASSETS, "p")
    position = {"e": "outboundAccountPosition", "E": 5, "u": 4,
                "B": [{"a": "BTC", "f": "1.50000000", "l": "0.25000000"}]}  # fmt: skip
    (balances,) = convert.frame(wrap(position), 9)[1]
    assert isinstance(balances, BalanceChanged) and balances.exchange_ms == 4
    assert balances.balances[0].free == Decimal("1.5")
    deposit = {"e": "balanceUpdate", "E": 3, "a": "BTC", "d": "-0.25000000", "T": 2}
    (moved,) = convert.frame(wrap(deposit), 9)[1]  # a withdrawal: a record, not a balance
    assert isinstance(moved, BalanceMoved) and (moved.asset, moved.delta) == (
        "BTC",
        Decimal("-0.25"),
    )
    assert (moved.exchange_ms, moved.at_ms) == (2, 9)
    frame, events = convert.frame(wrap({"e": "eventStreamTerminated", "E": 1}), 1)
    assert isinstance(frame.event, StreamTerminated) and events == []
    frame, events = convert.frame(wrap({"e": "listStatus", "E": 1, "s": "BTCUSDT"}), 1)
    assert frame.event is None and isinstance(frame.other, OtherEvent) and events == []
    assert frame.other.kind == "listStatus"
    reply = decode_frame(b'{"id":4,"status":200,"result":{"subscriptionId":0},"rateLimits":[]}')
    assert (
        reply.is_reply
        and reply.id == 4
        and msgspec.json.decode(reply.result) == {"subscriptionId": 0}
    )
    error = decode_frame(b'{"id":5,"status":400,"error":{"code":-1022,"msg":"bad"}}')
    assert error.error is not None and error.error.code == -1022
    assert isinstance(decode_event(b'{"e":"listenKeyExpired","E":1,"listenKey":"k"}'), object)


def test_malformed_frames_and_unknown_symbols_are_errors_not_silence() -> None:
    convert = UserEvents(ASSETS, "p")
    with pytest.raises(ParseError):
        convert.frame(b"not json", 1)
    with pytest.raises(ParseError):  # a known kind missing a field is not skipped
        convert.frame(wrap({"e": "executionReport", "E": 1}), 1)
    report = {
        "e": "executionReport", "E": 1, "s": "DOGEUSDT", "c": "x", "S": "BUY", "x": "TRADE",
        "X": "FILLED", "i": 7, "l": "1", "z": "1", "L": "1", "n": "0", "T": 2, "t": 11, "Z": "1",
    }  # fmt: skip
    with pytest.raises(UnknownSymbol):
        convert.frame(wrap(report), 1)
