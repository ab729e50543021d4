"""exchangeInfo through the gateway says what the bot may trade: the profile's symbols as the
exchange lists them, every other symbol with Binance's status BREAK (not trading), kept so that
a bot may still read its prices (ccxt's `fetch_ticker` needs the market loaded). So ccxt's
load_markets marks the others inactive and python-binance's symbol info says BREAK, instead of
the bot learning it from a -2010 when it orders. REST and the WebSocket API's exchangeInfo."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.gateway.conftest import SPOT_ONLY, Served, pb_client_class, point_ccxt

pytestmark = pytest.mark.realclient


@pytest.fixture
async def exchange(served: Served) -> AsyncIterator[Any]:
    import ccxt.async_support as ccxt_async

    ex = ccxt_async.binance(
        {"apiKey": served.key.api_key, "secret": served.secret, "enableRateLimit": False,
         "options": dict(SPOT_ONLY)}
    )  # fmt: skip
    point_ccxt(ex, served.base_url)
    try:
        yield ex
    finally:
        await ex.close()


def _statuses(info: dict[str, Any]) -> dict[str, str]:
    return {s["symbol"]: s["status"] for s in info["symbols"]}


async def test_rest_exchange_info_lists_other_symbols_as_not_trading(served: Served) -> None:
    async with aiohttp.ClientSession() as http:
        whole = await (await http.get(f"{served.base_url}/api/v3/exchangeInfo")).json()
        again = await (await http.get(f"{served.base_url}/api/v3/exchangeInfo")).json()  # kept
        one = await (await http.get(f"{served.base_url}/api/v3/exchangeInfo?symbol=ETHUSDT")).json()
    statuses = _statuses(whole)
    assert statuses["BTCUSDT"] == "TRADING"
    assert "ETHUSDT" in statuses and len(statuses) > 2
    assert {s for s, status in statuses.items() if status == "TRADING"} == {"BTCUSDT"}
    assert set(statuses.values()) == {"TRADING", "BREAK"}
    assert _statuses(again) == statuses
    assert _statuses(one) == {"ETHUSDT": "BREAK"}
    assert whole["serverTime"] and whole["rateLimits"]  # the rest as the exchange sent it


async def test_symbol_status_filters_by_the_status_shown(served: Served) -> None:
    """`symbolStatus` asks for symbols of one status: the status the bot is shown, not the
    exchange's (a BREAK symbol is not listed under TRADING, and is under BREAK)."""
    base = f"{served.base_url}/api/v3/exchangeInfo"
    async with aiohttp.ClientSession() as http:
        trading = await (await http.get(f"{base}?symbolStatus=TRADING")).json()
        stopped = await (await http.get(f"{base}?symbolStatus=BREAK")).json()
    assert _statuses(trading) == {"BTCUSDT": "TRADING"}
    assert "BTCUSDT" not in _statuses(stopped) and _statuses(stopped)["ETHUSDT"] == "BREAK"


async def test_ccxt_load_markets_sees_only_the_profile_s_symbols_active(
    exchange: Any, served: Served
) -> None:
    markets = await exchange.load_markets()
    assert markets["BTC/USDT"]["active"] is True
    assert markets["ETH/USDT"]["active"] is False
    assert [s for s, m in markets.items() if m["active"]] == ["BTC/USDT"]
    ticker = await exchange.fetch_ticker("ETH/USDT")  # the others' prices are still there
    assert ticker["last"] > 0


async def test_python_binance_symbol_info_says_break(served: Served) -> None:
    from binance.client import Client

    def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        client = pb_client_class(Client, served.base_url)(served.key.api_key, served.secret)
        return client.get_symbol_info("BTCUSDT"), client.get_symbol_info("ETHUSDT")

    traded, other = await asyncio.to_thread(scenario)
    assert (traded["status"], other["status"]) == ("TRADING", "BREAK")


async def test_the_ws_api_exchange_info_is_the_same(served: Served) -> None:
    url = served.base_url.replace("http", "ws", 1) + "/ws-api/v3"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        await ws.send_json({"id": "i1", "method": "exchangeInfo", "params": {}})
        whole = await ws.receive_json(timeout=15)
        await ws.send_json(
            {"id": "i2", "method": "exchangeInfo", "params": {"symbols": ["BTCUSDT", "ETHUSDT"]}}
        )
        two = await ws.receive_json(timeout=15)
    assert whole["id"] == "i1" and whole["status"] == 200
    statuses = _statuses(whole["result"])
    assert statuses["BTCUSDT"] == "TRADING"
    assert {s for s, status in statuses.items() if status == "TRADING"} == {"BTCUSDT"}
    assert two["status"] == 200
    assert _statuses(two["result"]) == {"BTCUSDT": "TRADING", "ETHUSDT": "BREAK"}
