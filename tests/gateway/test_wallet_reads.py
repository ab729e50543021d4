"""ccxt's key-holding load_markets reads through the gateway, with ccxt's own defaults.

With a key set, ccxt's Binance signs `GET /sapi/v1/capital/config/getall` and the two margin
pair listings while loading markets; freqtrade keeps those defaults. The gateway answers these
three reads itself (withdrawals and deposits off, no margin pairs: true of every bot behind it)
and still refuses every other /sapi/ path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.gateway.conftest import Served, point_ccxt

pytestmark = pytest.mark.realclient


@pytest.fixture
async def defaults_ccxt(served: Served) -> AsyncIterator[Any]:
    import ccxt.async_support as ccxt_async

    ex = ccxt_async.binance(
        {
            "apiKey": served.key.api_key,
            "secret": served.secret,
            "enableRateLimit": False,
            "options": {"fetchMarkets": {"types": ["spot"]}},
        }
    )
    point_ccxt(ex, served.base_url)
    try:
        yield ex
    finally:
        await ex.close()


async def test_ccxt_loads_markets_with_its_default_wallet_reads(defaults_ccxt: Any) -> None:
    markets = await defaults_ccxt.load_markets()
    assert "BTC/USDT" in markets
    usdt = defaults_ccxt.currencies["USDT"]
    assert usdt["info"]["withdrawAllEnable"] is False and usdt["info"]["depositAllEnable"] is False
    balance = await defaults_ccxt.fetch_balance()
    assert balance["USDT"]["free"] > 0


async def test_the_wallet_reads_need_a_local_key_signature(served: Served) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{served.base_url}/sapi/v1/capital/config/getall?timestamp=1&signature=00"
        async with http.get(url, headers={"X-MBX-APIKEY": served.key.api_key}) as reply:
            # a signature error (old timestamp or bad signature), not the funds path refusal
            assert (await reply.json())["code"] in (-1021, -1022)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/sapi/v1/capital/withdraw/apply"),
        ("GET", "/sapi/v1/capital/deposit/address"),
        # the histories are read-only, but a bot needs neither (the guard reads them itself,
        # on its own key) and they list addresses and transaction ids: refused too
        ("GET", "/sapi/v1/capital/deposit/hisrec"),
        ("GET", "/sapi/v1/capital/withdraw/history"),
        ("POST", "/sapi/v1/asset/transfer"),
        ("POST", "/sapi/v1/capital/config/getall"),
    ],
)
async def test_every_other_sapi_path_is_still_refused(
    served: Served, method: str, path: str
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{served.base_url}{path}") as reply,
    ):
        assert reply.status == 401 and (await reply.json())["code"] == -2015
