"""A cancel's answer over FIX names the order's type as Binance's ExecutionReport does: a stop
or take-profit by OrdType (40) and the trigger direction (1109), a post-only by ExecInst (18),
read back to REST's type names (the cancel's request names none)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tradeguard.sim import fix_orders
from tradeguard.venues.binance import fix_messages, fix_wire


def canceled(order_type: str, side: str) -> dict[str, Any]:
    return {
        "x": "CANCELED", "c": "cx-1", "C": "stop-1", "z": "0", "I": 7, "l": "0", "L": "0",
        "i": 42, "q": "0.001", "X": "CANCELED", "o": order_type, "p": "49000.00",
        "P": "49500.00", "S": side, "s": "BTCUSDT", "f": "GTC", "t": -1, "m": False,
        "Z": "0", "n": "0", "N": None, "T": 1_780_000_000_000,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("order_type", "side"),
    [
        ("STOP_LOSS_LIMIT", "SELL"),
        ("STOP_LOSS_LIMIT", "BUY"),
        ("TAKE_PROFIT_LIMIT", "SELL"),
        ("TAKE_PROFIT", "BUY"),
        ("STOP_LOSS", "SELL"),
        ("LIMIT_MAKER", "BUY"),
        ("LIMIT", "SELL"),
    ],
)
def test_a_cancel_answer_names_the_orders_type(order_type: str, side: str) -> None:
    body = fix_orders.execution_report(canceled(order_type, side), "20261207-01:00:00.000000")
    raw = fix_wire.encode("8", "SPOT", "tg1", 2, "20261207-01:00:00.000000", body)
    (message,) = fix_wire.frames(bytearray(raw))
    params = {"symbol": "BTCUSDT", "origClientOrderId": "stop-1"}
    answer = fix_messages.answer(message, fix_messages.CANCEL, params)
    assert json.loads(answer.body)["type"] == order_type
