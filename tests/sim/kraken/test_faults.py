"""The fault plan on the Kraken dialect, driven as on Binance's (sim.add_fault / the control
API): error answers in Kraken's words, a reply lost after the order was placed, maintenance,
latency, a rate-limit answer, a clock offset."""

from __future__ import annotations

import aiohttp
import pytest

from tradeguard.sim.server import RunningSim

from .conftest import KrakenClient

ORDER = {
    "pair": "XBTUSDT",
    "type": "buy",
    "ordertype": "limit",
    "price": "50000",
    "volume": "0.001",
}


async def test_a_5xx_fault_answers_kraken_unavailable_and_executes_nothing(
    client: KrakenClient, kraken: RunningSim
) -> None:
    kraken.sim.add_fault(
        {"kind": "error", "http_status": 503, "path_prefix": "/0/private/AddOrder", "count": 1}
    )
    answer = await client.private("AddOrder", **ORDER)
    assert answer == {"error": ["EService:Unavailable"]}
    assert (await client.ok("OpenOrders"))["open"] == {}
    await client.ok("AddOrder", **ORDER)  # count 1: the next one goes through


async def test_an_error_fault_may_name_the_kraken_error(
    client: KrakenClient, kraken: RunningSim
) -> None:
    kraken.sim.add_fault(
        {"kind": "error", "http_status": 500, "code": -1000, "msg": "EService:Busy", "count": 1}
    )
    assert await client.error("BalanceEx") == "EService:Busy"


async def test_a_429_fault_is_krakens_rate_limit_answer(
    client: KrakenClient, kraken: RunningSim
) -> None:
    kraken.sim.add_fault({"kind": "error", "http_status": 429, "count": 1})
    assert await client.error("BalanceEx") == "EAPI:Rate limit exceeded"


async def test_a_reply_dropped_after_execution_leaves_the_order_placed(
    client: KrakenClient, kraken: RunningSim
) -> None:
    kraken.sim.add_fault(
        {"kind": "drop_after_execute", "path_prefix": "/0/private/AddOrder", "count": 1}
    )
    with pytest.raises(aiohttp.ClientError):
        await client.private("AddOrder", **ORDER, cl_ord_id="lost-reply")
    opened = (await client.ok("OpenOrders", cl_ord_id="lost-reply"))["open"]
    assert len(opened) == 1


async def test_maintenance_spares_system_status(client: KrakenClient, kraken: RunningSim) -> None:
    kraken.sim.add_fault({"kind": "maintenance"})
    assert (await client.public("SystemStatus"))["result"]["status"] == "maintenance"
    assert await client.error("BalanceEx") == "EService:Unavailable"
    kraken.sim.clear_faults()
    assert (await client.public("SystemStatus"))["result"]["status"] == "online"


async def test_latency_delays_and_is_counted_down(client: KrakenClient, kraken: RunningSim) -> None:
    kraken.sim.add_fault({"kind": "latency", "ms": 5, "count": 1})
    await client.ok("BalanceEx")
    assert kraken.sim.faults.faults() == []


async def test_a_clock_offset_moves_the_served_time(
    client: KrakenClient, kraken: RunningSim
) -> None:
    before = (await client.public("Time"))["result"]["unixtime"]
    kraken.sim.set_clock_offset(-3_600_000)
    assert (await client.public("Time"))["result"]["unixtime"] == before - 3600
