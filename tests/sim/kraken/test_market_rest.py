"""The Kraken dialect's public market REST: Kraken's shapes, `since`, and the per-IP throttle."""

from __future__ import annotations

from typing import Any

from tests.sim.kraken.conftest import KrakenClient

from tradeguard.sim.kraken.rest_market import PUBLIC_BURST, TOO_MANY_REQUESTS

MINUTE_MS = 60_000


async def _control(client: KrakenClient, kraken: Any, path: str, body: dict[str, Any]) -> None:
    async with client.http.post(f"{kraken.control_url}/{path}", json=body) as reply:
        assert reply.status == 200, await reply.text()


async def test_ohlc_since_is_exclusive_and_last_is_the_newest_committed_candle(
    client: KrakenClient, kraken: Any
) -> None:
    for price in ("50000", "51000", "52000"):
        await _control(client, kraken, "price", {"symbol": "BTCUSDT", "price": price})
        await _control(client, kraken, "clock", {"advance_ms": MINUTE_MS})
    answer = await client.public("OHLC", pair="XBTUSDT")
    assert answer["error"] == []
    (key,) = [k for k in answer["result"] if k != "last"]
    rows = answer["result"][key]
    times = [r[0] for r in rows]
    assert times == sorted(times) and len(rows) >= 3
    assert answer["result"]["last"] == times[-2]  # the newest one still forms
    again = (await client.public("OHLC", pair="XBTUSDT", since=str(times[-3])))["result"][key]
    assert [r[0] for r in again] == times[-2:]


async def test_public_calls_past_the_burst_are_too_many_requests_until_it_refills(
    client: KrakenClient, kraken: Any
) -> None:
    for _ in range(PUBLIC_BURST):
        assert (await client.public("Depth", pair="XBTUSDT", count="1"))["error"] == []
    assert (await client.public("Trades", pair="XBTUSDT"))["error"] == [TOO_MANY_REQUESTS]
    await _control(client, kraken, "clock", {"advance_ms": 2_000})
    assert (await client.public("Trades", pair="XBTUSDT"))["error"] == []


async def test_bad_arguments_are_kraken_errors(client: KrakenClient) -> None:
    assert (await client.public("Depth", pair="NOPE"))["error"] == ["EQuery:Unknown asset pair"]
    assert (await client.public("OHLC", pair="XBTUSDT", interval="2"))["error"] == [
        "EGeneral:Invalid arguments:interval"
    ]
