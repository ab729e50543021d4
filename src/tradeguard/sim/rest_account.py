"""Account endpoints: balances, key restrictions, order-rate usage, system status, the spot
delist schedule (always empty: nothing is delisted here), listenKeys.

`/sapi/v1/account/apiRestrictions` answers with the calling key's real configuration, so a
client's key audit (withdrawals on? IP-restricted? too old?) can be tested against every kind
of key. The legacy listenKey endpoints (retired by Binance in 2026 but still called by
python-binance's `stream_get_listen_key`) need the API key only, as they did.
"""

from __future__ import annotations

import zlib
from decimal import Decimal
from typing import TYPE_CHECKING

from tradeguard.sim import keys, wire
from tradeguard.sim.auth import Security
from tradeguard.sim.rest_pipeline import Call, Endpoint

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim


def _rate(value: object) -> str:
    return f"{value:.8f}"


def account_uid(account: str) -> int:
    """A stable, made-up Binance uid per simulated account."""
    return 100_000_000 + zlib.crc32(account.encode("utf-8")) % 900_000_000


def endpoints(sim: Sim) -> list[Endpoint]:
    def account(call: Call) -> object:
        maker, taker = sim.config.maker_commission, sim.config.taker_commission
        balances = wire.balances_json(sim.engine.balances(call.account))
        if call.params.boolean("omitZeroBalances"):
            balances = [b for b in balances if Decimal(str(b["free"])) or Decimal(str(b["locked"]))]
        key = call.key
        assert key is not None  # a signed endpoint
        return {
            "makerCommission": int(maker * 10_000),
            "takerCommission": int(taker * 10_000),
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": _rate(maker),
                "taker": _rate(taker),
                "buyer": _rate(0),
                "seller": _rate(0),
            },
            "canTrade": True,
            "canWithdraw": True,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": call.now_ms,
            "accountType": "SPOT",
            "balances": balances,
            "permissions": ["SPOT"],
            "uid": account_uid(call.account),
        }

    def api_restrictions(call: Call) -> object:
        assert call.key is not None  # a signed endpoint
        return keys.api_restrictions_json(call.key)

    def system_status(call: Call) -> object:
        return sim.faults.system_status_json()

    def spot_delist_schedule(call: Call) -> object:
        return []  # nothing is ever delisted here

    def order_rate(call: Call) -> object:
        return sim.ledger.order_usage_json(call.account, call.now_ms)

    def new_listen_key(call: Call) -> object:
        return {"listenKey": sim.listen_keys.create(call.account, call.now_ms)}

    def keepalive_listen_key(call: Call) -> object:
        sim.listen_keys.keepalive(call.params.required("listenKey"), call.account, call.now_ms)
        return {}

    def close_listen_key(call: Call) -> object:
        listen_key = call.params.required("listenKey")
        sim.listen_keys.close(listen_key, call.account)
        sim.hub.close_listen_key(listen_key)
        return {}

    user_data, key_only = Security.USER_DATA, Security.USER_STREAM
    return [
        Endpoint("GET", "/api/v3/account", account, weight=20, security=user_data),
        Endpoint("GET", "/api/v3/rateLimit/order", order_rate, weight=40, security=user_data),
        Endpoint("GET", "/sapi/v1/account/apiRestrictions", api_restrictions, security=user_data),
        Endpoint("GET", "/sapi/v1/system/status", system_status),
        Endpoint(
            "GET",
            "/sapi/v1/spot/delist-schedule",
            spot_delist_schedule,
            weight=100,
            security=Security.MARKET_DATA,
        ),
        Endpoint("POST", "/api/v3/userDataStream", new_listen_key, weight=2, security=key_only),
        Endpoint(
            "PUT", "/api/v3/userDataStream", keepalive_listen_key, weight=2, security=key_only
        ),
        Endpoint("DELETE", "/api/v3/userDataStream", close_listen_key, weight=2, security=key_only),
    ]
