"""An OTO list through a session whose orders go over the WebSocket API: one
`orderList.place.oto` frame, never REST; the pending leg held PENDING_NEW until the working
order fills, then NEW (the user stream says so)."""

from __future__ import annotations

from tests.scenarios.conftest import price_off
from tests.wsapi.conftest import request_counts
from tradeguard.intents import intent
from tradeguard.model import OrderStatus
from tradeguard.session.guard import Session
from tradeguard.sim.remote import SimRemote


async def test_an_oto_goes_over_the_ws_api_as_one_frame(
    ws_tg: Session, ws_remote: SimRemote
) -> None:
    buy, sell = await price_off(ws_tg, "-1"), await price_off(ws_tg, "2")
    working = intent("wsOtoW", "BTC/USDT", "BUY", "LIMIT", qty="0.001", price=buy,
                     list_client_order_id="wsOto")  # fmt: skip
    pending = intent("wsOtoP", "BTC/USDT", "SELL", "LIMIT", qty="0.001", price=sell,
                     post_only=True, list_client_order_id="wsOto")  # fmt: skip
    await ws_remote.reset_requests()
    placed = await ws_tg.place_oto(working, [pending])
    assert [o.status for o in placed] == [OrderStatus.NEW, OrderStatus.PENDING_NEW]
    assert all(o.order_id is not None for o in placed)
    counts = await request_counts(ws_remote)
    assert counts.get("WS orderList.place.oto") == 1, counts
    assert "POST /api/v3/orderList/oto" not in counts
    await ws_remote.fill("BTCUSDT", "0.001", client_order_id="wsOtoW")
    live = await ws_tg.wait_for("wsOtoP", OrderStatus.NEW, timeout_s=5)
    assert live.status is OrderStatus.NEW
