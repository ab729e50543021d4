"""An order whose outcome the session cannot settle in time: the bot gets Binance's 503."""

from __future__ import annotations

import aiohttp

from tests.gateway.conftest import Served
from tests.scenarios.conftest import placements
from tradeguard.gateway import server
from tradeguard.gateway.local_keys import LocalKeys
from tradeguard.model import OrderStatus
from tradeguard.venues.binance import signing


async def test_an_outcome_still_unknown_after_the_wait_is_a_503_execution_status_unknown(
    served: Served,
) -> None:
    impatient = await server.start(served.tg, LocalKeys([served.key]), resolve_timeout_s=0.05)
    try:
        await served.remote.add_fault({"kind": "stream_silence", "channel": "user"})
        await served.remote.add_fault(
            {"kind": "drop_after_execute", "method": "POST", "path_prefix": "/api/v3/order",
             "count": 1}
        )  # fmt: skip
        stamp = served.tg.transport.server_now_ms()
        query = (
            f"symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=lost1"
            f"&timestamp={stamp}"
        )
        body = f"{query}&signature={signing.hmac_sha256_hex(served.secret, query)}"
        async with aiohttp.ClientSession() as http, http.post(
            f"{impatient.base_url}/api/v3/order",
            data=body.encode(),
            headers={"X-MBX-APIKEY": served.key.api_key,
                     "Content-Type": "application/x-www-form-urlencoded"},
        ) as reply:  # fmt: skip
            assert reply.status == 503
            assert (await reply.json())["code"] == -1007
        # the session goes on resolving it, and it was placed once
        done = await served.tg.resolved("lost1", timeout_s=10)
        assert done.status is OrderStatus.FILLED
        assert placements(served.tg.sim)["lost1"] == 1
    finally:
        await impatient.close()
