"""A ShutDown journaled before it named the orders the stop cancelled decodes as cancelling
none: the field was added last, with a default, as events.py asks of every new field."""

from __future__ import annotations

import msgspec

from tradeguard.events import ShutDown
from tradeguard.journal import codec


def test_an_older_shutdown_record_still_decodes() -> None:
    older = {
        "event": "ShutDown",
        "at_ms": 1,
        "profile": "p",
        "reason": "run ended",
        "open_orders": 2,
    }
    body = bytes([codec.VERSION]) + msgspec.msgpack.encode(older)
    decoded = codec.decode(body, 7)
    assert decoded == ShutDown(at_ms=1, profile="p", reason="run ended", open_orders=2)
    assert isinstance(decoded, ShutDown) and decoded.cancelled == ()


def test_the_cancelled_orders_round_trip() -> None:
    shut = ShutDown(at_ms=1, profile="p", reason="SIGINT", cancelled=("tg-a-1", "tg-a-2"))
    assert codec.decode(codec.encode(shut), 1) == shut
