"""A bot retrying with the same newClientOrderId, as Binance lets it: an id is free again once
its order is no longer on the exchange for good reasons of its own, and here once the order
never reached the exchange's book (the guard refused it, the exchange rejected it, or its lost
request was found never placed). The id of an order that did reach the exchange stays taken,
whatever the order's state: no order is placed twice. Each request is signed with aiohttp, as
a bot in any language sends it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.gateway.conftest import Served
from tests.gateway.test_order_lists_checks import oco, post_signed
from tests.scenarios.conftest import placements
from tradeguard.gateway import server
from tradeguard.gateway.local_keys import LocalKeys
from tradeguard.model import OrderStatus

DUPLICATE = {"code": -2010, "msg": "Duplicate order sent."}


async def _buy(served: Served, coid: str, **changed: str) -> tuple[int, Any]:
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001",
              "newClientOrderId": coid, "newOrderRespType": "RESULT"} | changed  # fmt: skip
    return await post_signed(served, "/api/v3/order", params)


async def _below_market(served: Served) -> str:
    last = await served.tg.last_price("BTC/USDT")
    assert last is not None
    return str((last * Decimal("0.99")).quantize(Decimal("0.01")))


def on_exchange(served: Served, coid: str) -> list[Any]:
    """The orders the simulator's engine holds under `coid` (open or ended)."""
    engine = served.tg.sim.engine  # type: ignore[union-attr]
    return [o for o in engine.all_orders("main", "BTCUSDT", limit=10**6)
            if o.client_order_id == coid]  # fmt: skip


async def test_an_order_the_guard_refused_is_placed_once_when_sent_again_fixed(
    served: Served,
) -> None:
    status, refused = await _buy(served, "again1", quantity="1")  # over the 1000 USDT cap
    assert (status, refused["code"]) == (400, -2010), refused
    assert refused["msg"].startswith("tradeguard:"), refused
    status, placed = await _buy(served, "again1")
    assert status == 200, placed
    assert (placed["clientOrderId"], placed["status"]) == ("again1", "FILLED")
    assert placements(served.tg.sim)["again1"] == 1  # type: ignore[arg-type]
    assert len(on_exchange(served, "again1")) == 1


async def test_an_order_the_exchange_rejected_is_placed_once_when_sent_again(
    served: Served,
) -> None:
    await served.remote.set_balance("USDT", "0")
    status, rejected = await _buy(served, "again2")
    assert (status, rejected["code"]) == (400, -2010), rejected
    assert "insufficient balance" in rejected["msg"], rejected
    assert served.tg.order("again2").status is OrderStatus.REJECTED  # type: ignore[union-attr]
    await served.remote.set_balance("USDT", "100000")
    status, placed = await _buy(served, "again2")
    assert status == 200, placed
    assert (placed["clientOrderId"], placed["status"]) == ("again2", "FILLED")
    assert len(on_exchange(served, "again2")) == 1
    assert served.tg.order("again2").status is OrderStatus.FILLED  # type: ignore[union-attr]
    assert served.tg.intent_of("again2").qty == Decimal("0.001")  # type: ignore[union-attr]


async def test_a_lost_order_found_never_placed_is_placed_once_when_sent_again(
    served: Served,
) -> None:
    await served.remote.add_fault(
        {"kind": "drop_before_execute", "method": "POST", "path_prefix": "/api/v3/order",
         "count": 1}
    )  # fmt: skip
    status, lost = await _buy(served, "again3")
    assert (status, lost["code"]) == (400, -2010), lost
    assert "not placed" in lost["msg"], lost
    status, placed = await _buy(served, "again3")
    assert status == 200, placed
    assert placed["status"] == "FILLED"
    assert placements(served.tg.sim)["again3"] == 1  # type: ignore[arg-type]
    assert len(on_exchange(served, "again3")) == 1


async def test_a_lost_order_still_unresolved_holds_its_id_until_found_never_placed(
    served: Served,
) -> None:
    """After Binance's 503 the bot retries at once: the order may be live, so its id is held
    until the resolution finds it never placed; then the retry is placed once."""
    impatient = await server.start(served.tg, LocalKeys([served.key]), resolve_timeout_s=0.05)
    try:
        await served.remote.add_fault(
            {"kind": "drop_before_execute", "method": "POST", "path_prefix": "/api/v3/order",
             "count": 1}
        )  # fmt: skip
        hurried = Served(served.tg, impatient, served.key, served.remote)
        status, unknown = await _buy(hurried, "again6")
        assert (status, unknown["code"]) == (503, -1007), unknown
        status, held = await _buy(hurried, "again6")
        assert (status, held) == (400, DUPLICATE)
        done = await served.tg.resolved("again6", timeout_s=10)
        assert done.status is OrderStatus.REJECTED
        status, placed = await _buy(served, "again6")
        assert status == 200, placed
        assert placements(served.tg.sim)["again6"] == 1  # type: ignore[arg-type]
        assert len(on_exchange(served, "again6")) == 1
    finally:
        await impatient.close()


async def test_a_lost_order_found_placed_is_not_placed_again_open_or_filled(
    served: Served,
) -> None:
    price = await _below_market(served)
    for coid, changed in (
        ("again4", {"type": "LIMIT", "price": price, "timeInForce": "GTC"}),  # rests: open
        ("again5", {}),  # a market order: filled, no longer open
    ):
        await served.remote.add_fault(
            {"kind": "drop_after_execute", "method": "POST", "path_prefix": "/api/v3/order",
             "count": 1}
        )  # fmt: skip
        status, found = await _buy(served, coid, **changed)
        assert status == 200, found
        # Binance refuses the id of an open order; it would place a filled one's again, which
        # the gateway does not: the bot retrying after a lost reply gets the one order
        status, again = await _buy(served, coid, **changed)
        assert (status, again) == (400, DUPLICATE)
        assert placements(served.tg.sim)[coid] == 1  # type: ignore[arg-type]
        assert len(on_exchange(served, coid)) == 1


async def _oco(served: Served, list_id: str) -> dict[str, str]:
    """`oco`'s SELL list, its legs 1 % either side of the market (well within the price band
    wherever the price has wandered)."""
    last = await served.tg.last_price("BTC/USDT")
    assert last is not None
    above, below = (str((last * Decimal(p)).quantize(Decimal("0.01"))) for p in ("1.01", "0.99"))
    return await oco(served, list_id) | {"abovePrice": above, "belowStopPrice": below}


async def test_a_list_refused_or_rejected_is_placed_once_when_sent_again_with_its_ids(
    served: Served,
) -> None:
    """listClientOrderId and the legs' ids, free again after a guard refusal, an exchange
    rejection and a lost request the exchange never took; taken once a list is placed."""
    too_big = await _oco(served, "relist") | {"quantity": "1"}  # over the 1000 USDT cap
    status, refused = await post_signed(served, "/api/v3/orderList/oco", too_big)
    assert (status, refused["code"]) == (400, -2010), refused
    assert refused["msg"].startswith("tradeguard:"), refused

    await served.remote.set_balance("BTC", "0")  # a SELL OCO of BTC the account lacks
    status, rejected = await post_signed(
        served, "/api/v3/orderList/oco", await _oco(served, "relist")
    )
    assert (status, rejected["code"]) == (400, -2010), rejected
    assert "insufficient balance" in rejected["msg"], rejected
    await served.remote.set_balance("BTC", "1")

    await served.remote.add_fault(
        {"kind": "drop_before_execute", "method": "POST", "path_prefix": "/api/v3/orderList",
         "count": 1}
    )  # fmt: skip
    status, lost = await post_signed(served, "/api/v3/orderList/oco", await _oco(served, "relist"))
    assert (status, lost["code"]) == (400, -2010), lost
    assert "not placed" in lost["msg"], lost

    status, placed = await post_signed(
        served, "/api/v3/orderList/oco", await _oco(served, "relist")
    )
    assert status == 200, placed
    assert placed["listClientOrderId"] == "relist"
    assert sorted(o["clientOrderId"] for o in placed["orders"]) == ["relista", "relistb"]
    for leg in ("relista", "relistb"):
        assert len(on_exchange(served, leg)) == 1
        assert served.tg.order(leg).status is OrderStatus.NEW  # type: ignore[union-attr]
    # placed: the list's id and its legs' are taken
    status, again = await post_signed(served, "/api/v3/orderList/oco", await _oco(served, "relist"))
    assert (status, again) == (400, DUPLICATE)
    for leg in ("relista", "relistb"):
        assert len(on_exchange(served, leg)) == 1
