"""The session's calls for a server in front of it (session/serving.py), through `tg` on the
simulator, and that the gateway reaches the session through them and its documented calls
only, never its internals (`tg._check`, `tg.ids`, `tg.ledger`, `tg.guard`, `tg.transport`,
`tg.recorder`)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.gateway.conftest import Served
from tradeguard.errors import RiskDenied
from tradeguard.events import EventBase, OrderIntended
from tradeguard.intents import intent
from tradeguard.model import OrderType
from tradeguard.venues.binance.endpoints import Request

GATEWAY = Path(__file__).resolve().parents[2] / "src" / "tradeguard" / "gateway"
INTERNALS = re.compile(r"\btg\.(_\w+|ids|ledger|guard|transport|recorder)\b")


def test_the_gateway_uses_no_session_internals() -> None:
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(GATEWAY.glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if INTERNALS.search(line)
    ]
    assert found == []


async def test_a_server_s_calls_on_the_session(served: Served) -> None:
    tg = served.tg
    seen: list[EventBase] = []
    tg.on_recorded(seen.append)
    first, second = tg.new_client_id(), tg.new_client_id()
    assert first != second

    too_big = intent(tg.new_client_id(), "BTC/USDT", "BUY", OrderType.MARKET, qty="0.5")
    with pytest.raises(RiskDenied):
        await tg.check_order(too_big)
    small = intent("surf1", "BTC/USDT", "BUY", OrderType.MARKET, qty="0.001")
    assert (await tg.check_order(small)).qty == Decimal("0.001")
    assert tg.order("surf1") is None  # checked, never journaled or sent

    placed = await tg.place(small)
    assert placed.order_id is not None
    assert tg.order_by_exchange_id("BTCUSDT", placed.order_id).client_order_id == "surf1"  # type: ignore[union-attr]
    assert [o.client_order_id for o in tg.orders_of("BTCUSDT")] == ["surf1"]
    placed_with = tg.intent_of("surf1")
    assert placed_with is not None and (placed_with.side, placed_with.qty) == (
        small.side,
        small.qty,
    )
    assert tg.intent_of("nobody") is None
    assert any(isinstance(e, OrderIntended) for e in seen)

    assert tg.server_now_ms() > 0
    assert (await tg.exchange_balances())["USDT"].free > 0
    assert await tg.forward(Request("GET", "/api/v3/ping")) == b"{}"
    assert tg.can_trade
    await tg.kill("surface test")
    assert not tg.can_trade
